"""``--allow-remote``: images at web addresses are downloaded once and become files of every output.

A web server on 127.0.0.1, in a thread, stands in for the web (the tests never use the internet);
its handler counts the requests, so "downloaded once" and "no network without the flag" are
measured, not assumed.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import NS, ROOT, Epub, epubcheck_messages
from PIL import Image

from octavo.diagnostics import BookError
from octavo.model import Chapter, RemoteImage
from octavo.options import resolve
from octavo.pipeline import build
from octavo.remote import Downloaded, Failed, Store, fetch, stem
from octavo.render import RenderContext, place_remote, render_chapter

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
       b'<rect width="40" height="20" fill="teal"/></svg>')
SCRIPTED_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "crimson").save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Server:
    """The stand-in for the web: ``url(name)`` of a served file, ``requests`` the paths asked for."""

    base: str
    httpd: QuietServer
    requests: list[str] = field(default_factory=list)
    running: bool = True

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.running = False


class Handler(SimpleHTTPRequestHandler):
    """Serves the folder; ``/slow.png`` answers late; every request is counted."""

    def __init__(self, *args: Any, requests: list[str], **kwargs: Any) -> None:
        self.requests = requests
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.path == "/slow.png":
            time.sleep(1.5)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hang up early on purpose (the size and time limits): not worth a traceback."""


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    files = tmp_path / "web"
    files.mkdir()
    (files / "pic.png").write_bytes(png_bytes())
    (files / "drawing.svg").write_bytes(SVG)
    (files / "photo").write_bytes(png_bytes())  # no extension: the bytes decide
    (files / "page.png").write_text("<!doctype html><title>Not found</title><p>Sorry.</p>", encoding="utf-8")
    (files / "script.svg").write_bytes(SCRIPTED_SVG)
    (files / "slow.png").write_bytes(png_bytes())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy set for the machine must not intercept
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    requests: list[str] = []
    httpd = QuietServer(("127.0.0.1", 0), partial(Handler, requests=requests, directory=str(files)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    running = Server(f"http://127.0.0.1:{httpd.server_address[1]}", httpd, requests)
    yield running
    running.stop()
    thread.join(timeout=5)


def make_book(tmp_path: Path, one: str, two: str = "Nothing remote here.") -> Path:
    root = tmp_path / "book"
    (root / "part").mkdir(parents=True)
    (root / "book.toml").write_text('[book]\ntitle = "Remote"\nchapters = ["one.md", "part/two.md"]\n',
                                    encoding="utf-8")
    (root / "one.md").write_text(f"# One\n\n{one}\n", encoding="utf-8")
    (root / "part" / "two.md").write_text(f"# Two\n\n{two}\n", encoding="utf-8")
    return root


def local_name(url: str, extension: str) -> str:
    return f"remote/{hashlib.sha256(url.encode()).hexdigest()[:16]}.{extension}"


def image_sources(epub: Epub, title: str) -> list[str]:
    _, doc = epub.chapter_with_title(title)
    return [str(src) for src in doc.xpath("//x:img/@src", namespaces=NS)]


def test_remote_images_become_files_of_every_output(tmp_path: Path, server: Server) -> None:
    png, svg = server.url("pic.png"), server.url("drawing.svg")
    root = make_book(tmp_path, f"![A red square]({png})\n\n<img src=\"{svg}\" alt=\"A teal band\"/>",
                     f"The same square again: ![A red square]({png})")
    out = tmp_path / "out"
    result = build(root, resolve(root, output=out, formats=["epub", "pdf", "web"], allow_remote=True))
    assert not [d for d in result.diagnostics if d.code in ("pdf.fetch", "image.remote")], result.diagnostics
    png_name, svg_name = local_name(png, "png"), local_name(svg, "svg")
    assert sorted(server.requests) == ["/drawing.svg", "/pic.png"], "each address is downloaded once"

    epub = Epub(out / "remote.epub")
    manifest = epub.manifest()
    assert manifest[png_name].get("media-type") == "image/png"
    assert manifest[svg_name].get("media-type") == "image/svg+xml"
    assert epub.zip.read(epub.base + png_name) == (tmp_path / "web" / "pic.png").read_bytes()
    assert [n for n in epub.zip.namelist() if n.endswith((".png", ".svg"))] == [epub.base + png_name,
                                                                               epub.base + svg_name]
    assert image_sources(epub, "One") == [png_name, svg_name]
    assert image_sources(epub, "Two") == [png_name]
    assert server.base not in "".join(epub.zip.read(n).decode("utf-8", "replace") for n in epub.zip.namelist())
    assert epubcheck_messages(out / "remote.epub") == []

    site = out / "site"
    assert (site / png_name).read_bytes() == (tmp_path / "web" / "pic.png").read_bytes()
    assert (site / svg_name).read_bytes() == SVG
    pages = "".join(p.read_text(encoding="utf-8") for p in site.glob("*.html"))
    assert f'src="{png_name}"' in pages and f'src="{svg_name}"' in pages and server.base not in pages

    with pikepdf.open(out / "remote.pdf") as pdf:
        drawn = [x for page in pdf.pages for x in page.Resources.get("/XObject", {}).values()
                 if x.get("/Subtype") == "/Image"]
        assert len(drawn) >= 2, "the PNG is on both chapters' pages"


def test_a_later_build_reuses_the_download_without_the_network(tmp_path: Path, server: Server,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    url = server.url("photo")
    root = make_book(tmp_path, f"![A red square]({url})")
    build(root, resolve(root, output=tmp_path / "out", formats=["epub"], allow_remote=True))
    first = (tmp_path / "out" / "remote.epub").read_bytes()
    assert (tmp_path / "out" / ".cache" / "remote" / local_name(url, "png").removeprefix("remote/")).is_file()
    server.stop()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    with monkeypatch.context() as offline:
        offline.setattr(socket.socket, "connect", refuse)
        offline.setattr(socket, "create_connection", refuse)
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"], allow_remote=True))
    assert (tmp_path / "out" / "remote.epub").read_bytes() == first, "same address, same name, same bytes"
    assert image_sources(Epub(tmp_path / "out" / "remote.epub"), "One") == [local_name(url, "png")]
    with pytest.raises(BookError) as caught:  # --no-cache downloads again, and the server is gone
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"], allow_remote=True, use_cache=False))
    assert [d.code for d in caught.value.diagnostics] == ["image.remote"]
    assert (tmp_path / "out" / "remote.epub").read_bytes() == first, "a failed build keeps the outputs"


@pytest.mark.parametrize(("name", "reason"), [
    ("missing.png", "the server answered 404"),
    ("page.png", "not an image octavo knows"),
    ("script.svg", "the SVG contains a script"),
], ids=["404", "html-as-png", "scripted-svg"])
def test_a_failed_download_is_an_error_at_its_line(tmp_path: Path, server: Server, name: str,
                                                   reason: str) -> None:
    url = server.url(name)
    root = make_book(tmp_path, f"Text.\n\n![x]({url})", "A [broken link](nowhere.md).")
    with pytest.raises(BookError) as caught:
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"], allow_remote=True))
    problems = caught.value.diagnostics
    [problem] = [d for d in problems if d.code == "image.remote"]
    assert (problem.path, problem.line) == ("one.md", 5)
    assert url in problem.message and reason in problem.message and problem.hint
    assert any(d.code == "link.missing" for d in problems), "reported together with the other problems"
    assert not list((tmp_path / "out").glob("*.epub"))


def test_the_command_line_reports_a_failed_download_without_a_traceback(tmp_path: Path, server: Server) -> None:
    url = server.url("missing.png")
    root = make_book(tmp_path, f"![x]({url})")
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", str(root), "-f", "epub",
                           "-o", str(tmp_path / "out"), "--allow-remote"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1
    assert f"one.md:3: error: image '{url}' cannot be used: the server answered 404" in done.stderr
    assert "[image.remote]" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_without_allow_remote_nothing_is_requested(tmp_path: Path, server: Server) -> None:
    root = make_book(tmp_path, f"![x]({server.url('pic.png')})")
    with pytest.raises(BookError) as caught:
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    assert any(d.code == "image.remote" and (d.path, d.line) == ("one.md", 3) and "--allow-remote" in (d.hint or "")
               for d in caught.value.diagnostics)
    assert server.requests == []
    assert not (tmp_path / "out" / ".cache" / "remote").exists()


def test_downloads_are_limited_in_size_and_time(tmp_path: Path, server: Server) -> None:
    small = fetch(server.url("pic.png"), Store(tmp_path / "cache", limit=20))
    assert isinstance(small, Failed) and "larger than" in small.reason
    slow = fetch(server.url("slow.png"), Store(tmp_path / "cache", timeout=0.3))
    assert isinstance(slow, Failed) and "0.3 s" in slow.reason
    unreachable = fetch("http://127.0.0.1:9/x.png", Store(tmp_path / "cache"))
    assert isinstance(unreachable, Failed) and "could not be reached" in unreachable.reason
    assert not (tmp_path / "cache").exists(), "nothing is kept of a failed download"


def test_the_name_comes_from_the_address_and_the_extension_from_the_bytes(tmp_path: Path, server: Server) -> None:
    url = server.url("photo")
    got = fetch(url, Store(tmp_path / "cache"))
    assert isinstance(got, Downloaded)
    assert got.name == f"remote/{stem(url)}.png" == local_name(url, "png")
    assert got.file == tmp_path / "cache" / f"{stem(url)}.png"
    assert fetch(url, Store(tmp_path / "cache")) == got and server.requests == ["/photo"], "the second is cached"



def test_rendering_records_remote_images_and_placing_them_is_a_later_step(tmp_path: Path) -> None:
    """Rendering never opens a connection (so its cache cannot go stale): it records each address
    with its line; :func:`place_remote` then points the markup at the download, or drops it."""
    text = "# One\n\n![a](https://example.org/a.png)\n\n<img src=\"https://example.org/b.svg\" alt=\"b\"/>\n"
    ctx = RenderContext(str(tmp_path), "en", {"one.md": "one"}, allow_remote=True)
    rendered = render_chapter(Chapter(id="one", source="one.md", text=text), ctx)
    assert rendered.remote == (RemoteImage("https://example.org/a.png", 3), RemoteImage("https://example.org/b.svg", 5))
    assert rendered.images == () and not rendered.diagnostics
    placed = place_remote(rendered, {"https://example.org/a.png": "remote/0123456789abcdef.png",
                                     "https://example.org/b.svg": None})
    assert 'src="remote/0123456789abcdef.png"' in placed.html and "example.org" not in placed.html
    assert placed.images == ("remote/0123456789abcdef.png",)

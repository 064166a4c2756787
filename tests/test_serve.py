"""``octavo serve``: a live preview on a free port, rebuilt when a chapter is saved, showing build
errors in the browser without stopping, and stopping cleanly."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT, build_into, copy_book, corpus_book

from octavo.options import resolve
from octavo.pipeline import build
from octavo.serve import VERSION_PATH, Preview, make_server, with_reload

CHAPTER = "part-1/01-what-is-inner-leadership.md"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def version(preview: Preview) -> int:
    return int(fetch(preview.url + VERSION_PATH.lstrip("/"))[1])


def save_and_wait(preview: Preview, path: Path, text: str, timeout: float = 30) -> None:
    """Write ``path`` and wait for the rebuild it causes; saves again if a change went unseen."""
    before = version(preview)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path.write_text(text, encoding="utf-8")
        resave = time.monotonic() + 5
        while time.monotonic() < resave:
            if version(preview) > before:
                return
            time.sleep(0.1)
    raise AssertionError(f"no rebuild within {timeout} s of saving {path.name}")


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[Preview]:
    book = copy_book(ROOT / "book", tmp_path / "book")
    with make_server(book, port=0, out=tmp_path / "out") as running:
        yield running


def test_serves_pages_with_the_reload_script_but_builds_clean_files(preview: Preview) -> None:
    status, html = fetch(preview.url)
    assert status == 200 and "<h1 class=\"book-title\">Inner Leadership</h1>" in html
    assert VERSION_PATH in html
    assert VERSION_PATH not in (preview.site / "index.html").read_text(encoding="utf-8")
    status, css = fetch(preview.url + "css/web.css")
    assert status == 200 and VERSION_PATH not in css
    assert fetch(preview.url + "no-such-page.html")[0] == 404


def test_saving_a_chapter_rebuilds_and_the_page_changes(preview: Preview) -> None:
    chapter = preview.book / CHAPTER
    page = preview.url + "01-what-is-inner-leadership.html"
    assert "quokka" not in fetch(page)[1]
    save_and_wait(preview, chapter, chapter.read_text(encoding="utf-8") + "\nA wandering quokka.\n")
    status, html = fetch(page)
    assert status == 200 and "A wandering quokka." in html


def test_a_broken_book_shows_its_errors_and_the_server_keeps_going(preview: Preview) -> None:
    config = preview.book / "book.toml"
    good = config.read_text(encoding="utf-8")
    save_and_wait(preview, config, good.replace('language = "en"', 'language = "<b>en"'))
    status, html = fetch(preview.url + "preface.html")
    assert status == 500
    assert "The book did not build" in html and "&lt;b&gt;en" in html and "<b>en" not in html
    assert VERSION_PATH in html  # so the page reloads itself once the book is fixed
    save_and_wait(preview, config, good)
    status, html = fetch(preview.url + "preface.html")
    assert status == 200 and "<h1" in html and "did not build" not in html


def test_stops_cleanly(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    preview = make_server(book, port=0).start()
    url, out = preview.url, preview.out
    assert fetch(url)[0] == 200
    started = time.monotonic()
    preview.stop()
    assert time.monotonic() - started < 5
    assert not any(t.is_alive() for t in preview.threads)
    assert not out.exists()  # its own temporary build folder is removed
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_reload_script_goes_before_the_end_of_the_body() -> None:
    html = with_reload("<html><body><p>x</p></body></html>", 7)
    assert html.index(VERSION_PATH) < html.index("</body>") and '"7"' in html
    assert VERSION_PATH in with_reload("<p>fragment</p>", 1)


@pytest.mark.browser
def test_an_open_page_reloads_itself_after_a_save(preview: Preview) -> None:
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(preview.url + "01-what-is-inner-leadership.html")
        chapter = preview.book / CHAPTER
        save_and_wait(preview, chapter, chapter.read_text(encoding="utf-8") + "\nA reloading wombat.\n")
        page.wait_for_selector("text=A reloading wombat.", timeout=15_000)
        browser.close()


def test_serve_can_keep_the_epub_fresh_too(tmp_path: Path) -> None:
    """``octavo serve -f epub``: each save rebuilds the EPUB as well, and the site offers it."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    with make_server(book, port=0, formats=["epub", "web"], out=tmp_path / "out") as running:
        status, home = fetch(running.url)
        assert status == 200 and 'href="downloads/inner-leadership.epub"' in home
        chapter = running.book / CHAPTER
        save_and_wait(running, chapter, chapter.read_text(encoding="utf-8") + "\nA fresh numbat.\n")
        status, epub = fetch_bytes(running.url + "downloads/inner-leadership.epub")
        with zipfile.ZipFile(io.BytesIO(epub)) as package:
            assert "A fresh numbat." in package.read("EPUB/01-what-is-inner-leadership.xhtml").decode()


def fetch_bytes(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_serve_command_passes_its_formats_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from octavo import cli, serve

    asked: list[object] = []
    monkeypatch.setattr(serve, "serve", lambda *args: asked.append(args))
    book = copy_book(ROOT / "book", tmp_path / "book")
    result = CliRunner().invoke(cli.main, ["serve", str(book), "-f", "pdf", "-f", "epub", "--port", "0",
                                           "--skip-preprocessor", "katex"])
    assert result.exit_code == 0, result.output
    assert asked == [(book, "127.0.0.1", 0, False, ["epub", "pdf", "web"], ("katex",))]


# A rebuild keeps much of the previous build in memory (the cache's entries, decoded chapters, the
# search index's lists) and links the site's unchanged files from the previous outputs. Whatever
# changed, its outputs must be, byte for byte, those of a cold build of the book as it is then.

SHERLOCK = ["001-a-scandal-in-bohemia", "002-the-redheaded-league", "003-a-case-of-identity",
            "004-the-boscombe-valley-mystery", "005-the-five-orange-pips"]


def published(folder: Path) -> dict[str, bytes]:
    """Every file a build published (its cache aside), by path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*")
            if path.is_file() and ".cache" not in path.relative_to(folder).parts}


@pytest.fixture()
def sherlock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Preview]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = corpus_book("sherlock", tmp_path)
    preview = make_server(book, port=0, formats=["epub", "web"], out=tmp_path / "served")
    try:
        assert preview.rebuild(parallel=True)  # as serve starts: chapters rendered in worker processes
        yield preview
    finally:
        preview.stop()


def rebuild_as_cold(preview: Preview, cold: Path) -> dict[str, bytes]:
    """Rebuild the preview, check its outputs against a cold build's (no cache), and return them."""
    assert preview.rebuild()
    build(preview.book, resolve(preview.book, output=cold, formats=["epub", "web"], use_cache=False))
    served, fresh = published(preview.out), published(cold)
    assert sorted(name for name in served.keys() | fresh.keys() if served.get(name) != fresh.get(name)) == []
    return served


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def epub_member(outputs: dict[str, bytes], name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(outputs["the-adventures-of-sherlock-holmes.epub"])) as package:
        return package.read(f"EPUB/{name}").decode()


def test_rebuilds_after_edits_are_byte_identical_to_cold_builds(sherlock: Preview, tmp_path: Path) -> None:
    book = sherlock.book
    third, fifth = book / f"{SHERLOCK[2]}.md", book / f"{SHERLOCK[4]}.md"
    third.write_text(third.read_text(encoding="utf-8") + "\n\nA quokka paragraph.\n", encoding="utf-8")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-1")
    assert "A quokka paragraph." in outputs[f"site/{SHERLOCK[2]}.html"].decode()
    assert "quokka" in outputs["site/js/search-index.js"].decode()

    # Words leave, and a link and a footnote point at an id that does not exist yet ...
    edit(third, "A quokka paragraph.", f"See [the pips]({SHERLOCK[4]}.md#orange-seeds).[^seeds]\n\n"
         "[^seeds]: Five of them.")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-2")
    assert "quokka" not in outputs["site/js/search-index.js"].decode()
    assert f'href="{SHERLOCK[4]}.html"' in outputs[f"site/{SHERLOCK[2]}.html"].decode()
    # ... then another chapter gains it, in a new section: the unedited chapter's link follows.
    fifth.write_text(fifth.read_text(encoding="utf-8") + "\n\n## Orange seeds {#orange-seeds}\n\nDried.\n",
                     encoding="utf-8")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-3")
    assert f'href="{SHERLOCK[4]}.html#orange-seeds"' in outputs[f"site/{SHERLOCK[2]}.html"].decode()
    assert f'href="{SHERLOCK[4]}.xhtml#orange-seeds"' in epub_member(outputs, f"{SHERLOCK[2]}.xhtml")
    assert "Orange seeds" in epub_member(outputs, "nav.xhtml")


def test_a_new_title_after_cached_rebuilds_reaches_every_output(sherlock: Preview, tmp_path: Path) -> None:
    second = sherlock.book / f"{SHERLOCK[1]}.md"
    second.write_text(second.read_text(encoding="utf-8") + "\nA first edit.\n", encoding="utf-8")
    rebuild_as_cold(sherlock, tmp_path / "cold-1")
    edit(second, "# The Redheaded League", "# The League of Red Heads")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-2")
    for name in ("nav.xhtml", "toc.xhtml", "toc.ncx"):
        assert "The League of Red Heads" in epub_member(outputs, name)
        assert "Redheaded League" not in epub_member(outputs, name)
    for page in ("index", *SHERLOCK):  # the contents, the side contents, and the neighbours' pager
        html = outputs[f"site/{page}.html"].decode()
        assert "The League of Red Heads" in html and "Redheaded League" not in html.split("<main")[0], page
    assert "The League of Red Heads" in outputs["site/js/search-index.js"].decode()


def test_template_style_and_config_changes_after_cached_rebuilds_show(sherlock: Preview, tmp_path: Path) -> None:
    book = sherlock.book
    (book / "templates" / "epub").mkdir(parents=True)
    (book / "templates" / "epub" / "chapter.xhtml.j2").write_text(
        '{% extends "!default/epub/chapter.xhtml.j2" %}\n'
        '{% block content %}<p class="edition-note">Reading copy</p>{{ super() }}{% endblock %}\n', encoding="utf-8")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-1")
    assert all('class="edition-note"' in epub_member(outputs, f"{name}.xhtml") for name in SHERLOCK)

    (book / "styles").mkdir()
    (book / "styles" / "web.css").write_text(".edition-note { color: teal; }\n", encoding="utf-8")
    (book / "styles" / "book.css").write_text("p { hyphens: auto; }\n", encoding="utf-8")
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-2")
    assert "teal" in outputs["site/styles/web.css"].decode()
    assert all('href="styles/web.css"' in outputs[f"site/{name}.html"].decode() for name in SHERLOCK)
    assert "hyphens" in epub_member(outputs, "styles/book.css")
    assert all("styles/book.css" in epub_member(outputs, f"{name}.xhtml") for name in SHERLOCK)

    edit(book / "book.toml", 'language = "en-GB"', 'language = "de"')
    outputs = rebuild_as_cold(sherlock, tmp_path / "cold-3")
    assert 'lang="de"' in epub_member(outputs, f"{SHERLOCK[1]}.xhtml")
    assert 'lang="de"' in outputs[f"site/{SHERLOCK[1]}.html"].decode()


# Stopping: every way of stopping serve removes its temporary site; a busy port says what to do.

def start_serving(book: Path, temp: Path) -> tuple[subprocess.Popen[str], str, Path]:
    """``octavo serve BOOK -p 0`` in a process of its own, with its own temporary folder; returns
    the process, the address it serves at, and the temporary site it made."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)}
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", str(book), "-p", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("serving "):
            url = line.split(" at ", 1)[1].split(";", 1)[0]
            break
    else:
        raise AssertionError(f"serve did not start: {process.communicate()[1]}")
    (site,) = temp.glob("octavo-serve-*")
    return process, url, site


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_serve_and_removes_its_temporary_site(tmp_path: Path, signum: int) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    temp = tmp_path / "temp"
    temp.mkdir()
    process, url, site = start_serving(book, temp)
    try:
        assert fetch(url)[0] == 200 and (site / "site" / "index.html").is_file()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped" in stdout, stderr
    assert "Traceback" not in stderr
    assert not site.exists() and list(temp.iterdir()) == [], "the temporary site is removed"


def test_a_busy_port_says_which_option_to_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from click.testing import CliRunner

    from octavo import cli

    book = copy_book(ROOT / "book", tmp_path / "book")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli.main, ["serve", str(book), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in result.output
    assert "choose another with --port" in result.output and "-p 0 for any free port" in result.output
    assert not list(tmp_path.glob("octavo-serve-*")), "nothing is left behind"


def test_changes_in_output_folders_inside_the_book_are_not_rebuilt_for(tmp_path: Path) -> None:
    import watchfiles

    book = copy_book(ROOT / "book", tmp_path / "book")
    build_into(book, None, ["web"])  # into book/dist, the default
    build_into(book, book / "elsewhere", ["web"])  # any -o inside the book: known by its owner record
    preview = make_server(book, port=0, out=tmp_path / "out")
    try:
        outputs = preview.ignored()
        for path in ("dist/site/index.html", "dist/.built-by-octavo", "elsewhere/site/index.html",
                     "elsewhere/.octavo-staging-x1y2z3/site/index.html"):
            assert not preview.wanted(watchfiles.Change.added, str(book / path), outputs), path
        assert preview.wanted(watchfiles.Change.modified, str(book / CHAPTER), outputs)
        assert preview.wanted(watchfiles.Change.added, str(book / "images" / "new.png"), outputs)
    finally:
        preview.stop()

"""Nothing outside the book folder reaches an output, and no build touches the network."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest

from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.pipeline import build

SECRET = "TOP-SECRET-CONTENT-0451"


def make_book(tmp_path: Path, chapter: str, css: str | None = None) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + SECRET.encode())
    root = tmp_path / "book"
    (root / "images").mkdir(parents=True)
    (root / "book.toml").write_text('[book]\ntitle = "Safe"\nchapters = ["one.md"]\n', encoding="utf-8")
    (root / "one.md").write_text("# One\n\n" + chapter + "\n", encoding="utf-8")
    (root / "images" / "link.png").symlink_to(outside / "secret.png")
    if css is not None:
        (root / "styles").mkdir()
        (root / "styles" / "book.css").write_text(css, encoding="utf-8")
    return root


def epub_text(out: Path) -> str:
    with zipfile.ZipFile(next(out.glob("*.epub"))) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


@pytest.mark.parametrize("chapter", [
    "![x](../outside/secret.png)",
    "![x](/etc/passwd)",
    "![x](images/link.png)",
    '<img src="file:///etc/passwd" alt="x"/>',
    '<img src="../outside/secret.png" alt="x"/>',
    "![x](https://example.org/tracker.png)",
], ids=["dotdot", "absolute", "symlink", "file-url", "raw-dotdot", "remote"])
def test_images_from_outside_are_errors(tmp_path: Path, chapter: str) -> None:
    root = make_book(tmp_path, chapter)
    with pytest.raises(BookError) as caught:
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    assert any(d.code.startswith("image.") and d.path == "one.md" and d.line == 3
               for d in caught.value.diagnostics), [d.format() for d in caught.value.diagnostics]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.epub"))


@pytest.mark.parametrize("css", ['body { background: url("../../outside/secret.png"); }',
                                 "@import '../../outside/secret.txt';",
                                 "body { background: url(https://example.org/x.png); }"])
def test_style_urls_from_outside_are_errors(tmp_path: Path, css: str) -> None:
    root = make_book(tmp_path, "Text.", css)
    with pytest.raises(BookError) as caught:
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    assert any(d.code.startswith("style.") and d.path == "styles/book.css" for d in caught.value.diagnostics)


def test_links_and_embeds_to_outside_never_carry_content(tmp_path: Path) -> None:
    chapter = ('<iframe src="file:///etc/passwd"></iframe><object data="../outside/secret.txt"></object>\n\n'
               '[a](file:///etc/passwd) [b](javascript:alert(1)) <a href="vbscript:x">c</a> <a href="file:///etc/passwd">d</a>\n\n'
               '<embed src="../outside/secret.txt"/><link rel="stylesheet" href="../outside/secret.txt"/>')
    root = make_book(tmp_path, chapter)
    result = build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    text = epub_text(tmp_path / "out")
    assert SECRET not in text
    for scheme in ("file:", "javascript:", "vbscript:"):
        assert f'="{scheme}' not in text, f"a {scheme} URL reached an attribute"
    assert 'src="../outside' not in text and 'data="../outside' not in text
    codes = {d.code for d in result.diagnostics}
    assert {"html.unsafe", "link.scheme"} <= codes


def test_build_never_opens_a_network_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    root = make_book(tmp_path, "A [web link](https://example.org) is only a link.")
    build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    assert 'href="https://example.org"' in epub_text(tmp_path / "out")


@pytest.mark.parametrize(("name", "content"), [("broken.png", b"not a png at all"), ("broken.jpg", b"\x89PNG..."),
                                              ("broken.svg", b"<svg><unclosed></svg>"),
                                              ("script.svg", b'<svg xmlns="http://www.w3.org/2000/svg">'
                                                             b"<script>alert(1)</script></svg>")])
def test_corrupt_or_scripted_images_are_errors(tmp_path: Path, name: str, content: bytes) -> None:
    root = make_book(tmp_path, f"![x](images/{name})")
    (root / "images" / name).write_bytes(content)
    with pytest.raises(BookError) as caught:
        build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    assert any(d.code == "image.invalid" and d.line == 3 for d in caught.value.diagnostics)

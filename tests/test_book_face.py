"""octavo's book face in the EPUB and the web edition when a book asks for it, and the part
pages every output shares: the part's number, title and chapter list each once."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, Epub, build_into, copy_book, epubcheck_messages

XHTML = {"x": "http://www.w3.org/1999/xhtml"}


def test_book_face_all_carries_the_fonts_and_their_licence(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[style]\nbook-face = "all"\n')
    build_into(book, tmp_path / "out", ["epub", "web"])
    epub = Epub(next((tmp_path / "out").glob("*.epub")))
    kinds = {item.get("href"): item.get("media-type") for item in epub.manifest().values()}
    assert kinds["css/fonts.css"] == "text/css"
    assert kinds["css/fonts/alegreya/alegreya-latin-400-italic.woff2"] == "font/woff2"
    assert kinds["css/fonts/alegreya/OFL.txt"] == "text/plain"
    assert b"SIL Open Font License" in epub.zip.read(f"{epub.base}css/fonts/alegreya/OFL.txt")
    assert epubcheck_messages(epub.path) == []
    site = tmp_path / "out" / "site"
    assert (site / "css" / "fonts" / "alegreya" / "alegreya-sc-latin-400-normal.woff2").is_file()
    assert "css/fonts.css" in (site / "index.html").read_text(encoding="utf-8")


def test_the_default_epub_carries_no_font(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    build_into(book, tmp_path / "out", ["epub"])
    epub = Epub(next((tmp_path / "out").glob("*.epub")))
    assert not [i for i in epub.manifest().values() if "fonts" in i.get("href")]
    part = epub.xml("part-2.xhtml")
    assert [h.xpath("string()") for h in part.xpath("//x:h1", namespaces=XHTML)] == [
        "The Techniques of Inner Leader Preparation"]
    assert part.xpath("string(//x:p[@class='part-number'])", namespaces=XHTML) == "Part II"
    links = part.xpath("//x:a[contains(@href, '04-respecting-stakeholders')]", namespaces=XHTML)
    assert len(links) == 1  # the overview's list is the chapter list: no second one

"""The recipes in docs/customizing.md, applied to the sample book: each does what the page says."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from conftest import ROOT, copy_book, epubcheck_messages
from lxml import html as lxml_html
from pypdf import PdfReader

from octavo.options import resolve
from octavo.pipeline import build

RECIPES = ROOT / "docs" / "recipes"


def with_recipe(name: str, tmp_path: Path) -> Path:
    book = copy_book(ROOT / "book", tmp_path / "book")
    shutil.copytree(RECIPES / name, book, dirs_exist_ok=True)
    return book


def test_print_font_and_page_size(tmp_path: Path) -> None:
    book = with_recipe("print-font-and-size", tmp_path)
    build(book, resolve(book, output=tmp_path / "out", formats=["epub", "pdf"]))
    pdf = PdfReader(tmp_path / "out" / "inner-leadership.pdf")
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pdf.pages}
    assert sizes == {(360, 576)}
    fonts = {str(f["/BaseFont"]) for p in pdf.pages for f in (p["/Resources"].get("/Font") or {}).values()
             if "/BaseFont" in f.get_object()}
    assert any(f.endswith("+DejaVu-Sans") for f in fonts)
    with zipfile.ZipFile(tmp_path / "out" / "inner-leadership.epub") as epub:
        assert not any("pdf.css" in n for n in epub.namelist()), "a print sheet stays out of the EPUB"


def test_dark_web_theme(tmp_path: Path) -> None:
    book = with_recipe("dark-web", tmp_path)
    build(book, resolve(book, output=tmp_path / "out", formats=["epub", "web"]))
    site = tmp_path / "out" / "site"
    page = lxml_html.parse(str(site / "preface.html")).getroot()
    sheets = page.xpath("//link[@rel='stylesheet']/@href")
    assert sheets[-1] == "styles/web.css"
    assert "--page-color: #17191d;" in (site / "styles" / "web.css").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "out" / "inner-leadership.epub") as epub:
        assert "EPUB/styles/web.css" not in epub.namelist()


def test_custom_chapter_opening(tmp_path: Path) -> None:
    book = with_recipe("chapter-opening", tmp_path)
    build(book, resolve(book, output=tmp_path / "out", formats=["epub", "web", "pdf"]))
    out = tmp_path / "out"
    with zipfile.ZipFile(out / "inner-leadership.epub") as epub:
        chapter = epub.read("EPUB/05-relationship-focus.xhtml").decode()
    assert '<span class="chapter-number chapter-number-large" title="Chapter 5">5</span>' in chapter  # in its h1
    assert "Chapter 5</p>" not in chapter
    web = (out / "site" / "05-relationship-focus.html").read_text(encoding="utf-8")
    assert 'class="chapter-number chapter-number-large" title="Chapter 5">5</p>' in web
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(out / "inner-leadership.pdf").pages]
    opening = next(p for p in pages if "Work gets done through tasks" in p)
    assert "CHAPTER 5" not in opening.upper() and opening.startswith("5 Technique 2: Maintaining"), opening[:80]
    assert epubcheck_messages(out / "inner-leadership.epub") == []


def test_print_ready_files(tmp_path: Path) -> None:
    """The recipe's [pdf] table added to book.toml: an interior that opens on the half-title at 6 x 9
    in, and a cover of back, spine (pages / 370 ppi, cream) and front with 0.125 in of bleed whose
    back carries the recipe's text."""
    book = with_recipe("print-ready", tmp_path)
    settings = (RECIPES / "print-ready" / "add-to-book.toml").read_text(encoding="utf-8")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n" + settings)
    result = build(book, resolve(book, output=tmp_path / "out", formats=["pdf"]))
    assert sorted(path.name for path in result.outputs) == ["inner-leadership-cover.pdf", "inner-leadership.pdf"]
    interior = PdfReader(tmp_path / "out" / "inner-leadership.pdf")
    assert {(float(p.trimbox.width), float(p.trimbox.height)) for p in interior.pages} == {(432, 648)}
    assert " ".join((interior.pages[0].extract_text() or "").split()) == "Inner Leadership"
    cover = PdfReader(tmp_path / "out" / "inner-leadership-cover.pdf").pages[0]
    spine = len(interior.pages) / 370 * 72
    assert round(float(cover.mediabox.width), 2) == round(2 * 432 + spine + 2 * 9, 2)
    assert round(float(cover.mediabox.height), 2) == 648 + 2 * 9
    assert "Lead yourself first" in (cover.extract_text() or "")

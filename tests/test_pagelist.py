"""The print edition's pages in the EPUB: built with the PDF, the EPUB marks where each PDF page
begins (doc-pagebreak), lists the pages in its navigation document and names the print edition
as their source; built without it, it claims nothing."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, NS, ROOT, build_into, copy_book, epubcheck_messages
from lxml import etree
from pypdf import PdfReader

from octavo.check import run_ace, source_locator
from octavo.pipeline import assemble, writing_order

SAMPLE = ROOT / "book"
SHERLOCK = CORPUS / "sherlock"
BOTH = ("epub", "pdf")
Built = Callable[..., Path]


def only_letters(text: str) -> str:
    """What pdftotext and the EPUB's text both keep: letters and digits, lower case (pdftotext
    leaves out word joiners and keeps a hyphenated line's hyphen, the EPUB the reverse)."""
    return "".join(c for c in text.lower() if c.isalnum())


class PagedEpub:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.opf = etree.fromstring(self.zip.read("EPUB/content.opf"))
        self.nav = etree.fromstring(self.zip.read("EPUB/nav.xhtml"))
        self.docs: dict[str, Any] = {}

    def page_list(self) -> list[tuple[str, str]]:
        """(label, href) of each entry of the page-list."""
        links = self.nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
        return [("".join(a.itertext()), a.get("href")) for a in links]

    def words_after(self, href: str, count: int = 8) -> list[str]:
        """The first words of the text after the marker ``href`` points to (notes left out)."""
        name, ident = href.split("#")
        if name not in self.docs:
            self.docs[name] = etree.fromstring(self.zip.read(f"EPUB/{name}"))
        marker = self.docs[name].xpath(f"//*[@id='{ident}']")[0]
        assert marker.get("role") == "doc-pagebreak" and marker.get(f"{{{NS['epub']}}}type") == "pagebreak"
        assert marker.get("aria-label") == ident.removeprefix("page-")
        text = " ".join(marker.xpath("following::text()[not(ancestor::x:aside)]", namespaces=NS)[:40])
        return text.split()[:count]

    def metadata(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


def pdf_page(pdf: Path, number: int) -> str:
    done = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_the_pdf_is_written_before_the_epub_and_the_site_last() -> None:
    assert writing_order(["epub", "pdf", "web"]) == ["pdf", "epub", "web"]
    assert writing_order(["epub", "web"]) == ["epub", "web"]


def test_each_marker_starts_where_the_pdf_page_starts_across_a_long_book(build_book: Built) -> None:
    out = build_book(SHERLOCK, BOTH)
    epub, pdf = PagedEpub(out / "the-adventures-of-sherlock-holmes.epub"), next(out.glob("*.pdf"))
    labels = list(PdfReader(pdf).page_labels)
    listed = epub.page_list()
    body = [label for label in labels if label.isdigit()]
    assert len(listed) > 0.9 * len(body) > 100, (len(listed), len(body))  # nearly every page: blank ones have none
    assert [labels.index(label) for label, _ in listed] == sorted(labels.index(label) for label, _ in listed)
    for label, href in listed[:: len(listed) // 15]:  # pages chosen across the book
        words = epub.words_after(href)
        page = pdf_page(pdf, labels.index(label) + 1)
        head = only_letters(" ".join(page.split()[:30]))  # the running head, then the page's text
        assert only_letters(" ".join(words)) in head, (label, words, page[:300])
        assert len(only_letters(" ".join(words))) > 15, (label, words)


def test_the_nav_lists_the_pages_and_the_package_names_their_source(build_book: Built) -> None:
    epub = PagedEpub(build_book(SAMPLE, BOTH) / "inner-leadership.epub")
    listed = epub.page_list()
    # half-title, title, copyright, contents (i-vi), then the preface in roman numerals, then the body
    assert [label for label, _ in listed][:3] == ["vii", "viii", "1"]
    assert {href.split("#")[0] for _, href in listed} >= {"preface.xhtml", "01-what-is-inner-leadership.xhtml"}
    nav = epub.nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS)[0]
    assert nav.get("role") == "doc-pagelist" and nav.get("hidden") is not None
    source = "Inner Leadership, print edition (inner-leadership.pdf)"
    assert epub.metadata("pageBreakSource") == [source]
    assert epub.opf.xpath("//dc:source/text()", namespaces=NS) == [source]
    assert {"pageBreakMarkers", "pageNavigation"} <= set(epub.metadata("schema:accessibilityFeature"))


def test_the_print_isbn_is_the_page_source(tmp_path: Path) -> None:
    book = copy_book(SAMPLE, tmp_path / "book")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace("[book]\n", '[book]\nisbn = { print = "978-1-86197-271-2" }\n', 1),
                                    encoding="utf-8")
    build_into(book, tmp_path / "out", list(BOTH))
    epub = PagedEpub(tmp_path / "out" / "inner-leadership.epub")
    assert epub.metadata("pageBreakSource") == ["urn:isbn:9781861972712"]
    assert epub.opf.xpath("//dc:source/text()", namespaces=NS) == ["urn:isbn:9781861972712"]


def test_without_a_pdf_there_is_no_page_list_and_no_claim(build_book: Built) -> None:
    epub = PagedEpub(build_book(SAMPLE, ("epub",)) / "inner-leadership.epub")
    assert epub.page_list() == []
    assert epub.metadata("pageBreakSource") == [] and epub.opf.xpath("//dc:source", namespaces=NS) == []
    assert not {"pageBreakMarkers", "pageNavigation"} & set(epub.metadata("schema:accessibilityFeature"))
    for name in epub.zip.namelist():
        assert b"doc-pagebreak" not in epub.zip.read(name), name


def test_epubcheck_finds_nothing_in_the_paged_epub(build_book: Built) -> None:
    assert epubcheck_messages(build_book(SAMPLE, BOTH) / "inner-leadership.epub") == []


@pytest.mark.ace
def test_ace_finds_no_violation_in_the_paged_epub(build_book: Built) -> None:
    out = build_book(SAMPLE, BOTH)
    epub = out / "inner-leadership.epub"
    assembled, _ = assemble(out.parent / SAMPLE.name)
    outcome = run_ace(epub, source_locator(assembled, epub))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []


def test_a_marker_lands_inside_the_text_it_starts(tmp_path: Path) -> None:
    """Words split over two pieces of markup, in another case, found after the previous marker."""
    from octavo.model import PrintPage
    from octavo.writers.epub.pagelist import mark_pages

    class Doc:
        def __init__(self, ident: str, body: str) -> None:
            self.id, self.name = ident, f"{ident}.xhtml"
            self.content = (f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="{NS["epub"]}"><head>'
                            f"<title>t</title></head><body>{body}</body></html>").encode()

    docs = [Doc("a", "<p>One two <em>three</em> four.</p>\n<p>Five six seven, five six eight.</p>")]
    pages = [PrintPage("1", "a", "ONE TWO"), PrintPage("2", "a", "ee four. Five"),
             PrintPage("3", "a", "five six eight"), PrintPage("4", "a", "nowhere at all")]
    changed, marks = mark_pages(docs, pages)
    assert [m.label for m in marks] == ["1", "2", "3"] and marks[1].href == "a.xhtml#page-2"
    text = changed[0][0].decode()
    assert '<body><span epub:type="pagebreak" role="doc-pagebreak" id="page-1" aria-label="1"/><p>One' in text
    assert '<em>thr<span epub:type="pagebreak" role="doc-pagebreak" id="page-2" aria-label="2"/>ee</em>' in text
    assert 'seven, <span epub:type="pagebreak" role="doc-pagebreak" id="page-3" aria-label="3"/>five six eight' in text

"""Kobo's KEPUB, written natively: the EPUB's pages with every run of text in a koboSpan and the
body in Kobo's wrappers; the same text as the EPUB, and EPUBCheck still finds nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import NS, ROOT, build_into, copy_book, epubcheck_messages
from lxml import etree

SPAN = "{http://www.w3.org/1999/xhtml}span"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("kobo")
    book = copy_book(ROOT / "book", work / "book")
    build_into(book, work / "dist", ["epub", "kepub"])
    return work / "dist"


def test_every_text_is_in_a_kobo_span_and_reads_as_the_epub(outputs: Path) -> None:
    kepub = zipfile.ZipFile(outputs / "inner-leadership.kepub.epub")
    epub = zipfile.ZipFile(outputs / "inner-leadership.epub")
    pages = [n for n in epub.namelist() if n.endswith(".xhtml") and not n.endswith("nav.xhtml")]
    assert len(pages) > 10 and sorted(kepub.namelist()) == sorted(epub.namelist())
    for name in pages:
        plain, kobo = etree.fromstring(epub.read(name)), etree.fromstring(kepub.read(name))
        body = kobo.find("x:body", NS)
        assert [c.get("id") for c in body] == ["book-columns"] and body[0][0].get("id") == "book-inner", name
        assert "".join(plain.find("x:body", NS).itertext()) == "".join(body.itertext()), name
        ids = kobo.xpath("//x:span[@class='koboSpan']/@id", namespaces=NS)
        assert len(ids) == len(set(ids)) and all(i.startswith("kobo.") for i in ids), name
        for paragraph in kobo.xpath("//x:p[not(ancestor::x:pre)]", namespaces=NS):
            loose = [t for t in paragraph.xpath("text()") if t.strip()]
            assert not loose, (name, loose)
    chapter = etree.fromstring(kepub.read("EPUB/05-relationship-focus.xhtml"))
    first = chapter.xpath("//x:p[1]/x:span[@class='koboSpan']/text()", namespaces=NS)
    assert first[:2] == ["Work gets done through tasks, but it is sustained through relationships. ",
                         "Most leaders know this in principle. "]
    assert epubcheck_messages(outputs / "inner-leadership.kepub.epub") == []

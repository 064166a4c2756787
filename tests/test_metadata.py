"""What a publisher fills in (subtitle, series, ISBNs, contributors, publisher, rights) reaches the
EPUB's package document, the PDF's XMP, the web edition's <head>, and each output's copyright page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import NS, ROOT, Epub, build_into, copy_book, epubcheck_messages
from lxml import html
from pypdf import PdfReader

from octavo.imprint import PRISM

PUBLISHER_KEYS = """series = "Leading Well"
series-number = 2
isbn = { epub = "978-0-306-40615-7", print = "978-1-86197-271-2" }
contributors = [{ name = "Ada Lane", role = "editor" }, { name = "Ben Cho", role = "translator" }]
"""
COPYRIGHT = ["Inner Leadership: Preparing Yourself to Lead Others", "Maren Holt and David Okafor",
             "Leading Well, book 2", "Edited by Ada Lane", "Translated by Ben Cho",
             "Copyright © 2026 The octavo authors. Licensed under CC BY 4.0.",
             "Published by Octavo Sample Press, 27 November 2026.",
             "ISBN 9780306406157 (EPUB)", "ISBN 9781861972712 (print)"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample book with a publisher's metadata, built in every format."""
    work = tmp_path_factory.mktemp("published")
    book = copy_book(ROOT / "book", work / "book")
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[[book.parts]]", PUBLISHER_KEYS + "\n[[book.parts]]", 1),
                    encoding="utf-8")
    build_into(book, work / "dist", ["epub", "pdf", "web"], jobs=2)
    return work / "dist"


def lines(element: Callable[[], list[str]]) -> list[str]:
    return [" ".join(t.split()) for t in element() if t.strip()]


def test_the_epub_package_says_it_all(published: Path) -> None:
    epub = Epub(next(published.glob("*.epub")))
    assert epub.meta("title") == ["Inner Leadership", "Preparing Yourself to Lead Others"]
    refined = {(m.get("refines"), m.get("property")): m.text
               for m in epub.opf.xpath("//opf:meta[@refines]", namespaces=NS)}
    assert refined[("#title", "title-type")] == "main" and refined[("#subtitle", "title-type")] == "subtitle"
    series = epub.opf.xpath("//opf:meta[@property='belongs-to-collection']", namespaces=NS)
    assert [s.text for s in series] == ["Leading Well"]
    assert refined[(f"#{series[0].get('id')}", "collection-type")] == "series"
    assert refined[(f"#{series[0].get('id')}", "group-position")] == "2"
    assert "urn:isbn:9780306406157" in epub.meta("identifier")
    unique = epub.opf.get("unique-identifier")
    assert epub.opf.xpath(f"//dc:identifier[@id='{unique}']/text()", namespaces=NS)[0].startswith("urn:uuid:")
    contributors = epub.opf.xpath("//dc:contributor", namespaces=NS)
    assert [(c.text, refined[(f"#{c.get('id')}", "role")]) for c in contributors] == [
        ("Ada Lane", "edt"), ("Ben Cho", "trl")]
    assert epub.meta("rights") and epub.meta("publisher") == ["Octavo Sample Press"]
    page = epub.xml("copyright.xhtml")
    assert lines(lambda: [" ".join(p.itertext()) for p in page.xpath("//x:section/x:p", namespaces=NS)]) == COPYRIGHT
    assert epubcheck_messages(epub.path) == []


def test_the_pdf_metadata_and_copyright_page(published: Path) -> None:
    path = next(published.glob("*.pdf"))
    with pikepdf.open(path) as pdf:
        xmp = pdf.open_metadata()
        assert xmp["dc:publisher"] == {"Octavo Sample Press"}  # a Bag: a set in pikepdf
        assert xmp["dc:contributor"] == {"Ada Lane", "Ben Cho"}
        assert xmp["dc:identifier"] == "urn:isbn:9781861972712"
        assert xmp[f"{{{PRISM}}}subtitle"] == "Preparing Yourself to Lead Others"
        assert xmp[f"{{{PRISM}}}seriesTitle"] == "Leading Well"
        assert xmp["dc:rights"].startswith("Copyright © 2026")
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages[:6]]
    page = next(p for p in pages if "ISBN" in p)
    for line in COPYRIGHT:
        assert line in page
    assert "urn:uuid" not in page and "Identifier" not in page and "Made with octavo" not in page


def test_the_web_head_describes_the_book(published: Path) -> None:
    home = html.fromstring((published / "site" / "index.html").read_bytes())
    og = {m.get("property"): m.get("content") for m in home.xpath("//head/meta[@property]")}
    assert og["og:type"] == "book" and og["og:title"] == COPYRIGHT[0]
    assert og["book:isbn"] == "9780306406157" and og["book:release_date"] == "2026-11-27"
    data = json.loads(home.xpath("//head/script[@type='application/ld+json']")[0].text)
    assert data["@type"] == "Book" and data["name"] == "Inner Leadership"
    assert [a["name"] for a in data["author"]] == ["Maren Holt", "David Okafor"]
    assert data["translator"] == [{"@type": "Person", "name": "Ben Cho"}]
    assert data["publisher"]["name"] == "Octavo Sample Press"
    assert {e["isbn"] for e in data["workExample"]} == {"9780306406157", "9781861972712"}
    shown = [re.sub(r"\s+", " ", p.text_content()).strip() for p in home.xpath("//section[@class='copyright']/p")]
    assert shown == COPYRIGHT

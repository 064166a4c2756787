"""The copyright page's lines and the metadata a publisher fills in, made from [book]."""

from __future__ import annotations

import json

from octavo.config import Contributor, Metadata
from octavo.imprint import human_date, imprint, names, schema_book, xmp_fields

BOOK = Metadata(title="Inner Leadership", subtitle="Preparing Yourself", authors=("Maren Holt", "David Okafor"),
                identifier="urn:uuid:x", publisher="Sample Press", date="2026-11-27", series="Leading Well",
                series_number="2", isbns=(("epub", "9780306406157"), ("print", "9781861972712")),
                contributors=(Contributor("Ada Lane", "edt"), Contributor("Ben Cho", "trl"),
                              Contributor("Cy Dee", "edt")))


def test_names_as_a_sentence_lists_them() -> None:
    assert names(["A"]) == "A"
    assert names(["A", "B"]) == "A and B"
    assert names(["A", "B", "C"]) == "A, B and C"
    assert names([]) == ""


def test_dates_as_people_write_them() -> None:
    assert human_date("2026-11-27") == "27 November 2026"
    assert human_date("2026-03") == "March 2026"
    assert human_date("2026-11-27", "fr") == "27 novembre 2026"  # Babel's CLDR data, in the book's language
    assert human_date("2026-11-27", "de") == "27. November 2026"
    assert human_date("2026-11-27", "ja") == "2026年11月27日"
    assert human_date("2026-11", "ru") == "ноябрь 2026\u202fг."
    assert human_date("2026-02-30", "de") == "2026-02-30"  # no such day: kept as written
    assert human_date("Spring 2026") == "Spring 2026"
    assert human_date(None) == ""


def test_copyright_page_in_a_publishers_order() -> None:
    page = imprint(BOOK)
    assert page.title == "Inner Leadership: Preparing Yourself"
    assert page.lines == ("Maren Holt and David Okafor", "Leading Well, book 2", "Edited by Ada Lane and Cy Dee",
                          "Translated by Ben Cho", "Copyright © 2026 Maren Holt and David Okafor",
                          "Published by Sample Press, 27 November 2026.")
    assert page.isbns == ("ISBN 9780306406157 (EPUB)", "ISBN 9781861972712 (print)")
    assert not page.made_with_octavo
    bare = imprint(Metadata(title="T", identifier="urn:uuid:x"))
    assert bare.lines == () and bare.isbns == ()


def test_schema_org_book_cannot_close_its_script() -> None:
    text = schema_book(Metadata(title="</script><b>&", identifier="", authors=("A",)))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><b>&"
    data = json.loads(schema_book(BOOK, "https://example.org/cover.png"))
    assert data["@type"] == "Book" and data["alternativeHeadline"] == "Preparing Yourself"
    assert [p["name"] for p in data["editor"]] == ["Ada Lane", "Cy Dee"]
    assert data["isPartOf"] == {"@type": "BookSeries", "name": "Leading Well"} and data["position"] == "2"
    assert {e["isbn"] for e in data["workExample"]} == {"9780306406157", "9781861972712"}
    assert data["image"] == "https://example.org/cover.png"


def test_pdf_metadata_fields() -> None:
    fields = xmp_fields(BOOK)
    assert fields["dc:publisher"] == ["Sample Press"]
    assert fields["dc:contributor"] == ["Ada Lane", "Ben Cho", "Cy Dee"]
    assert fields["dc:identifier"] == "urn:isbn:9781861972712"

"""The PDF's page planning, on plain values: where each unit starts, the blank pages, the labels,
which sheets let folios be stamped on, the print body. No WeasyPrint, no build (tests/test_pdf.py
builds books and reads the PDFs)."""

from __future__ import annotations

from concurrent.futures import Future

from octavo.model import XRefIndex
from octavo.writers.pdf.body import print_body
from octavo.writers.pdf.folios import analyse, folio_html
from octavo.writers.pdf.jobs import LayoutResult
from octavo.writers.pdf.pages import Planner, Request, openings, page_labels, settle
from octavo.writers.pdf.units import Unit


def test_folios_can_be_stamped_only_when_the_sheets_allow_it() -> None:
    plain = "@page { @bottom-center { content: counter(page); } @top-left { content: string(t); } }"
    folios = analyse([plain, '@page :left { @bottom-left { content: "p. " counter(page) " of " counter(pages) } }'])
    assert folios is not None
    assert "@page  { @bottom-center { content: none; } }" in folios.without
    assert "@page  { @top-left { content: string(t); } }" in folios.without, "the cascade is repeated as it was"
    assert "@page :left { @bottom-left { content: none; } }" in folios.without
    assert "@page  { @top-left { content: none; } }" in folios.only
    assert "@page  { @bottom-center { content: counter(page); } }" in folios.only
    for sheet in ['@page { @bottom-center { content: string(t) " " counter(page) } }',
                  "@page { @top-right { content: element(head) counter(page, lower-roman) } }",
                  "@page :blank { @top-left { content: none } }",
                  'a::after { content: target-counter(attr(href), page) }',
                  "h1::before { content: counter(page) }",
                  '@import "more.css";']:
        assert analyse([plain, sheet]) is None, sheet
    wrapped = analyse(["@media print { @page :right { @bottom-right { content: counter(page) !important } } }"])
    assert wrapped is not None
    assert "@media print { @page :right { @bottom-right { content: none !important; } } }" in wrapped.without


def test_folio_document_repeats_the_named_pages() -> None:
    html = folio_html('<html lang="en">', [("right", "front-matter"), ("left", ""), ("right", "")])
    assert html is not None and html.count("<octavo-folio") == 3
    assert 'style="page: front-matter"' in html and 'style="page: auto"' in html and '<html lang="en">' in html
    assert folio_html("<html>", [("right", "a;b")]) is None


def test_openings_know_the_parity_of_right_hand_openings_before_the_counts() -> None:
    plan = [Unit("title", "Title", "front", ""), Unit("copyright", "Copyright", "front", "", recto=False),
            Unit("contents", "Contents", "front", "", numbered=True), Unit("one", "One", "body", ""),
            Unit("one.1", "One.1", "body", "", recto=False), Unit("two", "Two", "body", "")]
    assert openings(plan, {}) == {"title": (1, True), "copyright": (None, None), "contents": (None, True),
                                  "one": (1, True), "one.1": (None, None), "two": (None, True)}
    assert openings(plan, {"title": 1, "one": 3}) == {
        "title": (1, True), "copyright": (2, False), "contents": (None, True), "one": (1, True),
        "one.1": (4, False), "two": (None, True)}


def test_settle_lays_each_chapter_out_once_in_parallel() -> None:
    plan = [Unit("title", "Title", "front", ""), Unit("copyright", "Copyright", "front", "", recto=False),
            Unit("contents", "Contents", "front", "", numbered=True), Unit("one", "One", "body", ""),
            Unit("one.1", "One.1", "body", "", recto=False), Unit("two", "Two", "body", "")]
    pages = {"title": 1, "copyright": 1, "contents": 1, "one": 3, "one.1": 2, "two": 5}
    asked: list[Request] = []

    def submit(request: Request) -> Future[LayoutResult]:
        asked.append(request)
        unit = request.unit.id
        future: Future[LayoutResult] = Future()
        future.set_result(LayoutResult(unit, pages[unit], ((unit, 0),), (), (), b"" if request.write else None,
                                       start=request.start, stamped=not request.exact))
        return future

    slots, done = settle(plan, submit, stamp=True, jobs=2, order=sorted(plan, key=lambda u: -pages[u.id]))
    once = [(r.unit.id, r.start, r.exact) for r in asked if r.unit.id != "contents"]
    assert sorted(once) == [("copyright", 2, False), ("one", 1, False), ("one.1", 2, False), ("title", 1, False),
                            ("two", 1, False)]
    assert [(r.numbers is None, r.write) for r in asked if r.unit.id == "contents"] == [(True, False), (False, True)]
    assert [(slot.unit, slot.start) for slot in slots] == [
        ("title", 1), ("copyright", 2), ("contents", 3), (None, 4), ("one", 1), ("one.1", 4), (None, 6), ("two", 7)]
    assert set(done) == set(pages)
    asked.clear()
    settle(plan, submit, stamp=True, jobs=1)
    assert all(r.exact for r in asked) and [r.unit.id for r in asked].count("one") == 1




def test_planner_adds_blank_versos_and_labels_the_runs() -> None:
    plan = [Unit("cover", "Cover", "cover", ""), Unit("title", "Title", "front", ""),
            Unit("copyright", "Copyright", "front", "", recto=False), Unit("contents", "Contents", "front", ""),
            Unit("one", "One", "body", ""), Unit("two", "Two", "body", ""),
            Unit("two.1", "Two.1", "body", "", recto=False)]
    pages = {"cover": 1, "title": 1, "copyright": 1, "contents": 1, "one": 3, "two": 2, "two.1": 1}
    planner = Planner()
    for unit in plan:
        planner.start(unit)
        planner.add(unit, pages[unit.id])
    placed = [(slot.unit, slot.start, slot.pages, slot.first) for slot in planner.slots]
    assert placed == [("cover", 1, 1, 0), (None, 2, 1, 1), ("title", 1, 1, 2), ("copyright", 2, 1, 3),
                      ("contents", 3, 1, 4), (None, 4, 1, 5), ("one", 1, 3, 6), (None, 4, 1, 9),
                      ("two", 5, 2, 10), ("two.1", 7, 1, 12)]
    assert page_labels(planner.slots) == [(0, {"P": "Cover"}), (1, {"P": "Inside cover"}),
                                          (2, {"S": "r", "St": 1}), (6, {"S": "D", "St": 1})]
    assert [planner.slots[5].label(), planner.slots[8].label(1)] == ["iv", "6"]


NOTES = """<p>Text<sup class="noteref"><a href="octavo:ch#note-a" id="noteref-a" role="doc-noteref">1</a></sup>
and<sup class="noteref"><a href="octavo:ch#note-b" id="noteref-b" role="doc-noteref">2</a></sup>
again<sup class="noteref"><a href="octavo:ch#note-a" id="noteref-a-2" role="doc-noteref">1</a></sup>.</p>
<svg xmlns="http://www.w3.org/2000/svg" id="pic"><use href="#dot"/></svg>
<section class="footnotes" role="doc-endnotes">
<aside id="note-a" class="footnote" role="doc-footnote"><p><a class="note-number" href="octavo:ch#noteref-a"
 role="doc-backlink">1.</a> Short, see <a href="octavo:other#x">there</a>.</p><p>Second paragraph.</p></aside>
<aside id="note-b" class="footnote" role="doc-footnote"><p><a class="note-number" href="octavo:ch#noteref-b"
 role="doc-backlink">2.</a> LONG</p></aside>
</section>"""


def test_print_body_moves_short_notes_to_their_call_and_prefixes_ids() -> None:
    index = XRefIndex({"ch": frozenset({"note-a", "note-b", "noteref-a", "noteref-b"}), "other": frozenset({"x"})},
                      {})
    html = print_body(NOTES.replace("LONG", "long " * 300), "ch", index, {})
    assert ('<span class="noteref-anchor" id="ch--noteref-a"></span><span class="footnote" id="ch--note-a" '
            'role="doc-footnote" data-number="1">Short, see <a href="octavo-dest:other--x">there</a>.'
            '<span class="note-p">Second paragraph.</span></span>') in html
    assert '<a href="#ch--note-b" id="ch--noteref-b" role="doc-noteref">2</a>' in html, "a long note stays"
    assert '<a href="#ch--note-a" id="ch--noteref-a-2" role="doc-noteref">1</a>' in html, "a second call links"
    assert '<aside id="ch--note-b"' in html and '<aside id="ch--note-a"' not in html
    assert 'id="pic"' in html and 'href="#dot"' in html, "SVG keeps its own ids"
    assert 'class="footnotes"' not in print_body(NOTES.replace("LONG", "short"), "ch", index, {})

"""Lay a unit out again from a page on, keeping the pages before it as they are.

A unit is laid out a second (or third) time when :mod:`pdf_notes` finds a footnote that WeasyPrint
moved off the page of its call: the new rules touch one paragraph per such page, so every page
before the first paragraph they touch comes out the same. On pepys, 45 of its 122 units were laid
out again, which cost about a fifth of the PDF's CPU time, most of it spent making those same
pages again.

WeasyPrint already knows how to make a document again from a given page: its ``page_maker`` keeps,
for the start of every page, where the content resumes and the page's counters, and it remakes
only the pages flagged as changed when page-based counters need a second pass. That works within
one layout. This module carries it over to the next layout of the same HTML (so its elements are
the same objects), with the new rules: while a unit is laid out, :func:`layout` records the page
maker and the state at the start of each page; the next layout is seeded with the entries up to
the page it resumes at and with the pages before it, and WeasyPrint makes the rest.

It resumes only where the layout's state at that page is fully known and is the same as a whole
layout would have: no footnote or float carried over from the page before, one pagination pass,
no running elements, no target counters. Otherwise, or if WeasyPrint's internals are not the ones
this was written for, the unit is laid out whole, as before. The test suite checks that a resumed
layout gives the same bytes as a whole one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from weasyprint import CSS, HTML, Document
from weasyprint import layout as wlayout
from weasyprint.layout import page as wpage
from weasyprint.text.fonts import FontConfiguration

__all__ = ["Recording", "layout", "resume_page"]

SUPPORTED = all(callable(getattr(module, name, None)) for module, name in
                [(wlayout, "initialize_page_maker"), (wlayout, "make_all_pages"), (wpage, "remake_page"),
                 (wpage, "set_page_type_computed_styles")])


@dataclass(frozen=True)
class PageStart:
    """The layout's state when WeasyPrint began a page."""

    clean: bool  # no footnote and no broken float carried over from the page before
    waiting: tuple[Any, ...]  # the elements of the notes not placed yet, in order


@dataclass
class Recording:
    """What a layout leaves for the next one to resume from."""

    html: HTML
    page_maker: list[Any] = field(default_factory=list)
    starts: dict[int, PageStart] = field(default_factory=dict)
    raw: list[tuple[Any, list[Any], list[Any]]] = field(default_factory=list)  # page, children, root's
    passes: int = 0
    resumed_at: int = 0  # the page this layout was resumed at (0: laid out whole)
    usable: bool = True


@dataclass(frozen=True)
class _Seed:
    previous: Recording
    page: int


def layout(html: HTML, stylesheets: list[CSS], fonts: FontConfiguration,
           resume: tuple[Recording, int] | None = None) -> tuple[Document, Recording]:
    """Lay ``html`` out; from page ``resume[1]`` on if a previous layout of the same ``html`` is
    given and can be resumed there (else whole)."""
    recording = Recording(html)
    seed = _Seed(*resume) if resume and _can_resume(*resume, html) else None
    if not SUPPORTED:
        recording.usable = False
        return html.render(stylesheets=stylesheets, font_config=fonts), recording
    with _patched(recording, seed):
        document = html.render(stylesheets=stylesheets, font_config=fonts)
    recording.usable = recording.usable and recording.passes == 1 and len(recording.raw) == len(document.pages)
    return document, recording


def resume_page(document: Document, recording: Recording, elements: Iterable[Any]) -> int:
    """The page to resume at so that rules on ``elements`` are seen: the page before the first one
    any of them is on, moved back to a page that starts clean; 0 for a whole layout."""
    targets = set(elements)
    first = next((number for number, page in enumerate(document.pages)
                  if any(box.element in targets for box in _boxes(page))), 0)
    number = first - 1
    while number > 0 and not (number in recording.starts and recording.starts[number].clean):
        number -= 1
    return max(number, 0)


def _boxes(page: Any) -> Iterator[Any]:
    page_box = getattr(page, "_page_box", None)
    return iter(page_box.descendants()) if page_box is not None else iter(())


def _can_resume(previous: Recording, page: int, html: HTML) -> bool:
    """Whether ``previous``, a layout of the same ``html`` (the same elements), knows its state at
    ``page`` and it is one a layout can start from."""
    start = previous.starts.get(page)
    return (0 < page < min(len(previous.raw), len(previous.page_maker)) and previous.html is html
            and previous.usable and start is not None and start.clean)


@contextmanager
def _patched(recording: Recording, seed: _Seed | None) -> Iterator[None]:
    """WeasyPrint's page maker, watched (and seeded from ``seed``) for one layout."""
    initialize, make_all, remake = wlayout.initialize_page_maker, wlayout.make_all_pages, wpage.remake_page
    wlayout.initialize_page_maker = _initialize(initialize, recording, seed)
    wlayout.make_all_pages = _make_all(make_all, recording, seed)
    wpage.remake_page = _remake(remake, recording)
    try:
        yield
    finally:
        wlayout.initialize_page_maker, wlayout.make_all_pages, wpage.remake_page = initialize, make_all, remake


def _initialize(original: Callable[..., None], recording: Recording, seed: _Seed | None) -> Callable[..., None]:
    def initialize_page_maker(context: Any, root_box: Any) -> None:
        original(context, root_box)
        if seed is None:
            return
        waiting = seed.previous.starts[seed.page].waiting
        wanted = {id(element) for element in waiting}
        notes = [box for box in context.footnotes if id(box.element) in wanted]
        if tuple(box.element for box in notes) != waiting:
            return  # not the notes the previous layout had: lay out whole
        context.footnotes[:] = notes
        context.page_maker = [_entry(entry, number == seed.page)
                              for number, entry in enumerate(seed.previous.page_maker[:seed.page + 1])]
        recording.resumed_at = seed.page
        recording.starts.update({n: s for n, s in seed.previous.starts.items() if n < seed.page})
    return initialize_page_maker


def _plain(context: Any) -> bool:
    """No running elements and no target counters: nothing that a page reads from another."""
    collector = getattr(context, "target_collector", None)
    running = getattr(context, "running_elements", None)
    if running is None or any(boxes for pages in running.values() for boxes in pages.values()):
        return False
    return not getattr(collector, "counter_lookup_items", True)


def _entry(entry: tuple[Any, ...], changed: bool) -> tuple[Any, ...]:
    """A page maker entry of the previous layout, as a first pass of this one would have it."""
    resume_at, next_page, right_page, page_state, _ = entry
    page_state = copy.deepcopy(page_state)
    page_state[1]["pages"] = [0]  # the total is filled in after the pass
    remake_state = {"content_changed": changed, "pages_wanted": False, "anchors": [], "content_lookups": []}
    return copy.deepcopy(resume_at), copy.deepcopy(next_page), right_page, page_state, remake_state


def _make_all(original: Callable[..., Iterator[Any]], recording: Recording,
              seed: _Seed | None) -> Callable[..., Iterator[Any]]:
    def make_all_pages(context: Any, root_box: Any, html: Any, pages: list[Any]) -> Iterator[Any]:
        recording.passes += 1
        if recording.passes == 1 and not pages and recording.resumed_at and seed is not None:
            pages = [_restored(*raw) for raw in seed.previous.raw[:seed.page]]
        recording.raw = []
        for number, page in enumerate(original(context, root_box, html, pages)):
            if number < recording.resumed_at:  # kept: its styles, which the margin boxes use, are not made
                wpage.set_page_type_computed_styles(page.page_type, html, context.style_for)
            recording.raw.append((page, list(page.children), list(page.children[0].children)))
            yield page
        recording.page_maker = list(context.page_maker)
        recording.usable = recording.usable and _plain(context)
    return make_all_pages


def _restored(page: Any, children: list[Any], root_children: list[Any]) -> Any:
    """A page of the previous layout as its pass left it, before the margin boxes were added."""
    page.children = list(children)
    page.children[0].children = list(root_children)
    return page


def _remake(original: Callable[..., Any], recording: Recording) -> Callable[..., Any]:
    def remake_page(index: int, context: Any, root_box: Any, html: Any) -> Any:
        recording.starts[index] = PageStart(not context.reported_footnotes and not context.broken_out_of_flow,
                                            tuple(box.element for box in context.footnotes))
        return original(index, context, root_box, html)
    return remake_page

"""Lay a unit out again making only the pages that change, and keeping the others.

A unit is laid out a second (or third) time when :mod:`notes` finds a footnote that WeasyPrint
moved off the page of its call: the new rules touch one paragraph per such page, so most pages come
out the same. In a book with many footnotes, many units are laid out again, and most of that time
went into making those same pages again (benchmarks/README.md).

WeasyPrint already knows how to make only some pages of a document again: its ``page_maker`` keeps,
for the start of every page, where the content resumes and the page's counters; pages flagged as
changed are made again, and after one, a page whose starting state came out the same as before is
kept as it was (it does this when page-based counters need a second pass). That works within one
layout. This module carries it over to the next layout of the same HTML (so its elements are the
same objects), with the new rules: while a unit is laid out, :func:`layout` records the page maker,
the pages and the state at the start of each page; the next layout is seeded with them, the pages
the new rules touch flagged (:func:`pages_to_remake`), and WeasyPrint makes those and the ones
after them until it is back in step, keeping the rest. On the pepys chapter of the tests, 5 pages of
31 are made again instead of all 31.

WeasyPrint's own test for "back in step" leaves out the footnotes waiting to be placed, so a page is
kept only if those agree too, and after kept pages the list of waiting notes is brought up to date
before the next page is made. It keeps pages only where the layout's state is fully known and is
what a whole layout would have: no footnote or float carried over from the page before, one
pagination pass, no running elements, no target counters. Otherwise the unit is laid out whole, as
before. The test suite checks that the PDF is byte for byte the one a whole layout gives. It is one
of the patches behind the door (:mod:`octavo.writers.pdf.weasy`).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from weasyprint import CSS, HTML, Document
from weasyprint import layout as wlayout
from weasyprint.document import Page
from weasyprint.layout import page as wpage
from weasyprint.text.fonts import FontConfiguration

__all__ = ["Recording", "applies", "layout", "pages_to_remake"]


def applies() -> bool:
    """The functions this swaps are there, and a page keeps its page box (:func:`_boxes`)."""
    swapped = [(wlayout, "initialize_page_maker"), (wlayout, "make_all_pages"), (wpage, "remake_page"),
               (wpage, "set_page_type_computed_styles")]
    return (all(callable(getattr(module, name, None)) for module, name in swapped)
            and "self._page_box = " in inspect.getsource(Page.__init__))


@dataclass(frozen=True)
class PageStart:
    """The layout's state when WeasyPrint began a page."""

    clean: bool  # no footnote and no broken float carried over from the page before
    waiting: tuple[Any, ...]  # the elements of the notes not placed yet, in order


@dataclass
class Recording:
    """What a layout leaves for the next one to start from."""

    html: HTML
    page_maker: list[Any] = field(default_factory=list)
    starts: dict[int, PageStart] = field(default_factory=dict)
    raw: list[tuple[Any, list[Any], list[Any]]] = field(default_factory=list)  # page, children, root's
    made: set[int] = field(default_factory=set)  # the pages this layout made (the others it kept)
    notes: list[Any] = field(default_factory=list)  # every footnote box of the layout's tree, in order
    passes: int = 0
    usable: bool = True


@dataclass(frozen=True)
class _Seed:
    previous: Recording
    pages: frozenset[int]  # the pages to make again; WeasyPrint makes the ones after too, until it is back in step


class _Restart(Exception):
    """The layout reached a state the previous one cannot vouch for: lay out whole instead."""


def layout(html: HTML, stylesheets: list[CSS], fonts: FontConfiguration,
           again: tuple[Recording, frozenset[int]] | None = None) -> tuple[Document, Recording]:
    """Lay ``html`` out; if a previous layout of the same ``html`` is given with the pages to make
    again (:func:`pages_to_remake`), keep its other pages where the layout comes back in step."""
    seed = _Seed(*again) if again is not None and _can_reuse(*again, html) else None
    recording = Recording(html)
    finished = [(page, page.children, page.children[0].children) for page, _, _ in seed.previous.raw] if seed else []
    try:
        with _patched(recording, seed):
            document = html.render(stylesheets=stylesheets, font_config=fonts)
    except _Restart:
        for page, children, root_children in finished:  # the previous layout's pages, whole again
            page.children, page.children[0].children = children, root_children
        recording = Recording(html)
        with _patched(recording, None):
            document = html.render(stylesheets=stylesheets, font_config=fonts)
    recording.usable = recording.usable and recording.passes == 1 and len(recording.raw) == len(document.pages)
    return document, recording


def pages_to_remake(document: Document, recording: Recording, elements: Iterable[Any]) -> frozenset[int]:
    """The pages to make again so that new rules on ``elements`` are seen: every page each of them is
    on, and the ones before it back to a page that starts clean (at least one)."""
    where: dict[int, list[int]] = {}
    targets = {id(element) for element in elements}
    for number, page in enumerate(document.pages):
        for found in {id(box.element) for box in _boxes(page)} & targets:
            where.setdefault(found, []).append(number)
    pages: set[int] = set()
    for numbers in where.values():
        pages.update(range(_clean_before(recording, min(numbers) - 1), max(numbers) + 1))
    return frozenset(pages)


def _clean_before(recording: Recording, number: int) -> int:
    while number > 0 and not (number in recording.starts and recording.starts[number].clean):
        number -= 1
    return max(number, 0)


def _boxes(page: Any) -> Iterator[Any]:
    page_box = getattr(page, "_page_box", None)
    return iter(page_box.descendants()) if page_box is not None else iter(())


def _can_reuse(previous: Recording, pages: frozenset[int], html: HTML) -> bool:
    """Whether ``previous`` is a whole layout of the same ``html`` (the same elements) with the pages
    to make again; whether its state at each is one to start from is checked as they come."""
    known = min(len(previous.raw), len(previous.page_maker))
    return bool(pages) and previous.html is html and previous.usable and all(page < known for page in pages)


@contextmanager
def _patched(recording: Recording, seed: _Seed | None) -> Iterator[None]:
    """WeasyPrint's page maker, watched (and seeded from ``seed``) for one layout."""
    initialize, make_all, remake = wlayout.initialize_page_maker, wlayout.make_all_pages, wpage.remake_page
    wlayout.initialize_page_maker = _initialize(initialize, recording, seed)
    wlayout.make_all_pages = _make_all(make_all, recording, seed)
    wpage.remake_page = _remake(remake, recording, seed)
    try:
        yield
    finally:
        wlayout.initialize_page_maker, wlayout.make_all_pages, wpage.remake_page = initialize, make_all, remake


def _initialize(original: Callable[..., None], recording: Recording, seed: _Seed | None) -> Callable[..., None]:
    def initialize_page_maker(context: Any, root_box: Any) -> None:
        original(context, root_box)
        recording.notes = list(context.footnotes)
        if seed is not None:
            context.page_maker = [_entry(entry, number in seed.pages)
                                  for number, entry in enumerate(seed.previous.page_maker)]
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
        if recording.passes == 1 and seed is not None:
            pages = [page for page, _, _ in seed.previous.raw]
        recording.raw = []
        for number, page in enumerate(original(context, root_box, html, pages)):
            if seed is not None and number not in recording.made:  # kept from the previous layout
                _restored(*seed.previous.raw[number])  # as its pass left it, for the margin boxes to come
                wpage.set_page_type_computed_styles(page.page_type, html, context.style_for)  # theirs
                recording.starts[number] = seed.previous.starts[number]
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


def _remake(original: Callable[..., Any], recording: Recording, seed: _Seed | None) -> Callable[..., Any]:
    def remake_page(index: int, context: Any, root_box: Any, html: Any) -> Any:
        if seed is not None and index > 0 and index - 1 not in recording.made:
            _caught_up(context, recording, seed.previous.starts.get(index))
        recording.starts[index] = _start(context)
        made = original(index, context, root_box, html)
        recording.made.add(index)
        if seed is not None:
            _keep_next_only_if_in_step(context, index + 1, seed.previous)
        return made
    return remake_page


def _start(context: Any) -> PageStart:
    return PageStart(not context.reported_footnotes and not context.broken_out_of_flow,
                     tuple(box.element for box in context.footnotes))


def _caught_up(context: Any, recording: Recording, start: PageStart | None) -> None:
    """After kept pages, the notes still to place are the ones the previous layout had here; the
    pages kept did not take theirs off the list."""
    if start is None or not start.clean or context.reported_footnotes or context.broken_out_of_flow:
        raise _Restart
    waiting = {id(element) for element in start.waiting}
    context.footnotes[:] = [box for box in recording.notes if id(box.element) in waiting]
    if tuple(box.element for box in context.footnotes) != start.waiting:
        raise _Restart


def _keep_next_only_if_in_step(context: Any, number: int, previous: Recording) -> None:
    """WeasyPrint keeps the previous layout's next page when its page maker state is unchanged;
    that state leaves out the footnotes, so the page is kept only if those agree too."""
    if number >= len(context.page_maker) or number >= len(previous.raw):
        return
    remake_state = context.page_maker[number][-1]
    if remake_state["content_changed"]:
        return
    old = previous.starts.get(number)
    if old is None or not old.clean or _start(context) != old:
        remake_state["content_changed"] = True

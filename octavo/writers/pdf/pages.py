"""Page numbers: where each unit starts, the blank pages between them, and the PDF page labels.

A printed book has three runs of pages: the cover (unnumbered, with its blank inside), the front
matter numbered i, ii, iii, and the body from 1. A chapter, a part and the contents open on a
right-hand page, which has an odd number; when the page before it would leave it on the left,
a blank page goes in between. The front matter always ends on a left-hand page so that page 1
is a right-hand page.

:func:`settle` lays the units out until their page numbers agree with one another: a unit's
first page number depends on the length of all the units before it, and the contents depend on
the numbers of all the others. A layout either fits one first page number (its folios drawn) or
any of one parity (its folios left out, to be stamped on later); :func:`openings` tells what is
known of each unit's first page from the pages counted so far, so a unit that opens on a
right-hand page can be laid out before anything before it is, and one that follows on the next
page (a copyright page, an mdBook sub-chapter) waits until the parity of its first page is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from octavo.diagnostics import BookError, error
from octavo.writers.pdf.jobs import LayoutResult
from octavo.writers.pdf.units import Unit

Numbers = Mapping[str, str]  # anchor -> page label
MAX_ROUNDS = 5
ROMAN = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90), ("l", 50), ("xl", 40),
         ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))


def roman(number: int) -> str:
    result = ""
    for letters, value in ROMAN:
        while number >= value:
            result += letters
            number -= value
    return result


@dataclass(frozen=True)
class Slot:
    """A run of pages in the PDF: a unit's pages, or one blank page (``unit`` None)."""

    unit: str | None
    matter: str
    start: int  # the number of its first page
    pages: int
    first: int  # the index of its first page in the PDF

    def label(self, offset: int = 0) -> str:
        """The page label of its page ``offset``: "Cover", "iv", "17"."""
        if self.matter == "cover":
            return "Cover" if self.unit else "Inside cover"
        number = self.start + offset
        return roman(number) if self.matter == "front" else str(number)


@dataclass
class Planner:
    """Places units one after another, adding the blank pages that right-hand openings need."""

    slots: list[Slot] = field(default_factory=list)
    matter: str | None = None
    number: int = 1
    physical: int = 0

    def start(self, unit: Unit) -> int:
        """The number ``unit`` will open on; adds the blank page it needs before it, if any."""
        if unit.matter != self.matter:
            if self.matter == "cover" or (self.matter == "front" and self.number % 2 == 0):
                self._blank()
            self.matter, self.number = unit.matter, 1
        if unit.recto and unit.matter != "cover" and self.number % 2 == 0:
            self._blank()
        return self.number

    def add(self, unit: Unit, pages: int) -> None:
        self.slots.append(Slot(unit.id, unit.matter, self.number, pages, self.physical))
        self.physical += pages
        self.number += pages

    def _blank(self) -> None:
        self.slots.append(Slot(None, self.matter or "front", self.number, 1, self.physical))
        self.physical += 1
        self.number += 1


def numbers(slots: list[Slot], results: Mapping[str, LayoutResult]) -> dict[str, str]:
    """Every anchor of the book -> the label of the page it lands on."""
    found: dict[str, str] = {}
    for slot in slots:
        if slot.unit is not None and slot.unit in results:
            for name, offset in results[slot.unit].anchors:
                found.setdefault(name, slot.label(offset))
    return found


def page_labels(slots: list[Slot], covers: tuple[str, str] = ("Cover", "Inside cover")
                ) -> list[tuple[int, dict[str, Any]]]:
    """The /PageLabels number tree as (first page index, label dictionary) ranges; ``covers``
    names the cover and the blank page behind it, in the book's language."""
    ranges: list[tuple[int, dict[str, Any]]] = []
    matter = None
    for slot in slots:
        if slot.matter == "cover":
            ranges.append((slot.first, {"P": covers[0] if slot.unit else covers[1]}))
        elif slot.matter != matter:
            ranges.append((slot.first, {"S": "r" if slot.matter == "front" else "D", "St": slot.start}))
        matter = slot.matter
    return ranges


@dataclass(frozen=True)
class Request:
    """A layout :func:`settle` asks for.

    ``exact``: the folios are drawn for a first page numbered ``start``, so the layout fits only
    there. Otherwise they are left out, to be stamped on later (:mod:`folios`), and the layout
    fits any first page of the same parity as ``start`` (1 or 2). ``write`` False: it only counts.
    """

    unit: Unit
    start: int
    exact: bool
    numbers: Numbers | None = None
    write: bool = True

    def fits(self, opening: Opening) -> bool:
        start, odd = opening
        if self.exact:
            return start == self.start
        return odd is not None and odd == (self.start % 2 == 1)


Opening = tuple[int | None, bool | None]  # a unit's first page number and whether it is odd, if known
Submit = Callable[[Request], "Future[LayoutResult]"]


def openings(units: list[Unit], counts: Mapping[str, int]) -> dict[str, Opening]:
    """Each unit's first page number, or at least its parity, from the page counts known so far.

    A unit that opens on a right-hand page (and the first unit of a run) is odd whatever comes
    before it, so a chapter can be laid out before the chapters before it are counted.
    """
    found: dict[str, Opening] = {}
    matter: str | None = None
    number: int | None = 1
    odd: bool | None = True
    for unit in units:
        if unit.matter != matter:
            matter, number, odd = unit.matter, 1, True
        elif unit.recto and unit.matter != "cover":
            if number is not None and number % 2 == 0:
                number += 1  # a blank page before it
            odd = True
        found[unit.id] = (number, odd)
        pages = counts.get(unit.id)
        number = None if number is None or pages is None else number + pages
        odd = None if odd is None or pages is None else odd != (pages % 2 == 1)
    return found


@dataclass
class _Settling:
    """The state of :func:`settle`: the latest layout of each unit and the numbers they agree on."""

    units: list[Unit]
    submit: Submit
    order: list[Unit]
    stamp: bool
    jobs: int
    done: dict[str, tuple[Request, LayoutResult]] = field(default_factory=dict)
    current: Numbers | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {unit: result.pages for unit, (_, result) in self.done.items()}

    def want(self, unit: Unit, opening: Opening) -> Request | None:
        """The layout ``unit`` needs now, or None: it has a fitting one, or must wait for a count."""
        numbers = self.current if unit.numbered else None
        counting = unit.numbered and self.current is None  # laid out again once the numbers are known
        previous = self.done.get(unit.id)
        if previous is not None:
            request = previous[0]
            if request.fits(opening) and request.numbers == numbers and (request.write or counting):
                return None
        start, odd = opening
        if start is not None and (not self.stamp or self.jobs == 1):
            return Request(unit, start, True, numbers, not counting)
        if self.stamp and odd is not None:
            return Request(unit, 1 if odd else 2, False, numbers, not counting)
        if not self.stamp and previous is None and self.jobs > 1:  # count now, lay out when placed
            return Request(unit, 1 if odd is not False else 2, False, numbers, False)
        return None

    def lay_out(self) -> None:
        """Ask for layouts until every unit has one that fits, ``jobs`` at a time, in ``order``."""
        flying: dict[Future[LayoutResult], Request] = {}
        while True:
            known = openings(self.units, self.counts)
            busy = {request.unit.id for request in flying.values()}
            for unit in self.order:
                if len(flying) >= self.jobs:
                    break
                request = None if unit.id in busy else self.want(unit, known[unit.id])
                if request is not None:
                    flying[self.submit(request)] = request
            if not flying:
                return
            finished, _ = wait(flying, return_when=FIRST_COMPLETED)
            for future in finished:
                request = flying.pop(future)
                self.done[request.unit.id] = (request, future.result())


def settle(units: list[Unit], submit: Submit, *, stamp: bool, jobs: int = 1,
           order: list[Unit] | None = None) -> tuple[list[Slot], dict[str, tuple[Request, LayoutResult]]]:
    """Lay every unit out once where it can, until the contents' numbers agree with the pages.

    ``stamp``: units may be laid out before their first page number is known, at a nominal
    number of the right parity, their folios stamped on later; without it (the style sheets do
    not allow it) a parallel build first counts each unit's pages, then lays it out where it
    lands. With one job, units are laid out in reading order, each where it lands, so nothing is
    stamped. ``order``: the order to ask for layouts in (the largest first keeps every worker
    busy until the end). The contents and the part pages are laid out once to count their pages,
    then again once the numbers are known; a last round only checks that they still agree.
    """
    state = _Settling(units, submit, order or units, stamp, jobs)
    for _ in range(MAX_ROUNDS):
        state.lay_out()
        known = openings(units, state.counts)
        if any(unit.id not in state.done or not state.done[unit.id][0].fits(known[unit.id]) for unit in units):
            raise AssertionError("a unit was left without a fitting layout")
        results = {unit: result for unit, (_, result) in state.done.items()}
        slots = _place(units, state.counts)
        latest = numbers(slots, results)
        if latest == state.current:
            return slots, state.done
        state.current = latest
    raise BookError([error("pdf.pages", "page numbers did not settle: the contents keeps changing length",
                           "templates/pdf/contents.html.j2", hint="please report this book to octavo")])


def _place(units: list[Unit], counts: Mapping[str, int]) -> list[Slot]:
    planner = Planner()
    for unit in units:
        planner.start(unit)
        planner.add(unit, counts[unit.id])
    return planner.slots

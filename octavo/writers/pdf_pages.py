"""Page numbers: where each unit starts, the blank pages between them, and the PDF page labels.

A printed book has three runs of pages: the cover (unnumbered, with its blank inside), the front
matter numbered i, ii, iii, and the body from 1. A chapter, a part and the contents open on a
right-hand page, which has an odd number; when the page before it would leave it on the left,
a blank page goes in between. The front matter always ends on a left-hand page so that page 1
is a right-hand page.

:func:`settle` lays the units out until their page numbers agree with one another: a unit's
first page number depends on the length of all the units before it, and the contents depend on
the numbers of all the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from octavo.diagnostics import BookError, error
from octavo.writers.pdf_layout import LayoutResult
from octavo.writers.pdf_units import Unit

Numbers = Mapping[str, str]  # anchor -> page label
Submit = Callable[[Unit, int, Numbers | None], Callable[[], LayoutResult]]
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


def page_labels(slots: list[Slot]) -> list[tuple[int, dict[str, Any]]]:
    """The /PageLabels number tree as (first page index, label dictionary) ranges."""
    ranges: list[tuple[int, dict[str, Any]]] = []
    matter = None
    for slot in slots:
        if slot.matter == "cover":
            ranges.append((slot.first, {"P": slot.label()}))
        elif slot.matter != matter:
            ranges.append((slot.first, {"S": "r" if slot.matter == "front" else "D", "St": slot.start}))
        matter = slot.matter
    return ranges


def settle(units: list[Unit], submit: Submit, known: Mapping[str, LayoutResult] | None = None
           ) -> tuple[list[Slot], dict[str, LayoutResult]]:
    """Lay out every unit at its final first page number, with the contents' numbers filled in.

    ``known`` holds page counts and anchors from a first pass (a parallel build); without it a
    unit's count is waited for before the next unit is placed. Usually two rounds: everything,
    then the contents and the part pages with real numbers; a third only checks.
    """
    counts = {unit: result.pages for unit, result in (known or {}).items()}
    done: dict[str, tuple[tuple[int, Numbers | None], LayoutResult]] = {}
    current: Numbers | None = None
    if known:
        current = numbers(_place(units, counts), known)
    for _ in range(MAX_ROUNDS):
        planner = Planner()
        waiting: list[tuple[Unit, tuple[int, Numbers | None], Callable[[], LayoutResult]]] = []
        for unit in units:
            start = planner.start(unit)
            key = (start, current if unit.numbered else None)
            if unit.id not in done or done[unit.id][0] != key:
                pending = submit(unit, start, current)
                waiting.append((unit, key, pending))
                if unit.id not in counts:  # no first pass: wait for this one to place the next
                    counts[unit.id] = pending().pages
            planner.add(unit, counts[unit.id])
        for unit, key, pending in waiting:
            done[unit.id] = (key, pending())
            counts[unit.id] = done[unit.id][1].pages
        results = {unit: result for unit, (_, result) in done.items()}
        slots = _place(units, counts)
        latest = numbers(slots, results)
        if not waiting and latest == current:
            return slots, results
        current = latest
    raise BookError([error("pdf.pages", "page numbers did not settle: the contents keeps changing length",
                           "templates/pdf/contents.html.j2", hint="please report this book to octavo")])


def _place(units: list[Unit], counts: Mapping[str, int]) -> list[Slot]:
    planner = Planner()
    for unit in units:
        planner.start(unit)
        planner.add(unit, counts[unit.id])
    return planner.slots

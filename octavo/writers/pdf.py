"""The print PDF: WeasyPrint lays out each chapter on its own, pikepdf joins the pages.

One WeasyPrint document for a 2,000-page book is slow and holds every page in memory, so the book
is cut into units (:mod:`~octavo.writers.pdf_units`): cover, title page, copyright page,
contents, and each page of the reading order. A unit is laid out by
:func:`~octavo.writers.pdf_layout.layout_chapter`, a plain function that can run in a worker
process, knowing only the number of its first page. :func:`~octavo.writers.pdf_pages.settle`
finds those numbers (chapters open on a right-hand page, front matter in roman numerals) and
lays the contents out again once the numbers are known; :mod:`~octavo.writers.pdf_merge` joins
the units' PDFs, with live links between them, the outline, page labels and metadata.

With ``jobs > 1`` the units are laid out in a process pool twice: once to count their pages,
once at their final numbers (reusing what the first pass learnt about keeping footnotes on their
page). The serial path lays each chapter out once, in order, so the pool only pays with more
than one core: sherlock (354 pages) takes 26 s serially, 23 s with two workers on two cores.

Peak memory is one chapter's layout plus the finished units' PDF bytes: about 350 MB for pepys
(4,000 pages), where one WeasyPrint document for the whole book took 1.4 GB even without its notes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Protocol

import click

from octavo import styles
from octavo.book import Book
from octavo.diagnostics import BookError, Diagnostic, Severity, has_errors
from octavo.writers.pdf_layout import LayoutJob, LayoutResult, PrintSheet, forget_engines, layout_chapter
from octavo.writers.pdf_merge import Joined
from octavo.writers.pdf_pages import Numbers, Slot, page_labels, settle
from octavo.writers.pdf_units import Unit, UnitRenderer, units

if TYPE_CHECKING:
    from pathlib import Path

    from octavo.pipeline import Assembled

Report = Callable[[Diagnostic], None]


def write_pdf(assembled: Assembled, dest: Path, jobs: int = 1, report: Report | None = None) -> Path:
    """Write ``dest/<slug>.pdf``; raise :class:`BookError` for anything that would spoil it.

    ``report`` receives the warnings that do not stop the build (WeasyPrint's remarks about a
    book's own CSS, say); by default they are printed to stderr like other diagnostics.
    """
    sheets = print_sheets(assembled.book)
    renderer = UnitRenderer(assembled)
    plan = units(assembled)
    progress = Progress(plan)
    root = str(assembled.book.config.root)
    files = tuple(sorted((path, str(file.resolve())) for path, file in assembled.downloads.items()))

    def job(unit: Unit, start: int, numbers: Numbers | None, write: bool, rules: tuple[str, ...] = ()
            ) -> LayoutJob:
        return LayoutJob(unit.id, unit.source, renderer.html(unit, numbers), root, sheets, start, write,
                         renderer.endnotes(unit), rules, files)

    try:
        slots, results = _lay_out(plan, job, progress, jobs)
    finally:
        progress.done()
        forget_engines()
    problems = list(dict.fromkeys(p for result in results.values() for p in result.problems))
    if has_errors(problems):
        raise BookError(problems)
    path = dest / f"{assembled.slug}.pdf"
    problems += _join(slots, results, path, {unit.id: unit.source for unit in plan})
    if has_errors(problems):
        path.unlink(missing_ok=True)
        raise BookError(problems)
    for problem in problems:
        (report or _echo)(problem)
    return path


class JobMaker(Protocol):
    """Makes a unit's :class:`LayoutJob`; its HTML is rendered here, in the parent process."""

    def __call__(self, unit: Unit, start: int, numbers: Numbers | None, write: bool,
                 rules: tuple[str, ...] = ()) -> LayoutJob: ...


Pending = Callable[[], LayoutResult]


def _lay_out(plan: list[Unit], job: JobMaker, progress: Progress, jobs: int
             ) -> tuple[list[Slot], dict[str, LayoutResult]]:
    """Serially, each unit once in reading order; or in a pool, after a first pass that counts."""
    if jobs <= 1:
        def run(unit: Unit, start: int, numbers: Numbers | None) -> Pending:
            progress.step(unit, "laying out")
            result = layout_chapter(job(unit, start, numbers, True))
            return lambda: result

        return settle(plan, run)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        counted = pool.map(layout_chapter, [job(unit, 1, None, False) for unit in plan])
        first = {unit.id: progress.stepped(unit, "counting pages", result)
                 for unit, result in zip(plan, counted, strict=True)}

        def submit(unit: Unit, start: int, numbers: Numbers | None) -> Pending:
            future = pool.submit(layout_chapter, job(unit, start, numbers, True, first[unit.id].rules))
            return lambda: progress.stepped(unit, "laying out", future.result())

        return settle(plan, submit, first)


def _join(slots: list[Slot], results: dict[str, LayoutResult], path: Path, files: dict[str, str]
          ) -> list[Diagnostic]:
    joined = Joined()
    for slot in slots:
        if slot.unit is None:
            joined.blank()
        else:
            joined.append(slot, results[slot.unit])
    return joined.finish(page_labels(slots), path, files)


def print_sheets(book: Book) -> tuple[PrintSheet, ...]:
    """The style layers for print, each with the URL its url()s are relative to."""
    layered, problems = styles.layers(book, "pdf")
    if has_errors(problems):
        raise BookError(problems)
    root = book.config.root.resolve()
    result: list[PrintSheet] = []
    for sheet in layered.sheets:
        if sheet.origin == "default":
            result.append(PrintSheet(sheet.text, (styles.DEFAULTS / sheet.href.removeprefix("css/")).resolve()
                                     .as_uri(), sheet.href))
        else:
            path = "book.toml" if sheet.origin == "config" else sheet.origin
            result.append(PrintSheet(sheet.text, (root / path).as_uri(), path))
    return tuple(result)


class Progress:
    """"laying out 12/115: title" on stderr, for long books, when a person is watching."""

    def __init__(self, plan: list[Unit]) -> None:
        self.position = {unit.id: number for number, unit in enumerate(plan, 1)}
        self.shown = sys.stderr.isatty() and not os.environ.get("CI")
        self.used = False

    def step(self, unit: Unit, doing: str) -> None:
        if self.shown:
            self.used = True
            where = f"{self.position[unit.id]}/{len(self.position)}"
            click.echo(f"\r\x1b[K{doing} {where}: {unit.title[:50]}", err=True, nl=False)

    def stepped(self, unit: Unit, doing: str, result: LayoutResult) -> LayoutResult:
        self.step(unit, doing)
        return result

    def done(self) -> None:
        if self.used:
            click.echo("\r\x1b[K", err=True, nl=False)


def _echo(problem: Diagnostic) -> None:
    colour = "red" if problem.severity is Severity.ERROR else "yellow"
    click.secho(problem.format(), err=True, fg=colour)

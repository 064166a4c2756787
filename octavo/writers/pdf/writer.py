"""The print PDF: WeasyPrint lays out each chapter on its own, pikepdf joins the pages.

One WeasyPrint document for a 2,000-page book is slow and holds every page in memory, so the book
is cut into units (:mod:`~octavo.writers.pdf.units`): cover, title page, copyright page,
contents, and each page of the reading order. A unit is laid out by
:func:`~octavo.writers.pdf.layout.layout_chapter`, a plain function that can run in a worker
process; :func:`~octavo.writers.pdf.pages.settle` decides where each unit starts (chapters open on
a right-hand page, front matter in roman numerals) and lays the contents and the part pages out
again once the numbers are known; :mod:`~octavo.writers.pdf.merge` joins the units' PDFs, with
live links between them, the outline, page labels and metadata.

A unit's layout does not depend on its first page number, except for the folios' digits and for
which pages are left- and right-hand ones. So with ``jobs > 1`` every unit is laid out exactly
once, in a process pool, the largest first, as soon as the parity of its first page is known
(at once for a unit that opens on a right-hand page), with its folios left out; once all first
pages are known, a small folio document per unit is laid out in the pool too and stamped over
its pages (:mod:`~octavo.writers.pdf.folios`). Only the contents and the part pages, which show
other units' numbers, are laid out again. With one job, units are laid out in reading order,
each at its real number, folios and all, so nothing needs stamping. Style sheets whose folios
cannot be stamped (a page counter in the same margin box as a running head, say) make a
parallel build count each unit's pages first and lay it out again where it lands, the slower way.

Peak memory is one unit's layout per process plus the finished units' PDF bytes in this one.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import pikepdf
from markupsafe import Markup

from octavo import scriptfaces, styles, templates
from octavo.config import CONFIG_NAME, Metadata, key_line
from octavo.diagnostics import BookError, Diagnostic, error, has_errors, notice
from octavo.i18n import direction
from octavo.model import Assembled, Book, PrintPage
from octavo.options import Options, Progress
from octavo.paths import OutsideBook, book_relative
from octavo.pool import Pool, portable, workers
from octavo.stack import in_one_chunk
from octavo.writers.base import Writer
from octavo.writers.pdf import glyphs, weasy
from octavo.writers.pdf.body import url_maker
from octavo.writers.pdf.cache import CachedPool, salt
from octavo.writers.pdf.folios import analyse, root_tag
from octavo.writers.pdf.jobs import FolioJob, LayoutJob, LayoutResult, PrintSheet, Use
from octavo.writers.pdf.merge import Joined
from octavo.writers.pdf.pages import Request, Slot, page_labels, settle
from octavo.writers.pdf.printing import (
    Spread,
    cover_rules,
    finish_cover,
    interior_sheet,
    is_image,
    markdown_html,
    spread,
)
from octavo.writers.pdf.printing import band as printing_band
from octavo.writers.pdf.units import Unit, UnitRenderer, units

if TYPE_CHECKING:
    from pathlib import Path

Done = tuple[Request, LayoutResult]


def write_pdf(assembled: Assembled, dest: Path, options: Options) -> list[Path]:
    """Write ``dest/<slug>.pdf`` with ``options.jobs`` processes; raise :class:`BookError` for
    anything that would spoil it, and send ``options.report`` the warnings that do not
    (WeasyPrint's remarks about a book's own CSS, say). Each unit laid out is a step of
    ``options.progress``.

    In the print profile (``[pdf] profile = "print"``) the interior has no cover and a gutter for
    its page count, which is known only once it is laid out: it is laid out again, once, only if
    the count lands in a wider band than the one assumed; then ``dest/<slug>-cover.pdf`` is made
    for that count (:mod:`~octavo.writers.pdf.printing`)."""
    config = assembled.book.config
    printing = config.pdf.profile == "print"
    if printing:
        _check_print(assembled)
    renderer = UnitRenderer(assembled)
    plan = units(assembled, cover=not printing)
    progress = Steps(plan, options.progress)
    files = tuple(sorted((path, str(file.resolve())) for path, file in assembled.downloads.items()))
    chosen = 0
    with _workers(options.jobs) as laying_out:
        pool = CachedPool(laying_out, assembled.memo.area("pdf"), salt(assembled, dest.parent)
                          if assembled.memo.folder else "")
        while True:
            sheets = print_sheets(assembled.book, chosen if printing else None)
            slots, done, stamps = _lay_out_book(assembled, options, sheets, renderer, plan, progress, pool, files)
            count = slots[-1].first + slots[-1].pages
            if not printing or printing_band(count) <= chosen:
                break
            chosen = printing_band(count)
        results = {unit: result for unit, (_, result) in done.items()}
        problems = list(dict.fromkeys(p for result in results.values() for p in result.problems))
        problems += glyphs.missing(assembled.book, font_files(assembled.book))
        if has_errors(problems):
            raise BookError(problems)
        cover = _lay_out_cover(assembled, slots, results, renderer, pool, files) if printing else None
    if (off := weasy.version_notice()) is not None:
        problems.append(notice("pdf.weasyprint-version", off, hint=f"octavo is tested with WeasyPrint {weasy.PINNED}"))
    path = dest / f"{assembled.slug}.pdf"
    made, licences = assembled.built.strftime("D:%Y%m%d%H%M%SZ"), font_licences(assembled.book)
    problems += _join(slots, results, stamps, path, {unit.id: unit.source for unit in plan}, made,
                      config.meta.authors, config.meta, licences, printing and config.pdf.marks,
                      (config.words.label("cover"), config.words.label("inside-cover")))
    if has_errors(problems):
        path.unlink(missing_ok=True)
        raise BookError(problems)
    written = [path]
    if cover is not None:
        written.append(dest / f"{assembled.slug}-cover.pdf")
        finish_cover(*cover, written[-1], made, licences)
    for problem in dict.fromkeys([*problems, *renderer.problems]):  # a chapter can be rendered twice
        options.report(problem)
    options.print_pages(print_pages(slots, results, {unit.id: unit for unit in plan}))
    return written


def _lay_out_book(assembled: Assembled, options: Options, sheets: tuple[PrintSheet, ...], renderer: UnitRenderer,
                  plan: list[Unit], progress: Steps, pool: CachedPool, files: tuple[tuple[str, str], ...]
                  ) -> tuple[list[Slot], dict[str, Done], dict[str, bytes]]:
    """Every unit laid out where it lands, with these sheets, and the folios to stamp on."""
    mode = weasy.mode()
    # Stamping folios on needs each page's kind, read from WeasyPrint's internals (weasy.kinds).
    folios = analyse([sheet.text for sheet in sheets]) if mode != "off" else None
    root = str(assembled.book.config.root)
    shared = shared_uses(assembled)

    def job(request: Request) -> LayoutJob:
        unit = request.unit
        chapter = unit.page.chapter if unit.page is not None else None
        own = tuple((path, chapter.source, line) for path, line in chapter.uses) if chapter is not None else ()
        return LayoutJob(unit.id, unit.source, renderer.html(unit, request.numbers), root, sheets, request.start,
                         request.write, renderer.endnotes(unit, request.numbers), (),
                         None if request.exact or folios is None else folios.without, files, own + shared, mode)

    def folio_job(slot: Slot, done: Done) -> FolioJob:
        request, result = done
        assert folios is not None
        return FolioJob(request.unit.id, root, sheets, folios.only, slot.start, result.kinds,
                        root_tag(renderer.html(request.unit, request.numbers)), files, mode)

    slots, done = _lay_out(plan, job, progress, pool, options.jobs, folios is not None)
    return slots, done, _stamp(slots, done, folio_job, job, pool)


def _check_print(assembled: Assembled) -> None:
    """The print profile needs a front cover, and a back cover (if named) inside the book."""
    book = assembled.book
    problems: list[Diagnostic] = []
    if not book.cover:
        problems.append(error("pdf.print", "the print profile makes a cover PDF, but the book has no cover",
                              book.config.file, key_line(book.config.root, "profile"),
                              hint='add cover = "images/cover.png" under [book] (an SVG or a raster image, '
                                   'the front cover at the trim size), or use profile = "screen"'))
    back = book.config.pdf.back_cover
    if back is not None:
        try:
            found = book_relative(book.config.root, "", back)
        except OutsideBook:
            found = None
        if found is None or not (book.config.root / found).is_file():
            problems.append(error("pdf.back-cover", f"back cover '{back}' is not a file in the book folder",
                                  book.config.file, key_line(book.config.root, "back-cover"),
                                  hint="a Markdown file (.md) with the back cover's text, or an image, "
                                       "inside the book folder"))
    if problems:
        raise BookError(problems)


def _lay_out_cover(assembled: Assembled, slots: list[Slot], results: dict[str, LayoutResult],
                   renderer: UnitRenderer, pool: CachedPool, files: tuple[tuple[str, str], ...]
                   ) -> tuple[bytes, Spread]:
    """The cover's PDF, laid out like a unit, for the interior's trim (its first page's TrimBox)
    and page count, and its geometry."""
    book = assembled.book
    first = results[slots[0].unit or ""].pdf
    assert first is not None
    with pikepdf.open(io.BytesIO(first)) as pdf:
        left, bottom, right, top = (float(v) for v in pdf.pages[0].trimbox)
    rtl = direction(book.config.meta.language, book.config.direction) == "rtl"
    cover = spread(right - left, top - bottom, slots[-1].first + slots[-1].pages, book.config.pdf, rtl)
    back = book.config.pdf.back_cover
    back_text = None
    if back is not None and not is_image(back):
        back_text, more = markdown_html(book.config.root / back, book.config.meta.language, back)
        renderer.problems += more
    html = templates.render(renderer.env, "pdf/printcover.html.j2", cover=book.cover,
                            back_image=back if back is not None and is_image(back) else None,
                            back_text=Markup(back_text) if back_text is not None else None,
                            spine_text=cover.spine_text, **renderer.common, title=book.config.meta.title,
                            matter="cover", url=url_maker("octavo--printcover"), page_number=lambda *_: "")
    line = key_line(book.config.root, "back-cover")
    uses = (*shared_uses(assembled), *(((back, book.config.file, line),) if back is not None else ()))
    job = LayoutJob("octavo--printcover", book.config.file, html, str(book.config.root),
                    print_sheets(book, None), rules=(cover_rules(cover),), files=files, uses=uses,
                    weasy=weasy.mode())
    result = pool.submit(layout_chapter, job).result()
    if has_errors(result.problems):
        raise BookError(list(result.problems))
    assert result.pdf is not None
    return result.pdf, cover


def print_pages(slots: list[Slot], results: dict[str, LayoutResult], plan: dict[str, Unit]) -> tuple[PrintPage, ...]:
    """Where each page of the reading order's units begins, with its label, for the EPUB's
    page-list. Pages of octavo's own front matter (title page, contents), blank pages and pages
    without text have none; so does every page when WeasyPrint's pages cannot be read."""
    found: list[PrintPage] = []
    for slot in slots:
        unit = plan.get(slot.unit or "")
        if unit is None or unit.page is None:
            continue
        found += [PrintPage(slot.label(offset), unit.page.id, words)
                  for offset, words in enumerate(results[unit.id].starts) if words]
    return tuple(found)


WRITER = Writer("print PDF", ("pdf",), write_pdf)


class JobMaker(Protocol):
    """Makes the :class:`LayoutJob` of a request; its HTML is rendered here, in the parent process."""

    def __call__(self, request: Request) -> LayoutJob: ...


@portable  # reads the book under job.root, returns the PDF's bytes
@in_one_chunk
def layout_chapter(_: None, job: LayoutJob) -> LayoutResult:
    """:func:`layout.layout_chapter`, imported where it runs (a worker), not where it is sent from."""
    from octavo.writers.pdf.layout import layout_chapter as run

    return run(job)


@portable
@in_one_chunk
def layout_folios(_: None, job: FolioJob) -> bytes | None:
    """:func:`layout.layout_folios`, imported where it runs."""
    from octavo.writers.pdf.layout import layout_folios as run

    return run(job)


@contextmanager
def _workers(jobs: int) -> Iterator[Pool[None]]:
    """``jobs`` fresh worker processes; spawned, not forked, so they do not carry a copy of the book.

    A forked worker begins with this process's memory (the whole book, rendered), several times
    what a new interpreter that imports WeasyPrint needs (benchmarks/README.md).
    """
    with workers(jobs, None, start="spawn") as pool:
        try:
            yield pool
        finally:
            if jobs <= 1:
                from octavo.writers.pdf.layout import forget_engines

                forget_engines()  # this process's fonts and sheets, until the next build


def _lay_out(plan: list[Unit], job: JobMaker, progress: Steps, pool: CachedPool, jobs: int, stamp: bool
             ) -> tuple[list[Slot], dict[str, Done]]:
    """Every unit laid out where it lands (serially) or once at a nominal first page (in a pool)."""

    def submit(request: Request) -> Future[LayoutResult]:
        progress.step(request.unit)
        return pool.submit(layout_chapter, job(request))

    order = plan if jobs <= 1 else sorted(plan, key=lambda unit: -_size(unit))
    return settle(plan, submit, stamp=stamp, jobs=jobs, order=order)


def _size(unit: Unit) -> int:
    """How much there is to lay out, read from the chapter's HTML: rendering every unit's page to
    measure it would keep the workers waiting."""
    chapter = unit.page.chapter if unit.page is not None else None
    return len(chapter.html) if chapter is not None else 0


def _stamp(slots: list[Slot], done: dict[str, Done], folio_job: Callable[[Slot, Done], FolioJob],
           job: JobMaker, pool: CachedPool) -> dict[str, bytes]:
    """The folio document of each unit laid out without folios, now that its first page is known.

    Should one not come out with the same pages (WeasyPrint changed, say), that unit is laid out
    again at its real first page, folios and all; it keeps its page count, as its parity is right.
    ``done`` is updated with those layouts.
    """
    placed = sorted((slot for slot in slots if slot.unit is not None and done[slot.unit][1].stamped),
                    key=lambda slot: -slot.pages)
    futures = [(slot, pool.submit(layout_folios, folio_job(slot, done[slot.unit or ""]))) for slot in placed]
    stamps: dict[str, bytes] = {}
    for slot, future in futures:
        unit = slot.unit or ""
        pdf = future.result()
        if pdf is not None:
            stamps[unit] = pdf
            continue
        request, before = done[unit]
        again = replace(request, start=slot.start, exact=True)
        result = pool.submit(layout_chapter, replace(job(again), rules=before.rules)).result()
        if result.pages != before.pages:
            raise BookError([error("pdf.pages", f"'{unit}' changed length when laid out again", request.unit.source,
                                   hint="please report this book to octavo")])
        done[unit] = (again, result)
    return stamps


def _join(slots: list[Slot], results: dict[str, LayoutResult], stamps: dict[str, bytes], path: Path,
          files: dict[str, str], created: str, authors: tuple[str, ...] = (),
          book: Metadata | None = None, attachments: Mapping[str, bytes] | None = None,
          crop_marks: bool = False, covers: tuple[str, str] = ("Cover", "Inside cover")) -> list[Diagnostic]:
    joined = Joined(created, authors, book, attachments, crop_marks)
    for slot in slots:
        if slot.unit is None:
            joined.blank()
        else:
            joined.append(slot, results[slot.unit], stamps.get(slot.unit))
    return joined.finish(page_labels(slots, covers), path, files)


def font_licences(book: Book) -> dict[str, bytes]:
    """The licences the OFL asks to travel with the fonts, attached to the PDF that embeds them:
    octavo's book face's as ``Alegreya-OFL.txt``, and the Noto faces' for other scripts the text
    is drawn with as ``Noto-OFL.txt``, headed by each face's copyright."""
    licences = {f"Alegreya-{file.name}": file.read_bytes()
                for href, file in styles.book_face_files(book, "pdf") if file.suffix == ".txt"}
    faces = scriptfaces.pdf_faces(book)
    if faces:
        licences["Noto-OFL.txt"] = scriptfaces.licence(faces)
    return licences


def font_files(book: Book) -> list[Path]:
    """The font files the PDF's sheets bring besides the installed ones: the book face's and
    those the book's own sheets load with ``@font-face`` (the others are skipped by suffix)."""
    root = book.config.root
    return [*(file for _, file in styles.book_face_files(book, "pdf")),
            *(root / asset for asset in styles.layers(book, "pdf")[0].assets)]


def shared_uses(assembled: Assembled) -> tuple[Use, ...]:
    """Where the files every unit may load are used: the cover and its files in book.toml, the
    style sheets' files at their url()s."""
    book = assembled.book
    line = key_line(book.config.root, "cover")
    cover = [(path, CONFIG_NAME, line) for path in ([book.cover] if book.cover else []) + list(book.cover_files)]
    return (*cover, *styles.layers(book, "pdf")[0].uses)


def print_sheets(book: Book, chosen: int | None = None) -> tuple[PrintSheet, ...]:
    """The style layers for print, each with the URL its url()s are relative to; after octavo's
    and book.toml's ``[style]``, before the book's own sheets, the page rules of ``[pdf]`` (the
    print profile's for gutter band ``chosen``; None: the screen profile)."""
    layered, problems = styles.layers(book, "pdf")
    if has_errors(problems):
        raise BookError(problems)
    root = book.config.root.resolve()
    result: list[PrintSheet] = []
    page = interior_sheet(book.config.pdf, dict(book.config.style.variables).get("page-margins"), chosen)
    for sheet in layered.sheets:
        if page and sheet.origin not in ("default", "config"):
            result.append(PrintSheet(page, (root / CONFIG_NAME).as_uri(), f"{CONFIG_NAME} [pdf]"))
            page = ""
        if sheet.origin == "default":
            result.append(PrintSheet(sheet.text, (styles.DEFAULTS / sheet.href.removeprefix("css/")).resolve()
                                     .as_uri(), sheet.href))
        else:
            path = "book.toml" if sheet.origin == "config" else sheet.origin
            result.append(PrintSheet(sheet.text, (root / path).as_uri(), path))
    if page:
        result.append(PrintSheet(page, (root / CONFIG_NAME).as_uri(), f"{CONFIG_NAME} [pdf]"))
    return tuple(result)


class Steps:
    """Each unit as it is sent to be laid out, as a step of ``progress`` (the command line draws it)."""

    def __init__(self, plan: list[Unit], progress: Callable[[Progress], None]) -> None:
        self.position = {unit.id: number for number, unit in enumerate(plan, 1)}
        self.progress = progress

    def step(self, unit: Unit) -> None:
        self.progress(Progress("pdf", self.position[unit.id], len(self.position), unit.title))

"""What goes to and comes back from a layout worker: plain picklable values, and no WeasyPrint.

Kept apart from :mod:`~octavo.writers.pdf.layout` so that the process that plans and joins the
PDF need not import WeasyPrint (tens of megabytes) when its workers do the layouts.
"""

from __future__ import annotations

from dataclasses import dataclass

from octavo.diagnostics import Diagnostic
from octavo.writers.pdf.folios import PageKind
from octavo.writers.pdf.weasy import Mode

Use = tuple[str, str, int | None]  # (book path of a file, the file that uses it, the line there)


@dataclass(frozen=True)
class PrintSheet:
    """A style sheet as WeasyPrint gets it: its text, where its url()s are relative to, its origin."""

    text: str
    base_url: str
    origin: str


@dataclass(frozen=True)
class LayoutJob:
    """Everything one unit's layout needs; plain values, so it can be sent to another process."""

    unit: str
    source: str
    html: str
    root: str
    sheets: tuple[PrintSheet, ...]
    start: int = 1  # the number of its first page; a nominal 1 or 2 when ``without_folios`` is set
    write: bool = True  # False: only count the pages
    endnotes: str | None = None  # the unit with its notes at the chapter's end, should a footnote be lost
    rules: tuple[str, ...] = ()  # CSS that kept footnotes on their page in an earlier layout
    without_folios: str | None = None  # CSS that leaves the folios out, to be stamped on later
    files: tuple[tuple[str, str], ...] = ()  # (book path, file) of each downloaded image
    uses: tuple[Use, ...] = ()  # where each file the unit may load is used, for WeasyPrint's complaints
    weasy: Mode = "patched"  # which of octavo's patches and readers of WeasyPrint are used (weasy.Mode)


@dataclass(frozen=True)
class Bookmark:
    level: int
    label: str
    page: int  # index of the page within the unit
    x: float  # CSS pixels from the top left of the page
    y: float


@dataclass(frozen=True)
class LayoutResult:
    unit: str
    pages: int
    anchors: tuple[tuple[str, int], ...]  # (id, index of the page it is on)
    bookmarks: tuple[Bookmark, ...]
    problems: tuple[Diagnostic, ...]
    pdf: bytes | None = None
    rules: tuple[str, ...] = ()  # see LayoutJob.rules
    start: int = 1  # the number of its first page in this layout (see LayoutJob.start)
    stamped: bool = False  # laid out without folios: they are stamped on from a folio document
    kinds: tuple[PageKind, ...] = ()  # each page's side and name, for the folio document
    seconds: tuple[float, ...] = ()  # CPU time of each layout (first, then the footnote rounds) and the write
    starts: tuple[str, ...] = ()  # each page's first words, for the EPUB's page-list (weasy.page_starts)


@dataclass(frozen=True)
class FolioJob:
    """A unit's folio document: its pages' kinds, its real first page number, the sheets."""

    unit: str
    root: str
    sheets: tuple[PrintSheet, ...]
    only_folios: str  # CSS that leaves out everything but the folios (folios.Folios.only)
    start: int
    kinds: tuple[PageKind, ...]
    html_tag: str  # the unit's <html ...> start tag
    files: tuple[tuple[str, str], ...] = ()  # as in LayoutJob, so both share a worker's engine
    weasy: Mode = "patched"  # as in LayoutJob

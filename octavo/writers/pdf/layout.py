"""WeasyPrint, one unit at a time, behind a fence: the only module of the PDF writer that runs it.

:func:`layout_chapter` takes and returns plain picklable values, so it runs as well in a worker
process as in this one. WeasyPrint only logs what goes wrong (a missing image is a log line and
an empty box), so each run records what the URL fetcher refused and what WeasyPrint logged, and
hands those back as octavo diagnostics for the writer to raise.

The fetcher lets WeasyPrint read ``file:`` URLs inside the book folder (after resolving symlinks)
and inside octavo's own styles/, ``data:`` URLs, and the images the build downloaded (with
``--allow-remote``), each only at its book path (``remote/<hash>.png``); nothing else, so a
chapter or a style sheet can never pull ``/etc/passwd`` or a web page into the PDF.

What reads or replaces WeasyPrint's internals is behind :mod:`~octavo.writers.pdf.weasy`; each
run brings it to the mode its job says (``weasy``), and reports what does not apply.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import md5
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from octavo.diagnostics import Diagnostic, error, notice, warning
from octavo.styles import DEFAULTS as STYLES
from octavo.writers.pdf import footnotes, weasy
from octavo.writers.pdf.folios import first_side, folio_html
from octavo.writers.pdf.jobs import Bookmark, FolioJob, LayoutJob, LayoutResult, PrintSheet

if TYPE_CHECKING:
    from octavo.writers.pdf.weasy.resume import Recording

__all__ = ["BookFetcher", "Engine", "FolioJob", "LayoutJob", "LayoutResult", "PrintSheet", "forget_engines",
           "layout_chapter", "layout_folios"]

LOGGER = "weasyprint"
NOTE_ROUNDS = 3  # extra layouts of a unit at most, to keep footnotes on the page of their call


class BookFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files of the book, of octavo's styles and the downloaded images; refuses every other
    URL, and remembers it."""

    def __init__(self, root: Path, files: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self.root = root.resolve()
        self.folders = (self.root, STYLES.resolve())
        self.files = {path: Path(file) for path, file in files}
        self.refused: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        download = self._download(url)
        if download is not None:
            kind = mimetypes.guess_type(download.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, download.read_bytes(), {"Content-Type": kind})
        reason = self._refusal(url)
        if reason is not None:
            self.refused.append((url, reason))
            raise ValueError(f"octavo refused {url}: {reason}")
        path = self._path(url).resolve()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    @staticmethod
    def _path(url: str) -> Path:
        return Path(url2pathname(unquote(urlsplit(url).path)))

    def _download(self, url: str) -> Path | None:
        """The cached file of a downloaded image the chapter asks for at its book path; the
        cache folder itself stays closed, as does every other path."""
        if not url.startswith("file:"):
            return None
        path = Path(os.path.normpath(self._path(url)))
        if not path.is_relative_to(self.root):
            return None
        return self.files.get(path.relative_to(self.root).as_posix())

    def _refusal(self, url: str) -> str | None:
        if not url.startswith("file:"):
            return "only files inside the book folder can be used"
        real = self._path(url).resolve()
        if not any(real.is_relative_to(folder) for folder in self.folders):
            return "the file is outside the book folder"
        if not real.is_file():
            return "the file does not exist"
        return None


class _Capture(logging.Handler):
    """Collects WeasyPrint's warnings and errors instead of letting them reach the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured() -> Iterator[_Capture]:
    logger = logging.getLogger(LOGGER)
    handler, propagate = _Capture(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class Engine:
    """WeasyPrint's state for one book in one process: fonts, parsed style sheets, the fetcher."""

    def __init__(self, root: str, sheets: tuple[PrintSheet, ...], files: tuple[tuple[str, str], ...] = ()) -> None:
        self.root = Path(root)
        self.fonts = FontConfiguration()
        self.fetcher = BookFetcher(self.root, files)
        self.base_url = self.root.resolve().as_uri() + "/"
        self.css: list[CSS] = []
        problems: list[Diagnostic] = []
        for sheet in sheets:
            self.fetcher.refused.clear()
            with captured() as log:
                self.css.append(CSS(string=sheet.text, base_url=sheet.base_url, font_config=self.fonts,
                                    url_fetcher=self.fetcher))
            problems += self._problems(sheet.origin, log.records)
        self.sheet_problems = tuple(problems)
        self.seconds: list[float] = []  # CPU time of each layout of the current run

    def run(self, job: LayoutJob) -> LayoutResult:
        unapplied = _switch(job.weasy)
        self.fetcher.refused.clear()
        self.seconds = []
        with captured() as log:
            document, rules, fallback = self._with_notes(job)
            clock = time.process_time()
            pdf = _write(document, job.unit) if job.write else None
            self.seconds.append(time.process_time() - clock)
        anchors: dict[str, int] = {}
        bookmarks: list[Bookmark] = []
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
            bookmarks += [Bookmark(level, label, number, x, y) for level, label, (x, y), _ in page.bookmarks]
        problems = unapplied + self.sheet_problems + self._problems(job.source, log.records) + fallback
        return LayoutResult(job.unit, len(document.pages), tuple(anchors.items()), tuple(bookmarks),
                            problems, pdf, rules, job.start, job.without_folios is not None,
                            weasy.page_kinds(document), tuple(self.seconds))

    def folios(self, job: FolioJob) -> bytes | None:
        """The folio document's PDF; None if its pages do not come out of the same kinds."""
        source = folio_html(job.html_tag, job.kinds)
        _switch(job.weasy)
        if source is None or not job.kinds or not weasy.reading():
            return None
        ours = "\n".join([f"@page :first {{ counter-reset: page {job.start}; }}", first_side(job.kinds[0][0]),
                          job.only_folios])
        with captured():
            document = HTML(string=source, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=[*self.css, CSS(string=ours, font_config=self.fonts)], font_config=self.fonts)
            if weasy.page_kinds(document) != job.kinds:
                return None
            return _write(document, f"{job.unit} folios")

    def _with_notes(self, job: LayoutJob) -> tuple[Document, tuple[str, ...], tuple[Diagnostic, ...]]:
        """The unit's layout; with its notes at the chapter's end if WeasyPrint drops a footnote."""
        html = HTML(string=job.html, base_url=self.base_url, url_fetcher=self.fetcher)
        document, rules = self._keep_notes(job, html)
        missing = footnotes.lost(document, html)
        if not missing:
            return document, rules, ()
        if job.endnotes is None:
            return document, rules, (error("pdf.footnote", f"WeasyPrint lost {len(missing)} footnote(s)",
                                           job.source),)
        message = (f"WeasyPrint could not place {len(missing)} footnote(s) at the foot of a page; "
                   "this chapter's notes are printed at its end")
        html = HTML(string=job.endnotes, base_url=self.base_url, url_fetcher=self.fetcher)
        return self._render(html, job, [])[0], (), (warning("pdf.footnote", message, job.source),)

    def _keep_notes(self, job: LayoutJob, html: HTML) -> tuple[Document, tuple[str, ...]]:
        """Lay out; with the patches on, again with the rules of ``weasy.notes`` while that brings
        notes back, each time making again only the pages the new rules touch and the ones after
        them, until the layout is back in step with the previous one (``weasy.resume``)."""
        rules = list(job.rules)
        best, recording = self._render(html, job, rules)
        left, kept = len(footnotes.displaced(best, html)), tuple(rules)
        for _ in range(NOTE_ROUNDS):
            more = [fix for fix in weasy.fixes(best, html) if fix.rule not in rules] if left else []
            if not more:
                break
            rules += [fix.rule for fix in more]
            pages = weasy.pages_to_remake(best, recording, [fix.element for fix in more])
            again = (recording, pages) if recording is not None else None
            document, later = self._render(html, job, rules, again)
            now = len(footnotes.displaced(document, html))
            if now >= left:
                break
            best, recording, left, kept = document, later, now, tuple(rules)
        return best, kept

    def _render(self, html: HTML, job: LayoutJob, rules: list[str],
                again: tuple[Recording, frozenset[int]] | None = None) -> tuple[Document, Recording | None]:
        """One layout (keeping pages of an earlier one but ``again[1]``, if given); its first page
        is a left-hand one when it has an even number."""
        clock = time.process_time()
        side = first_side("left" if job.start % 2 == 0 else "right")
        ours = "\n".join([f"@page :first {{ counter-reset: page {job.start}; }}", side, job.without_folios or "",
                          *rules])
        sheets = [*self.css, CSS(string=ours, font_config=self.fonts)]
        laid_out = weasy.render(html, sheets, self.fonts, again)
        self.seconds.append(time.process_time() - clock)
        return laid_out

    def _problems(self, source: str, records: list[logging.LogRecord]) -> tuple[Diagnostic, ...]:
        refused = [error("pdf.fetch", f"the PDF cannot use '{self._shown(url)}': {reason}", source,
                         hint="images and fonts must be files inside the book folder")
                   for url, reason in self.fetcher.refused]
        logged = [_logged(r, source) for r in records
                  if not any(url in r.getMessage() for url, _ in self.fetcher.refused)]
        return tuple(dict.fromkeys([*refused, *logged]))


    def _shown(self, url: str) -> str:
        """A file of the book as its path in the book (``images/x.png``), anything else as given."""
        if url.startswith("file:"):
            path = BookFetcher._path(url)
            if path.is_relative_to(self.root.resolve()):
                return path.relative_to(self.root.resolve()).as_posix()
        return url


def _logged(record: logging.LogRecord, source: str) -> Diagnostic:
    """WeasyPrint's log line as a diagnostic of ``source``; one about this machine rather than the
    book (a missing HarfBuzz subsetter) is a notice of the whole build, so it is said once, not
    once per chapter."""
    message = record.getMessage()
    if "HarfBuzz-Subset" in message:
        return notice("pdf.machine", f"WeasyPrint: {message}",
                      hint="install HarfBuzz's subsetter (Debian, Ubuntu: apt-get install libharfbuzz-subset0); "
                           "the PDF is the same without it, only slower to write")
    return (error if record.levelno >= logging.ERROR else warning)("pdf.weasyprint", f"WeasyPrint: {message}", source)


def _write(document: Document, name: str) -> bytes:
    return weasy.write(document, md5(name.encode()).hexdigest().encode())


def _switch(mode: weasy.Mode) -> tuple[Diagnostic, ...]:
    """WeasyPrint as a job wants it (weasy.Mode); a notice for each part of the door that does not apply."""
    return tuple(notice("pdf.weasyprint-patch", f"octavo's '{name}' does not apply to this WeasyPrint {weasy.PINNED}: "
                        "its PDF speed-ups and its fix for footnotes moved off their page are off",
                        hint="is WeasyPrint patched locally? please report this to octavo")
                 for name in weasy.switch(mode))


Files = tuple[tuple[str, str], ...]
_ENGINES: dict[tuple[str, tuple[PrintSheet, ...], Files], Engine] = {}


def _engine(root: str, sheets: tuple[PrintSheet, ...], files: Files = ()) -> Engine:
    """The engine (fonts, parsed sheets) of this process for this book, made once."""
    key = (root, sheets, files)
    if key not in _ENGINES:
        _ENGINES.clear()
        _ENGINES[key] = Engine(root, sheets, files)
    return _ENGINES[key]


def layout_chapter(job: LayoutJob) -> LayoutResult:
    """Lay out one unit (and write its PDF unless ``job.write`` is False).

    Module-level and picklable both ways, for a process pool.
    """
    return _engine(job.root, job.sheets, job.files).run(job)


def layout_folios(job: FolioJob) -> bytes | None:
    """The PDF of a unit's folio document (see :mod:`folios`); picklable, for a process pool."""
    return _engine(job.root, job.sheets, job.files).folios(job)


def forget_engines() -> None:
    """Drop the cached engine, e.g. at the end of a build, so its fonts and sheets are freed."""
    _ENGINES.clear()

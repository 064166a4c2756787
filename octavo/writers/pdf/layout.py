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
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from hashlib import md5
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from octavo.assets import Limits, inspect_file, media_type
from octavo.diagnostics import BookError, Diagnostic, error, notice, warning
from octavo.styles import DEFAULTS as STYLES
from octavo.writers.pdf import footnotes, tags, weasy
from octavo.writers.pdf.folios import first_side, folio_html
from octavo.writers.pdf.jobs import Bookmark, FolioJob, LayoutJob, LayoutResult, PrintSheet, Use

if TYPE_CHECKING:
    from octavo.writers.pdf.weasy.resume import Recording

__all__ = ["BookFetcher", "Engine", "FolioJob", "LayoutJob", "LayoutResult", "PrintSheet", "forget_engines",
           "layout_chapter", "layout_folios"]

LOGGER = "weasyprint"
NOTE_ROUNDS = 3  # extra layouts of a unit at most, to keep footnotes on the page of their call
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
QUOTED = re.compile(r'"([^"]+)"')  # the URL in WeasyPrint's 'Error fetching "…"'
UNLIMITED = 10**15  # pixels: when octavo looks into a file WeasyPrint failed on, any size will do


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
            try:
                document, rules, fallback = self._with_notes(job)
                clock = time.process_time()
                pdf = tags.tidy(*_write(document, job.unit, tagged=True), job.unit) if job.write else None
            except FatalURLFetchingError as fatal:  # a BaseException, meant to stop WeasyPrint at once
                raise BookError([*self._problems(job.source, log.records, job.uses),
                                 self._fatal(fatal, job)]) from None
            self.seconds.append(time.process_time() - clock)
        anchors: dict[str, int] = {}
        bookmarks: list[Bookmark] = []
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
            bookmarks += [Bookmark(level, label, number, x, y) for level, label, (x, y), _ in page.bookmarks]
        problems = unapplied + self.sheet_problems + self._problems(job.source, log.records, job.uses) + fallback
        return LayoutResult(job.unit, len(document.pages), tuple(anchors.items()), tuple(bookmarks),
                            problems, pdf, rules, job.start, job.without_folios is not None,
                            weasy.page_kinds(document), tuple(self.seconds), weasy.page_starts(document))

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
            return _write(document, f"{job.unit} folios")[0]

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
        return self._fill_last_page(job, html, best, recording, kept)

    def _fill_last_page(self, job: LayoutJob, html: HTML, best: Document, recording: Recording | None,
                        kept: tuple[str, ...]) -> tuple[Document, tuple[str, ...]]:
        """Laid out again with the rule of ``weasy.short_end`` if its last page holds fewer than four
        lines; kept if that page then holds more, with no page added and no footnote moved off."""
        fix = weasy.short_end(best, html)
        if fix is None or fix.rule in kept:
            return best, kept
        rules = [*kept, fix.rule]
        pages = weasy.pages_to_remake(best, recording, [fix.element])
        document, _ = self._render(html, job, rules, (recording, pages) if recording is not None else None)
        if (len(document.pages) == len(best.pages) and weasy.last_lines(document) > weasy.last_lines(best)
                and len(footnotes.displaced(document, html)) <= len(footnotes.displaced(best, html))):
            return document, tuple(rules)
        return best, kept

    def _render(self, html: HTML, job: LayoutJob, rules: list[str],
                again: tuple[Recording, frozenset[int]] | None = None) -> tuple[Document, Recording | None]:
        """One layout (keeping pages of an earlier one but ``again[1]``, if given); its first page
        is a left-hand one when it has an even number."""
        clock = time.process_time()
        side = first_side("verso" if job.start % 2 == 0 else "recto")  # left and right in a left-to-right book
        ours = "\n".join([f"@page :first {{ counter-reset: page {job.start}; }}", side, job.without_folios or "",
                          *rules])
        sheets = [*self.css, CSS(string=ours, font_config=self.fonts)]
        laid_out = weasy.render(html, sheets, self.fonts, again)
        self.seconds.append(time.process_time() - clock)
        return laid_out

    def _problems(self, source: str, records: list[logging.LogRecord], uses: tuple[Use, ...] = ()
                  ) -> tuple[Diagnostic, ...]:
        """What the fetcher refused and what WeasyPrint logged, each said of the file and line
        that use the resource, with a book path, a reason and a hint."""
        refused = []
        for url, reason in self.fetcher.refused:
            shown = self._shown(url)
            file, line = self._where(shown, source, uses)
            refused.append(error("pdf.fetch", f"the PDF cannot use '{shown}': {reason}", file, line,
                                 hint="images and fonts must be files inside the book folder"))
        logged = [self._logged(r, source, uses) for r in records
                  if not any(url in r.getMessage() for url, _ in self.fetcher.refused)]
        return tuple(dict.fromkeys([*refused, *logged]))

    def _logged(self, record: logging.LogRecord, source: str, uses: tuple[Use, ...]) -> Diagnostic:
        """WeasyPrint's log line as a diagnostic; one about a resource names its book path, the
        place that uses it, and the reason (WeasyPrint's, or octavo's own look at the file)."""
        args = record.args if isinstance(record.args, tuple) else ()
        url = next((a for a in args if isinstance(a, str) and SCHEME.match(a)), None)
        exception = next((a for a in args if isinstance(a, BaseException)), None)
        if url is None or record.levelno < logging.ERROR:
            return _logged(record, source, self._shown)
        shown = self._shown(url)
        file, line = self._where(shown, source, uses)
        reason = self._reason(shown, exception)
        return error("pdf.resource", f"the PDF cannot use '{_short(shown)}': {reason}", file, line,
                     hint=_resource_hint(reason))

    def _fatal(self, fatal: BaseException, job: LayoutJob) -> Diagnostic:
        found = QUOTED.search(str(fatal))
        shown = self._shown(found.group(1)) if found else ""
        file, line = self._where(shown, job.source, job.uses)
        reason = self._reason(shown, fatal.__cause__ or fatal)
        return error("pdf.fetch", f"the PDF cannot use '{_short(shown)}': {reason}" if shown else
                     f"WeasyPrint stopped: {reason}", file, line, hint=_resource_hint(reason))

    def _where(self, shown: str, source: str, uses: tuple[Use, ...]) -> tuple[str, int | None]:
        """The file and line that use the book file ``shown``: the chapter's, the cover's, a
        style sheet's url(); else the unit's source, without a line."""
        return next(((file, line) for path, file, line in uses if path == shown), (source, None))

    def _reason(self, shown: str, exception: BaseException | None) -> str:
        """Why a resource failed, never empty: what octavo finds wrong with the file itself, else
        what WeasyPrint's exception (or the one that caused it) says, else its type."""
        if not SCHEME.match(shown) and (self.root / shown).is_file() and media_type(shown):
            problem = inspect_file(self.root, shown, Limits(pixels=UNLIMITED)).problem
            if problem is not None:
                return problem
        said = _said(exception)
        if said:
            return said
        return "WeasyPrint could not read it" + (f" ({type(exception).__name__})" if exception else "")

    def _shown(self, url: str) -> str:
        """A file of the book as its path in the book (``images/x.png``), anything else as given."""
        if url.startswith("file:"):
            path = BookFetcher._path(url)
            if path.is_relative_to(self.root.resolve()):
                return path.relative_to(self.root.resolve()).as_posix()
        return url


def _logged(record: logging.LogRecord, source: str, shown: Callable[[str], str] = str) -> Diagnostic:
    """WeasyPrint's log line as a diagnostic of ``source``, with book paths for ``file:`` URLs and
    an exception's cause for its empty message; one about this machine rather than the book (a
    missing HarfBuzz subsetter) is a notice of the whole build, so it is said once, not once per
    chapter."""
    message = record.getMessage()
    if "has no required alt description" in message:  # said by the tagging, of an image with alt=""
        return warning("pdf.alt", f"an image has no alt text, so a screen reader cannot say what it shows: "
                       f"{shown(str(record.args[0])) if isinstance(record.args, tuple) and record.args else ''}",
                       source, hint="write what the image shows between the brackets: ![a map of the site](map.png)")
    if "HarfBuzz-Subset" in message:
        return notice("pdf.machine", f"WeasyPrint: {message}",
                      hint="install HarfBuzz's subsetter (Debian, Ubuntu: apt-get install libharfbuzz-subset0); "
                           "the PDF is the same without it, only slower to write")
    if isinstance(record.args, tuple) and record.args:
        args = tuple(_said(a) or type(a).__name__ if isinstance(a, BaseException) else
                     shown(a) if isinstance(a, str) and a.startswith("file:") else a for a in record.args)
        with suppress(TypeError, ValueError):
            message = str(record.msg) % args
    return (error if record.levelno >= logging.ERROR else warning)("pdf.weasyprint", f"WeasyPrint: {message}", source)


def _said(exception: BaseException | None) -> str:
    """The first thing an exception or its causes say (WeasyPrint raises its own, empty, from the
    one that tells what went wrong)."""
    seen: set[int] = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        text = str(exception).strip()
        if text:
            return text
        exception = exception.__cause__ or exception.__context__
    return ""


def _resource_hint(reason: str) -> str:
    if "decompression bomb" in reason.lower() or "exceeds limit" in reason.lower():
        return "scale the image down: WeasyPrint's image library refuses images this large"
    return "open the file in an image viewer; if it does not show, export it again as PNG, JPEG or SVG"


def _short(text: str) -> str:
    """A path as it is, a long URL (a data: one) cut down to be read."""
    return text if len(text) <= 100 else f"{text[:80]}…"


def _write(document: Document, name: str, tagged: bool = False) -> tuple[bytes, dict[int, list[int]]]:
    return weasy.write(document, md5(name.encode()).hexdigest().encode(), tagged)


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

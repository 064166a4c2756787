"""WeasyPrint's internals behind one door: one version guard, one switch for the patches.

Everything of octavo that reads a private name of WeasyPrint or pydyf, or replaces one of their
functions, is in this package, and the rest of the PDF writer reaches it only through this module.
Four *patches* replace functions, to make the same PDF faster:

- :mod:`note_area` replaces ``LayoutContext._update_footnote_area`` (the footnote area measured
  once per note, not once per note per change);
- :mod:`margins` wraps ``make_margin_boxes`` (margin boxes that show nothing are not measured);
- :mod:`resume` swaps WeasyPrint's page maker during a layout (a second layout of a chapter
  keeps the pages its new rules do not touch);
- :mod:`flate` gives pydyf a zlib at level 6 instead of 9 while a PDF is written.

Five *readers* read WeasyPrint's page boxes, which are not its API either:

- :mod:`notes` finds the paragraph whose lines pushed a footnote off the page of its call, for
  the rules that keep it there (without it, the note stays where WeasyPrint put it);
- :mod:`kinds` reads each page's side and name, so folios can be stamped on later (without it,
  a parallel build lays each chapter out where it lands, the slower way);
- :mod:`leaders` notes which tagged text draws a leader's dots, so they become artifacts
  (without it, a screen reader reads the dots of the contents).
- :mod:`starts` reads the words each page begins with, for the EPUB's page-list (without it,
  the EPUB has none).
- :mod:`ends` counts the lines on a unit's last page, for the rule that pushes lines forward onto
  a chapter's last page of one to three (without it, such a page stays).

Why one door: each rests on code that is not WeasyPrint's API and is only right for the code it
was checked against. So all nine are on for WeasyPrint :data:`PINNED` only (one version guard) and
all off, with a notice, on any other version. On the pinned version, one that no longer applies
(a locally patched WeasyPrint) turns them all off with a notice, and fails the tests.

The switch: ``OCTAVO_WEASY_PATCHES=0`` in the environment turns the four patches off, and WeasyPrint
lays out as it is; the PDF has the same pages, text and page numbers (a test builds the sample
and Sherlock both ways), only slower to make and with larger streams. The readers stay on, as
they change the book (where its footnotes are), not the speed.

Importing this module imports no WeasyPrint: the writer's own process asks :func:`mode` before
it starts the workers that lay out, and each layout brings the process to that mode (:func:`switch`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from weasyprint import CSS, HTML, Document
    from weasyprint.text.fonts import FontConfiguration

    from octavo.writers.pdf.folios import PageKind
    from octavo.writers.pdf.weasy.notes import Fix
    from octavo.writers.pdf.weasy.resume import Recording

PINNED = "70.0"  # the WeasyPrint every patch and reader was checked against; pyproject.toml pins it too
SWITCH = "OCTAVO_WEASY_PATCHES"  # "0": the patches off
PATCHES = ("note_area", "margins", "resume", "flate")
READERS = ("notes", "kinds", "leaders", "starts", "ends")
Mode = Literal["patched", "readers", "off"]  # patches and readers, readers only, nothing

_mode: Mode = "off"  # in this process (switch())


def weasyprint_version() -> str:
    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "none"


def mode() -> Mode:
    """What a build started now uses: everything on the pinned version, unless the switch is off."""
    if weasyprint_version() != PINNED:
        return "off"
    return "readers" if os.environ.get(SWITCH, "").strip() == "0" else "patched"


def version_notice() -> str | None:
    """What to tell the user when the door is closed because of WeasyPrint's version."""
    found = weasyprint_version()
    if found == PINNED:
        return None
    return (f"WeasyPrint {found} is not {PINNED}, the version octavo's PDF layout was checked against: its "
            "speed-ups and its fix for footnotes moved off their page are off")


@cache
def applies() -> dict[str, bool]:
    """Each patch: whether the WeasyPrint installed has the internals it was written for (its
    module imports, and its own check passes: the source it mirrors hashes as it did, the names
    it reads or swaps are there)."""
    import importlib

    found: dict[str, bool] = {}
    for name in PATCHES + READERS:
        try:
            found[name] = bool(importlib.import_module(f"{__name__}.{name}").applies())
        except Exception:  # an import or a name missing: that patch cannot apply
            found[name] = False
    return found


def switch(wanted: Mode) -> tuple[str, ...]:
    """Bring this process to ``wanted``: the patches in place or taken out, the readers used or
    not. Returns what does not apply (then everything is off). Called by each layout with its
    job's mode; cheap when nothing changes."""
    global _mode
    from octavo.writers.pdf.weasy import margins, note_area

    needed = {"patched": PATCHES + READERS, "readers": READERS, "off": ()}[wanted]
    failed = tuple(name for name in needed if not applies()[name])  # checked once per process
    _mode = "off" if failed else wanted
    if _mode == "patched":
        note_area.install()
        margins.install()
    else:
        note_area.uninstall()
        margins.uninstall()
    return failed


def patched() -> bool:
    return _mode == "patched"


def reading() -> bool:
    return _mode != "off"


def render(html: HTML, stylesheets: list[CSS], fonts: FontConfiguration,
           again: tuple[Recording, frozenset[int]] | None = None) -> tuple[Document, Recording | None]:
    """Lay ``html`` out; patched, keep the pages of an earlier layout that ``again`` does not name."""
    if not patched():
        return html.render(stylesheets=stylesheets, font_config=fonts), None
    from octavo.writers.pdf.weasy import resume

    return resume.layout(html, stylesheets, fonts, again)


def fixes(document: Document, html: HTML) -> list[Fix]:
    """CSS rules that should bring displaced footnotes back to the page of their call; none when off."""
    if not reading():
        return []
    from octavo.writers.pdf.weasy import notes

    return notes.fixes(document, html)


def short_end(document: Document, html: HTML) -> Fix | None:
    """The rule that should fill a chapter's last page of fewer than four lines; None if it has
    them, if no rule can, or when off."""
    if not reading():
        return None
    from octavo.writers.pdf.weasy import ends

    return ends.fix(document, html)


def last_lines(document: Document) -> int:
    """Lines in the flow of the document's last page; 0 when off."""
    if not reading():
        return 0
    from octavo.writers.pdf.weasy import ends

    return ends.last_lines(document)


def pages_to_remake(document: Document, recording: Recording | None, elements: Iterable[Any]) -> frozenset[int]:
    """The pages a layout with new rules on ``elements`` must make again (none known: all)."""
    if not patched() or recording is None:
        return frozenset()
    from octavo.writers.pdf.weasy import resume

    return resume.pages_to_remake(document, recording, elements)


def page_kinds(document: Document) -> tuple[PageKind, ...]:
    """Each page's side and name; empty when off (then no folio is stamped on)."""
    if not reading():
        return ()
    from octavo.writers.pdf.weasy import kinds

    return kinds.page_kinds(document)


def page_starts(document: Document) -> tuple[str, ...]:
    """Each page's first words ("" for none); empty when off (then the EPUB gets no page-list)."""
    if not reading():
        return ()
    from octavo.writers.pdf.weasy import starts

    return starts.page_starts(document)


def write(document: Document, identifier: bytes, tagged: bool = False) -> tuple[bytes, dict[int, list[int]]]:
    """The document's PDF, with WeasyPrint's structure tree if ``tagged`` (its public ``pdf_tags``,
    as PDF 1.7, the version PDF/UA-1 is of), and the MCIDs of the leaders on each page (none when
    the readers are off: they stay tagged text); patched, its page content compressed at
    :data:`flate.LEVEL`."""
    options: dict[str, Any] = {"pdf_identifier": identifier, "pdf_tags": tagged}
    if tagged:
        options["pdf_version"] = "1.7"
    with _leaders(document, tagged) as leaders:
        if not patched():
            pdf: bytes = document.write_pdf(**options)
            return pdf, leaders
        from octavo.writers.pdf.weasy import flate

        with flate.level(flate.LEVEL):
            faster: bytes = document.write_pdf(**options)
        return faster, leaders


@contextmanager
def _leaders(document: Document, tagged: bool) -> Iterator[dict[int, list[int]]]:
    if not (tagged and reading()):
        yield {}
        return
    from octavo.writers.pdf.weasy import leaders

    with leaders.recording([getattr(page, "_page_box", None) for page in document.pages]) as found:
        yield found

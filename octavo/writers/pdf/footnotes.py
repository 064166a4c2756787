"""Where the footnotes of a laid-out unit ended up, read through WeasyPrint's public API.

A footnote belongs on the page of its call. :func:`displaced` finds the pages whose calls lost
their notes to a later page (the patches in ``weasy/`` then try to bring them back);
:func:`lost` finds notes that are on no page at all, which WeasyPrint does now and then (the
writer then prints the chapter's notes at its end). Both only read the pages' anchors and the
unit's own HTML tree, so they work with or without the patches.
"""

from __future__ import annotations

from weasyprint import HTML, Document

CALL = "--noteref-"
NOTE = "--note-"


def footnotes(html: HTML) -> list[str]:
    """Ids of the notes laid out as footnotes (not those left at the end of the chapter)."""
    return [str(e.get("id")) for e in html.etree_element.iter("span")
            if "footnote" in e.get("class", "").split() and NOTE in e.get("id", "")]


def _where(document: Document) -> dict[str, int]:
    where: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            where.setdefault(name, number)
    return where


def displaced(document: Document, html: HTML) -> list[int]:
    """Indexes of the pages holding a call whose footnote is on a later page."""
    where = _where(document)
    calls = [(where.get(note.replace(NOTE, CALL)), where.get(note)) for note in footnotes(html)]
    return sorted({call for call, note in calls if call is not None and note is not None and note > call})


def lost(document: Document, html: HTML) -> list[str]:
    """Footnotes that are on no page at all."""
    where = _where(document)
    return [note for note in footnotes(html) if note not in where]

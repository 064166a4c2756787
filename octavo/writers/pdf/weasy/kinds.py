"""Each page's side and name, read from WeasyPrint's private page boxes."""

from __future__ import annotations

from weasyprint import Document

from octavo.writers.pdf.folios import PageKind


def page_kinds(document: Document) -> tuple[PageKind, ...]:
    """Each page's side and name, read from WeasyPrint's page boxes (not a public API)."""
    kinds: list[PageKind] = []
    for page in document.pages:
        kind = getattr(getattr(page, "_page_box", None), "page_type", None)
        kinds.append((str(getattr(kind, "side", "")), str(getattr(kind, "name", "") or "")))
    return tuple(kinds)

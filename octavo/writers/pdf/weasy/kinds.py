"""Each page's side and name, read from WeasyPrint's private page boxes."""

from __future__ import annotations

import inspect

from weasyprint import Document
from weasyprint.document import Page

from octavo.writers.pdf.folios import PageKind


def applies() -> bool:
    """A page keeps its page box, whose page type has the side and the name."""
    return "self._page_box = " in inspect.getsource(Page.__init__)


def page_kinds(document: Document) -> tuple[PageKind, ...]:
    """Each page's side and name, read from WeasyPrint's page boxes (not a public API)."""
    kinds: list[PageKind] = []
    for page in document.pages:
        kind = getattr(getattr(page, "_page_box", None), "page_type", None)
        kinds.append((str(getattr(kind, "side", "")), str(getattr(kind, "name", "") or "")))
    return tuple(kinds)

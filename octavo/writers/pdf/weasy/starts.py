"""The words each page begins with, read from WeasyPrint's private page boxes.

The EPUB carries the print edition's page breaks (its ``page-list``); to place the marker of
page N it needs to know where page N begins in the text. A page's boxes hold the text they show,
so the first words in the page's flow (not its margin boxes, which hold the running heads and
folios, nor its footnote area) are where the page begins. Generated text (``::before``, note
calls) is read too; the EPUB writer matches these words against its own text, case and
whitespace apart, so the hyphen WeasyPrint adds to a hyphenated line is taken off.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from weasyprint import Document
from weasyprint.document import Page
from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox, ParentBox, TextBox

WORDS = 12  # enough to find the place again in a chapter; a repeated phrase this long is rare


def applies() -> bool:
    """A page keeps its page box, whose text boxes hold the text they show."""
    return ("self._page_box = " in inspect.getsource(Page.__init__)
            and "self.text = text" in inspect.getsource(TextBox.__init__))


def page_starts(document: Document) -> tuple[str, ...]:
    """Each page's first words in its flow, as one string; "" for a page without text."""
    return tuple(_first_words(getattr(page, "_page_box", None)) for page in document.pages)


def _first_words(page_box: Any) -> str:
    words: list[str] = []
    for text in _texts(page_box):
        words += text.split()
        if len(words) >= WORDS:
            break
    return " ".join(words[:WORDS])


def _texts(box: Any) -> Iterator[str]:
    """The text of the box's text boxes in order, leaving out margin boxes and the footnote area."""
    if isinstance(box, (MarginBox, FootnoteAreaBox)):
        return
    if isinstance(box, TextBox):
        hyphen = box.style["hyphenate_character"]  # added by WeasyPrint where it hyphenated a line
        yield box.text.removesuffix(hyphen) if hyphen and box.text != hyphen else box.text
    elif isinstance(box, ParentBox):
        for child in box.children:
            yield from _texts(child)

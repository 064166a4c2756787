"""No chapter ends on a page of one, two or three lines.

A chapter of several pages whose last page holds a line or two looks like a mistake; a book pushes
lines forward from the page before so that the last page holds at least :data:`MINIMUM` (the page
before, which faces the chapter's end or comes right before it, may run a line or two short).
CSS has no rule for "the last page of a document", so after a unit is laid out its last page's
lines are counted from WeasyPrint's page boxes, and if there are too few the unit gets one rule
for its next layout, on the block that ends the page before:

- it goes on over the page break and can give the lines while keeping two: it keeps more lines
  for the last page (``widows: N``);
- otherwise the blocks at the foot of the page before that hold the lines needed start the last
  page (``break-before: page``, with the headings just before them, or a table cell's row).

The layout is kept only if the last page then holds more lines, no page is added and no footnote
leaves its page. This reads WeasyPrint's page boxes, which are not a public API, so it is one of
the readers behind the door (:mod:`octavo.writers.pdf.weasy`).
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML, Document
from weasyprint.css import AnonymousStyle

from octavo.writers.pdf.weasy import notes
from octavo.writers.pdf.weasy.notes import Fix, flow_blocks

MINIMUM = 4  # lines on a chapter's last page
ORPHANS = 2  # lines a paragraph keeps at the foot of a page (styles/pdf.css)


def applies() -> bool:
    """The same page boxes as the footnotes' reader."""
    return notes.applies()


def last_lines(document: Document) -> int:
    """Lines in the flow (not the running heads, folios or notes) of the document's last page."""
    if not document.pages:
        return 0
    return sum(lines for _, lines in flow_blocks(getattr(document.pages[-1], "_page_box", None)))


def fix(document: Document, html: HTML) -> Fix | None:
    """The rule that should give a unit of several pages a last page of :data:`MINIMUM` lines;
    None when it has them, or no rule can (the page before holds no more than the lines needed)."""
    if len(document.pages) < 2:
        return None
    last = list(flow_blocks(getattr(document.pages[-1], "_page_box", None)))
    before = list(flow_blocks(getattr(document.pages[-2], "_page_box", None)))
    have = sum(lines for _, lines in last)
    if have == 0 or have >= MINIMUM or not before:
        return None
    need = MINIMUM - have
    parents = {child: parent for parent in html.etree_element.iter() for child in parent}
    box, lines = before[-1]
    on_last = sum(count for block, count in last if block.element is box.element)
    if on_last and lines - need >= ORPHANS and not _anonymous(box):
        return _fix(box.element, f"widows: {on_last + need};", parents)
    moved, index = 0, len(before)
    while index > 0 and moved < need:
        index -= 1
        moved += before[index][1]
    if index == 0 or _anonymous(before[index][0]):
        return None  # the page before would be left empty, or the block has no element to name
    element = before[index][0].element
    row = notes.row_of(element, parents)
    target = row if row is not None else notes.first_heading_before(element, parents)
    return _fix(target, "break-before: page;", parents)


def _anonymous(box: Any) -> bool:
    return isinstance(box.style, AnonymousStyle) or box.element is None


def _fix(element: Any, rule: str, parents: dict[Any, Any]) -> Fix | None:
    selector = notes.selector_of(element, parents)
    return Fix(f"{selector} {{ {rule} }}", element) if selector else None

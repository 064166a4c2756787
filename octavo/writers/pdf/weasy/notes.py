"""Keep each footnote on the page of its call.

When a line does not fit at the foot of a page and ``orphans``/``widows`` forbid breaking before
it, WeasyPrint makes room by moving the page's footnotes to the next page (its PR #2437), even
with ``footnote-policy: line``. CSS allows that; a printed book does not. So after a unit is laid
out, each page whose notes went on is found, together with the paragraph whose line took their
room (the last paragraph on the page), and that paragraph gets one rule for the next layout:

- it began on that page with one or two lines: it starts the next page instead (with the
  headings just before it), as orphan control would have done;
- otherwise it may leave a single line at the top of the next page (``widows: 1``), so an
  ordinary break is allowed before the line that did not fit;
- it is a table cell's: its row starts the next page instead (a cell takes no break rule; a
  row does, and the rows before it leave the notes their room).

Long notes in long paragraphs (a diary with a dozen notes a page) can still run over: WeasyPrint
does not split a note across pages, and a note moved on takes the later ones with it.

The rules are CSS selectors built from the element's position (``p:nth-of-type(7)``), so the
unit's HTML is not touched. This reads WeasyPrint's page boxes, which are not a public API, so
it is one of the patches behind the door (:mod:`octavo.writers.pdf.weasy`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, NamedTuple

from weasyprint import HTML, Document
from weasyprint.css import AnonymousStyle
from weasyprint.document import Page
from weasyprint.formatting_structure.boxes import Box, FootnoteAreaBox, LineBox, MarginBox, ParentBox

from octavo.writers.pdf.footnotes import displaced

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def applies() -> bool:
    """A page keeps its page box, whose boxes name their elements."""
    return "self._page_box = " in inspect.getsource(Page.__init__)


class Fix(NamedTuple):
    """A CSS rule for the next layout, and the element it is about."""

    rule: str
    element: Any


def fixes(document: Document, html: HTML) -> list[Fix]:
    """CSS rules that should keep the displaced notes with their calls in the next layout of ``html``."""
    pages = displaced(document, html)
    if not pages:
        return []
    parents = {child: parent for parent in html.etree_element.iter() for child in parent}
    rules: list[Fix] = []
    for number in pages:
        found = _last_paragraph(getattr(document.pages[number], "_page_box", None))
        if found is None:
            continue
        element, lines = found
        row = row_of(element, parents)
        if row is not None:
            element, rule = row, "break-before: page;"
        elif lines <= 2 and not _on_page(document, number - 1, element):
            element, rule = first_heading_before(element, parents), "break-before: page;"
        else:
            rule = "widows: 1;"
        selector = selector_of(element, parents)
        css = f"{selector} {{ {rule} }}"
        if selector and all(fix.rule != css for fix in rules):
            rules.append(Fix(css, element))
    return rules


def _on_page(document: Document, number: int, element: Any) -> bool:
    """Whether ``element`` has lines on page ``number`` (a paragraph that began before)."""
    if number < 0:
        return False
    page_box = getattr(document.pages[number], "_page_box", None)
    return any(box.element is element for box, _ in flow_blocks(page_box))


def flow_blocks(box: Any) -> Iterator[tuple[Box, int]]:
    """(block, number of its lines on the page) in document order, outside margins and notes."""
    if isinstance(box, MarginBox | FootnoteAreaBox) or not isinstance(box, ParentBox):
        return
    lines = sum(1 for child in box.children if isinstance(child, LineBox))
    if lines:
        yield box, lines
    for child in box.children:
        if not isinstance(child, LineBox):
            yield from flow_blocks(child)


def _last_paragraph(page_box: Any) -> tuple[Any, int] | None:
    last = None
    for box, lines in flow_blocks(page_box):
        last = (box, lines)
    if last is None or isinstance(last[0].style, AnonymousStyle) or last[0].element is None:
        return None
    return last[0].element, last[1]


def row_of(element: Any, parents: dict[Any, Any]) -> Any:
    """The table row of a cell's block, or None: a cell takes no break rule, its row does."""
    while element is not None and element.tag not in ("td", "th"):
        if element.tag in ("table", "body"):
            return None
        element = parents.get(element)
    return None if element is None else parents.get(element)


def first_heading_before(element: Any, parents: dict[Any, Any]) -> Any:
    """The first of the headings right before ``element`` (they must go with it), or itself."""
    parent = parents.get(element)
    if parent is None:
        return element
    siblings = [child for child in parent if isinstance(child.tag, str)]
    position = siblings.index(element)
    while position > 0 and siblings[position - 1].tag in HEADINGS:
        position -= 1
    return siblings[position]


def selector_of(element: Any, parents: dict[Any, Any]) -> str | None:
    """``html > body > section:nth-of-type(1) > p:nth-of-type(7)`` for ``element``."""
    steps: list[str] = []
    while element is not None:
        if not isinstance(element.tag, str) or not element.tag.isalnum():
            return None
        parent = parents.get(element)
        if parent is None:
            steps.append(element.tag)
            break
        same = [child for child in parent if child.tag == element.tag]
        steps.append(f"{element.tag}:nth-of-type({same.index(element) + 1})")
        element = parent
    return " > ".join(reversed(steps))

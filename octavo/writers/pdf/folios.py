"""Page numbers stamped onto pages laid out without them, so a chapter is laid out only once.

A chapter's layout does not depend on the number of its first page, except for the digits of its
folios and for which pages are left- or right-hand ones. So a parallel build lays each chapter
out before the numbers are known, at a nominal first page of the right parity, with the margin
boxes that show ``counter(page)`` or ``counter(pages)`` left out; once every unit's first page is
known, a *folio document* per unit is laid out with the same style sheets: as many empty pages as
the chapter has, each of the same kind (named page, left or right, first or not), its counter
starting at the real number, and only the counter boxes shown. Each of its pages is then laid over
the chapter's page of the same index (:mod:`~octavo.writers.pdf.merge`).

The style sheets decide whether that works; :func:`analyse` reads their ``@page`` rules with
tinycss2 (WeasyPrint's own CSS parser) and returns ``None`` when it cannot, so the book is laid
out at its real numbers instead, the slower way:

- a margin box whose content mixes a page counter with something the folio document cannot
  know (``string()``, ``element()``, ``attr()``, another counter): literal text is fine;
- a page counter or ``target-counter(..., page)`` in the flow of the text;
- ``@page :blank`` or ``:nth(... of ...)`` selectors (an empty document cannot repeat a chapter's
  blank pages or its page groups), and ``@import`` (a sheet this module cannot read).

Hiding and showing follow the cascade of the book's own rules: every margin rule that sets
``content`` is repeated after the sheets, with the same selector, in the same order and with the
same importance, as ``content: none`` where the box is to be left out and with its own value where
it is to stay. A box left out no longer takes room from its neighbours on the same edge, so a
neighbour that depends on the folio's width may sit slightly differently than in one document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import tinycss2
from tinycss2.ast import AtRule, Declaration, FunctionBlock, IdentToken, Node, QualifiedRule

PageKind = tuple[str, str]  # ("left" or "right", the page's name, "" for none)
COUNTERS = frozenset({"counter", "counters"})
PAGE_COUNTERS = frozenset({"page", "pages"})
TARGETS = frozenset({"target-counter", "target-counters"})
NAME = re.compile(r"^[A-Za-z_][-\w]*$")
TAG = "octavo-folio"


@dataclass(frozen=True)
class Folios:
    """CSS for the two layouts: the chapter without its folios, the folio document with only them."""

    without: str  # appended when a unit is laid out at a nominal first page
    only: str  # appended to the folio document


@dataclass(frozen=True)
class _Content:
    media: str | None  # the prelude of the @media block around the @page rule, if any
    selector: str
    margin: str
    value: str
    important: bool
    counter: bool  # shows counter(page) or counter(pages)

    def rule(self, value: str) -> str:
        declaration = f"content: {value}{' !important' if self.important else ''};"
        rule = f"@page {self.selector} {{ @{self.margin} {{ {declaration} }} }}"
        return f"@media {self.media} {{ {rule} }}" if self.media is not None else rule


def analyse(sheets: Sequence[str]) -> Folios | None:
    """The CSS that moves the folios to a document of their own, or None if they cannot be moved."""
    contents: list[_Content] = []
    for text in sheets:
        found = _contents(text)
        if found is None:
            return None
        contents += found
    without = [c.rule("none" if c.counter else c.value) for c in contents]
    only = [c.rule(c.value if c.counter else "none") for c in contents]
    return Folios("\n".join(without), "\n".join([*only, ONLY_FOLIOS]))


# The folio document draws nothing but its margin boxes: no background, border or generated text.
ONLY_FOLIOS = f"""
@page {{ background: none !important; border-style: none !important; }}
html, body {{ background: none !important; }}
html::before, html::after, body::before, body::after {{ content: none !important; }}
{TAG} {{ display: block !important; height: 0 !important; margin: 0 !important; padding: 0 !important;
         border: 0 !important; visibility: hidden !important; }}
{TAG} + {TAG} {{ break-before: page !important; }}
"""


def _contents(text: str) -> list[_Content] | None:
    found: list[_Content] = []
    for rule, media in _rules(tinycss2.parse_stylesheet(text, skip_whitespace=True, skip_comments=True)):
        if isinstance(rule, AtRule) and rule.lower_at_keyword == "import":
            return None
        if isinstance(rule, AtRule) and rule.lower_at_keyword == "page":
            page = _page(rule, media)
            if page is None:
                return None
            found += page
        elif isinstance(rule, QualifiedRule) and _in_flow(rule):
            return None
    return found


def _rules(nodes: list[Node], media: str | None = None) -> Iterator[tuple[Node, str | None]]:
    """Top-level rules and those inside @media blocks, with the media query around them."""
    for node in nodes:
        if isinstance(node, AtRule) and node.lower_at_keyword == "media" and node.content is not None:
            inner = tinycss2.parse_rule_list(node.content, skip_whitespace=True, skip_comments=True)
            yield from _rules(inner, tinycss2.serialize(node.prelude).strip())
        else:
            yield node, media


def _page(rule: AtRule, media: str | None) -> list[_Content] | None:
    selector = tinycss2.serialize(rule.prelude).strip()
    lowered = selector.lower()
    if ":blank" in lowered or (":nth(" in lowered and " of " in lowered):
        return None
    found: list[_Content] = []
    for item in tinycss2.parse_blocks_contents(rule.content or [], skip_whitespace=True, skip_comments=True):
        if not isinstance(item, AtRule) or item.content is None:
            continue
        for declaration in tinycss2.parse_blocks_contents(item.content, skip_whitespace=True,
                                                          skip_comments=True):
            if isinstance(declaration, Declaration) and declaration.lower_name == "content":
                counter = _shows_page_counter(declaration.value)
                if counter and not _only_counters_and_text(declaration.value):
                    return None
                found.append(_Content(media, selector, item.lower_at_keyword,
                                      tinycss2.serialize(declaration.value).strip(), declaration.important,
                                      counter))
    return found


def _functions(nodes: list[Node]) -> Iterator[FunctionBlock]:
    for node in nodes:
        if isinstance(node, FunctionBlock):
            yield node
            yield from _functions(node.arguments)


def _first_ident(function: FunctionBlock) -> str | None:
    for node in function.arguments:
        if isinstance(node, IdentToken):
            return str(node.lower_value)
        if node.type not in ("whitespace", "comment"):
            return None
    return None


def _shows_page_counter(value: list[Node]) -> bool:
    return any(f.lower_name in COUNTERS and _first_ident(f) in PAGE_COUNTERS for f in _functions(value))


def _only_counters_and_text(value: list[Node]) -> bool:
    """Page counters and quoted text only: what a folio document reproduces exactly."""
    for node in value:
        if node.type in ("whitespace", "comment", "string"):
            continue
        if not (isinstance(node, FunctionBlock) and node.lower_name in COUNTERS
                and _first_ident(node) in PAGE_COUNTERS):
            return False
    return True


def _in_flow(rule: QualifiedRule) -> bool:
    """Whether an element's rule shows a page number, which differs at a nominal first page."""
    for declaration in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True):
        if isinstance(declaration, Declaration):
            for function in _functions(declaration.value):
                if function.lower_name in COUNTERS and _first_ident(function) in PAGE_COUNTERS:
                    return True
                if function.lower_name in TARGETS and any(
                        isinstance(n, IdentToken) and n.lower_value in PAGE_COUNTERS for n in function.arguments):
                    return True
    return False


def folio_html(root: str, kinds: Sequence[PageKind]) -> str | None:
    """The folio document: one empty element per page, on the same named page; None if a name is odd.

    ``root`` is the unit's ``<html ...>`` start tag, so the margin boxes inherit the same styles
    (language, classes) from the root element. Left and right alternate from the first page, as
    in the unit, and ``:first`` is the first page of both documents.
    """
    names = [name for _, name in kinds]
    if any(name and not NAME.match(name) for name in names):
        return None
    pages = "".join(f'<{TAG} style="page: {html.escape(name) or "auto"}"></{TAG}>' for name in names)
    return f"<!DOCTYPE html>\n{root}<head><meta charset=\"utf-8\"></head><body>{pages}</body></html>"


def first_side(side: str) -> str:
    """CSS that makes a document open on a left- or right-hand page ("left", "right"), or on a
    recto or verso ("recto", "verso"), which in a right-to-left book are the left and right ones."""
    return f":root {{ break-before: {side if side in ('left', 'verso', 'recto') else 'right'}; }}"


ROOT_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


def root_tag(document: str) -> str:
    """The ``<html ...>`` start tag of a unit's HTML."""
    match = ROOT_TAG.search(document)
    return match.group(0) if match else "<html>"

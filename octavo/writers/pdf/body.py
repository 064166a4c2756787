"""A chapter's XHTML, placed for print: the changes that make sense on paper and nowhere else.

- Footnotes move from the end of the chapter to their call, as ``<span class="footnote">``, which
  styles/pdf.css floats to the foot of the page (``float: footnote``), numbered as in the EPUB
  (``data-number``); a very long note stays at the end of the chapter.
- Every id gets its page's id in front (``<page>--<id>``): the pages of all chapters end up in one
  PDF, whose named destinations must be unique.
- Internal links point at those ids; a link into another chapter, which is laid out as another
  document, is written ``octavo-dest:<page>--<id>`` and becomes a PDF destination once the pages
  are joined (see :mod:`octavo.writers.pdf.merge`).
- Headings of the contents tree are marked ``bookmark-N`` so the PDF outline mirrors the contents.
- A cross-reference that asks for its page ("on page N") is given it, from the pages laid out so far.
- A short callout is marked ``keep-together``, which styles/pdf.css keeps on one page.
- Tokens of highlighted code that the print theme leaves plain lose their span (see plain_code).
- Formulas, MathML elsewhere, are drawn as SVG (WeasyPrint has no MathML), see :mod:`octavo.math`.

All of it is done on the lxml tree: the HTML is never edited with regular expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from lxml import etree

from octavo import math, sanitize
from octavo.memo import NO_CACHE, Memo
from octavo.model import XRefIndex
from octavo.render import OUTSIDE, XREF
from octavo.transforms.crossrefs import PAGE_CLASS, has_page_references

DEST_SCHEME = "octavo-dest:"
LONG_NOTE = 900  # characters; a longer note is printed at the end of its chapter (see inline_footnotes)
SHORT_CALLOUT = 600  # characters; a callout this short is not split across pages (about ten lines)
FOREIGN = (f"{{{sanitize.SVG_NS}}}svg", f"{{{sanitize.MATHML_NS}}}math")
IDREF_ATTRIBUTES = ("aria-labelledby", "aria-describedby", "aria-controls", "for", "headers")
# Block elements inside a note become spans (a <p> inside the <p> of the call would be closed by
# the HTML parser); their class keeps the look: styles/pdf.css gives .note-<tag> its display.
NOTE_BLOCKS = frozenset({
    "p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption",
    "section", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
})


@dataclass(frozen=True)
class Mark:
    """An entry of the PDF outline: its level in the contents tree and its label."""

    level: int
    label: str


def anchor(page: str, fragment: str) -> str:
    """The id of ``fragment`` of ``page`` in the joined PDF; a page's own top is its id."""
    return f"{page}--{fragment}" if fragment else page


def url_maker(current: str) -> Callable[[str, str], str]:
    """``url(page, fragment)`` as seen from the document of page ``current``."""

    def url(page: str, fragment: str) -> str:
        name = anchor(page, fragment)
        return f"#{name}" if page == current else DEST_SCHEME + quote(name, safe="")

    return url


def print_body(html: str, current: str, index: XRefIndex, marks: Mapping[str, Mark],
               long_note: int = LONG_NOTE, page_number: Callable[[str, str], str] | None = None,
               plain: frozenset[str] = frozenset(), memo: Memo = NO_CACHE, undrawn: list[str] | None = None) -> str:
    """The chapter XHTML of page ``current``, placed for print (see the module's docstring).

    ``page_number(page, fragment)`` gives the page label of an anchor, for "on page N";
    ``plain``: the token classes of code the print theme gives no look of their own;
    ``memo`` keeps the drawn formulas, ``undrawn`` receives the TeX of those that could not be.
    """
    if not html.strip():
        return ""
    root = sanitize.parse(html, raw=False)
    plain_code(root, plain)
    failed = math.for_print(root, memo)
    if undrawn is not None:
        undrawn += failed
    inline_footnotes(root, long_note)
    if page_number is not None and has_page_references(html):
        page_references(root, index, page_number)
    place_links(root, index, url_maker(current))
    if 'class="callout' in html:
        keep_short_callouts(root)
    mark_bookmarks(root, marks)
    prefix_ids(root, current)
    return sanitize.serialize(root)


CODE_TOKENS = etree.XPath("//pre[contains(concat(' ', @class, ' '), ' highlight ')]/code/span/span[@class]")


def plain_code(root: etree._Element, plain: frozenset[str]) -> None:
    """Unwrap the token spans of ``plain`` classes. WeasyPrint lays out each inline box on its
    own (half a millisecond a span), and about half of a block's tokens (names, punctuation,
    operators) look just like the code around them."""
    if plain:
        for span in CODE_TOKENS(root):
            if span.get("class") in plain:
                sanitize.unwrap(span)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _classes(element: etree._Element) -> list[str]:
    return str(element.get("class", "")).split()


def inline_footnotes(root: etree._Element, long_note: int = LONG_NOTE) -> None:
    """Move each footnote to its first call, numbered as in the source (``data-number``).

    A note longer than ``long_note`` characters stays at the end of the chapter with its call a
    plain link to it: WeasyPrint cannot split a note across pages, and a note taller than the
    room left on the page pushes the page's text and notes on, page after page. Later calls of
    a note stay links to it.
    """
    notes = {str(a.get("id")): a for a in root.iter() if _local(a) == "aside" and "footnote" in _classes(a)}
    for call in [a for a in root.iter() if _local(a) == "a" and a.get("role") == "doc-noteref"]:
        fragment = call.get("href", "").partition("#")[2]
        note = notes.get(fragment)
        if note is None or _length(note) > long_note:
            continue
        del notes[fragment]
        sup = call.getparent()
        site = sup if sup is not None and _local(sup) == "sup" and len(sup) == 1 else call
        number = _text(call).strip()
        _replace(site, [_call_anchor(call), _footnote_span(note, fragment, number)])
    for section in [s for s in root.iter() if _local(s) == "section" and "footnotes" in _classes(s)]:
        for note in [n for n in section if _local(n) == "aside" and str(n.get("id")) not in notes]:
            section.remove(note)
        if not any(isinstance(child.tag, str) for child in section):
            sanitize.drop(section)


def _text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def _length(note: etree._Element) -> int:
    return len(" ".join(_text(note).split()))


def _call_anchor(call: etree._Element) -> etree._Element:
    """An empty span with the call's id, so a link to the call still has somewhere to land."""
    span = etree.Element("span", {"class": "noteref-anchor"})
    if call.get("id"):
        span.set("id", str(call.get("id")))
    span.text = ""
    return span


def _footnote_span(note: etree._Element, fragment: str, number: str) -> etree._Element:
    span = etree.Element("span", {"class": "footnote", "id": fragment, "role": "doc-footnote",
                                  "data-number": number})
    for backlink in [a for a in note.iter() if _local(a) == "a" and "note-number" in _classes(a)]:
        backlink.tail = (backlink.tail or "").lstrip()
        sanitize.drop(backlink)
    children = [c for c in note if isinstance(c.tag, str)]
    span.text = (note.text or "").strip() or None
    for position, child in enumerate(children):
        if position == 0 and _local(child) == "p":
            _unwrap_into(span, child)
        else:
            span.append(child)
    for block in [e for e in span.iter() if e is not span and _local(e) in NOTE_BLOCKS]:
        tag = _local(block)
        block.tag = "span"
        block.set("class", " ".join([f"note-{tag}", *_classes(block)]))
    return span


def _unwrap_into(target: etree._Element, paragraph: etree._Element) -> None:
    """Append the content of ``paragraph`` (text and children) to ``target``."""
    text = paragraph.text or ""
    if len(target):
        last = target[-1]
        last.tail = (last.tail or "") + text
    else:
        target.text = (target.text or "") + text
    for child in list(paragraph):
        target.append(child)


def _replace(site: etree._Element, new: list[etree._Element]) -> None:
    parent = site.getparent()
    if parent is None:
        return
    new[-1].tail = site.tail
    position = parent.index(site)
    parent.remove(site)
    for offset, element in enumerate(new):
        parent.insert(position + offset, element)


def page_references(root: etree._Element, index: XRefIndex, page_number: Callable[[str, str], str]) -> None:
    """" on page 47" in each ``span.xref-page`` (see :mod:`octavo.transforms.crossrefs`), for the
    page of the link just before it; the words come with the span, in the book's language."""
    for span in [e for e in root.iter() if _local(e) == "span" and PAGE_CLASS in _classes(e)]:
        link = span.getprevious()
        href = str(link.get("href", "")) if link is not None else ""
        words = span.attrib.pop("data-label", "")
        if not href.startswith(XREF):
            continue
        page, _, fragment = href[len(XREF):].partition("#")
        number = page_number(*index.resolve(page, fragment))
        if number:
            span.text = f" {words} {number}"


def keep_short_callouts(root: etree._Element) -> None:
    """A callout short enough to move whole to the next page is kept together; a long one may break,
    as keeping it whole would leave most of a page empty before it."""
    for callout in [e for e in root.iter() if _local(e) == "div" and "callout" in _classes(e)]:
        if _length(callout) <= SHORT_CALLOUT and not any(_local(e) in ("img", "table", "pre") for e in callout.iter()):
            callout.set("class", " ".join([*_classes(callout), "keep-together"]))


def place_links(root: etree._Element, index: XRefIndex, url: Callable[[str, str], str]) -> None:
    """Turn each ``octavo:<page>#<id>`` placeholder into this output's URL for it."""
    for link in root.iter():
        href = link.get("href") if isinstance(link.tag, str) else None
        if href is not None and href.startswith(OUTSIDE):  # out of the book, with no web address
            del link.attrib["href"]
            link.tag = "span"
        if href is None or not href.startswith(XREF):
            continue
        page, _, fragment = href[len(XREF):].partition("#")
        link.set("href", url(*index.resolve(page, fragment)))


def mark_bookmarks(root: etree._Element, marks: Mapping[str, Mark]) -> None:
    """Give the headings of the contents tree their outline level and label."""
    if not marks:
        return
    for element in root.iter():
        mark = marks.get(str(element.get("id"))) if isinstance(element.tag, str) else None
        if mark is not None:
            element.set("class", " ".join([*_classes(element), f"bookmark-{mark.level}"]))
            element.set("data-bookmark", mark.label)


def prefix_ids(root: etree._Element, page: str) -> None:
    """``id`` -> ``<page>--id`` outside SVG and MathML, whose ids are their own business."""
    stack = [root]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str) or element.tag in FOREIGN:
            continue
        stack.extend(element)
        if element.get("id"):
            element.set("id", anchor(page, str(element.get("id"))))
        for name in IDREF_ATTRIBUTES:
            value = element.get(name)
            if value:
                element.set(name, " ".join(anchor(page, token) for token in value.split()))

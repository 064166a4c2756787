"""The print edition's page breaks in the EPUB, when the PDF is built in the same run.

The PDF writer says where each of its pages begins (:class:`~octavo.model.PrintPage`: the page's
label, the page of the reading order it falls in and its first words); here each page gets a
marker, ``<span epub:type="pagebreak" role="doc-pagebreak">``, just before those words in the
EPUB's text, and the navigation document lists them all in its ``page-list``. A reader can then
go to, and cite, the page of the print edition.

The words are found in each document's text with whitespace left out and case folded, so a line
or block boundary, a ``text-transform`` or a hyphenated line end make no difference. The search
runs forward from the previous marker, so the markers stay in the PDF's order; a page whose words
are not found (text only the PDF shows) is tried with its first words dropped one by one, and is
left out of the page-list if it still is not found. The first page of each page of the reading
order is marked at the top of its document.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from octavo.memo import digest
from octavo.model import PrintPage

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
SPACE = re.compile(r"\s+")
DROPS = 6  # leading words a page's first words may lose to be found (text the EPUB does not have)
LEAST = 3  # words that must remain


class Doc(Protocol):
    """What is read of an EPUB document (the writer's ``Document``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def content(self) -> bytes: ...


@dataclass(frozen=True)
class Mark:
    label: str
    href: str  # document#id


def mark_pages(documents: Sequence[Doc], pages: Sequence[PrintPage]
               ) -> tuple[dict[int, tuple[bytes, str]], list[Mark]]:
    """The documents that get markers, by position: their new content and a digest of the
    markers (for their cache key); and the page-list in reading order."""
    order = {doc.id: n for n, doc in enumerate(documents)}
    texts: dict[int, _Text] = {}
    wanted: dict[int, list[tuple[int, str]]] = {}  # document -> (stream position or -1 for the top, label)
    doc, position, previous = -1, 0, ""
    for page in pages:
        home = order.get(page.page)
        if home is None:
            continue
        if page.page != previous or home > doc:  # a new page of the reading order: its top
            previous, doc, position = page.page, home, 0
            wanted.setdefault(doc, []).append((-1, page.label))
            continue
        found = _find(documents, texts, page.words, doc, position)
        if found is None:
            continue
        doc, position = found
        wanted.setdefault(doc, []).append((position, page.label))
        position += 1
    marks: list[Mark] = []
    changed: dict[int, tuple[bytes, str]] = {}
    for number, doc_marks in sorted(wanted.items()):
        text = texts.get(number) or _Text(documents[number].content)
        ids = text.insert(doc_marks)
        changed[number] = (text.serialise(), digest(doc_marks, ids))
        marks += [Mark(label, f"{documents[number].name}#{ident}") for label, ident in ids]
    return changed, marks


def _find(documents: Sequence[Doc], texts: dict[int, _Text], words: str, doc: int, position: int
          ) -> tuple[int, int] | None:
    """Where ``words`` (or its end) first occurs from ``position`` of document ``doc`` on."""
    listed = words.split()
    for dropped in range(min(DROPS, max(0, len(listed) - LEAST)) + 1):
        wanted = _fold("".join(listed[dropped:]))
        for number in range(doc, len(documents)):
            text = texts.get(number)
            if text is None:
                text = texts[number] = _Text(documents[number].content)
            at = text.stream.find(wanted, position if number == doc else 0)
            if at >= 0:
                return number, at
    return None


def _fold(text: str) -> str:
    """Without whitespace, lower case; one character per character, so positions carry over."""
    stripped = SPACE.sub("", text)
    lowered = stripped.lower()
    if len(lowered) == len(stripped):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in stripped)


class _Text:
    """A document's text as one folded stream, and where each piece of it is in the tree."""

    def __init__(self, content: bytes) -> None:
        self.root = etree.fromstring(content)
        self.body = self.root.find(f"{{{XHTML_NS}}}body")
        self.pieces: list[tuple[etree._Element, bool]] = []  # (element, its tail rather than its text)
        self.starts: list[int] = []
        folded: list[str] = []
        size = 0
        for element, tail, text in self._pieces():
            piece = _fold(text)
            if piece:
                self.pieces.append((element, tail))
                self.starts.append(size)
                folded.append(piece)
                size += len(piece)
        self.stream = "".join(folded)

    def _pieces(self) -> list[tuple[etree._Element, bool, str]]:
        """Every piece of text in the body, in order, leaving out MathML and SVG (no span goes there)."""
        found: list[tuple[etree._Element, bool, str]] = []
        if self.body is None:
            return found

        def visit(element: etree._Element) -> None:
            if element.text:
                found.append((element, False, element.text))
            for child in element:
                if isinstance(child.tag, str) and etree.QName(child).namespace == XHTML_NS:
                    visit(child)
                if child.tail:
                    found.append((child, True, child.tail))

        visit(self.body)
        return found

    def insert(self, wanted: list[tuple[int, str]]) -> list[tuple[str, str]]:
        """Put a marker at each (stream position, label), -1 meaning the top of the body; returns
        (label, id) of each in order."""
        taken = set(self.root.xpath("//@id"))
        ids: list[tuple[str, str]] = []
        for _, label in wanted:
            ident, n = f"page-{SPACE.sub('-', label)}", 1
            while ident in taken:
                n += 1
                ident = f"page-{SPACE.sub('-', label)}-{n}"
            taken.add(ident)
            ids.append((label, ident))
        for (position, label), (_, ident) in sorted(zip(wanted, ids, strict=True), key=lambda pair: -pair[0][0]):
            self._put(position, _marker(label, ident))
        return ids

    def _put(self, position: int, marker: etree._Element) -> None:
        if position < 0 or self.body is None:
            body = self.body if self.body is not None else self.root
            marker.tail, body.text = body.text, None
            body.insert(0, marker)
            return
        number = bisect_right(self.starts, position) - 1
        element, tail = self.pieces[number]
        text = (element.tail if tail else element.text) or ""
        offset = _offset(text, position - self.starts[number])
        marker.tail = text[offset:]
        if tail:
            element.tail = text[:offset]
            element.addnext(marker)
        else:
            element.text = text[:offset]
            element.insert(0, marker)

    def serialise(self) -> bytes:
        return bytes(etree.tostring(self.root.getroottree(), xml_declaration=True, encoding="utf-8"))


def _offset(text: str, folded: int) -> int:
    """The index in ``text`` of its character number ``folded`` once whitespace is left out."""
    seen = -1
    for index, character in enumerate(text):
        if not character.isspace():
            seen += 1
            if seen == folded:
                return index
    return len(text)


def _marker(label: str, ident: str) -> etree._Element:
    span = etree.Element(f"{{{XHTML_NS}}}span", nsmap={"epub": EPUB_NS})
    span.set(f"{{{EPUB_NS}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", ident)
    span.set("aria-label", label)
    return span

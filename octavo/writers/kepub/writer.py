"""Kobo's KEPUB, written natively: the book's EPUB with every sentence in a ``koboSpan``.

Kobo's reader takes a plain EPUB through an older engine; a ``.kepub.epub`` opens in its own
one, which needs each run of text wrapped in ``<span class="koboSpan" id="kobo.P.S">`` (paragraph
P, segment S) to keep reading positions, highlights and page counts, and the body's content in
``div#book-columns > div#book-inner``. That is all Calibre's plug-ins and kepubify do, so octavo
does it on the EPUB of the same build (or one written for it through the EPUB's
:class:`~octavo.writers.base.Writer`), with the zip rewritten in the same fixed order and
times. MathML, SVG, code and the navigation document are left as they are.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

from octavo.model import Assembled
from octavo.options import Options
from octavo.writers.base import Writer
from octavo.writers.common import book_epub

XHTML_NS = "http://www.w3.org/1999/xhtml"
X = f"{{{XHTML_NS}}}"
BLOCKS = {f"{X}{name}" for name in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd",
                                     "figcaption", "caption", "div", "blockquote", "section", "aside", "pre")}
SKIP = {f"{X}{name}" for name in ("script", "style", "pre", "code")} | {
    "{http://www.w3.org/1998/Math/MathML}math", "{http://www.w3.org/2000/svg}svg"}
SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def write_kepub(assembled: Assembled, dest: Path, options: Options) -> list[Path]:
    """Write ``dest/<slug>.kepub.epub`` from the book's EPUB."""
    out = dest / f"{assembled.slug}.kepub.epub"
    with tempfile.TemporaryDirectory(prefix="octavo-kepub-") as work:
        epub = book_epub(assembled, dest, options, Path(work))
        with zipfile.ZipFile(epub) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename.endswith(".xhtml") and not info.filename.endswith("/nav.xhtml"):
                    data = kobo_spans(data)
                target.writestr(info, data, compress_type=info.compress_type)
    return [out]


def kobo_spans(page: bytes) -> bytes:
    """The XHTML page with its text in Kobo's spans and its body in Kobo's two wrappers."""
    root = etree.fromstring(page)
    body = root.find(f"{X}body")
    if body is None:
        return page
    counter = {"paragraph": 0, "segment": 0}
    _wrap(body, counter)
    columns = etree.Element(f"{X}div", id="book-columns")
    inner = etree.SubElement(columns, f"{X}div", id="book-inner")
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8"))


def _wrap(element: etree._Element, counter: dict[str, int]) -> None:
    if element.tag in BLOCKS:
        counter["paragraph"] += 1
        counter["segment"] = 0
    if element.tag in SKIP or not isinstance(element.tag, str):
        return
    children = list(element)  # before any span is added: the spans are not walked again
    if element.text and element.text.strip():
        spans = _spans(element.text, counter)
        element.text = None
        for number, span in enumerate(spans):
            element.insert(number, span)
    for child in children:
        _wrap(child, counter)
        if child.tail and child.tail.strip():
            spans = _spans(child.tail, counter)
            child.tail = None
            at = element.index(child) + 1
            for number, span in enumerate(spans):
                element.insert(at + number, span)


def _spans(text: str, counter: dict[str, int]) -> list[etree._Element]:
    pieces = [piece for piece in re.split(f"({SENTENCE.pattern})", text) if piece]
    spans: list[etree._Element] = []
    for piece in pieces:
        if spans and not piece.strip():  # the space between two sentences stays with the first
            spans[-1].text = (spans[-1].text or "") + piece
            continue
        counter["segment"] += 1
        ident = f"kobo.{counter['paragraph']}.{counter['segment']}"
        span = etree.Element(f"{X}span", {"class": "koboSpan", "id": ident})
        span.text = piece
        spans.append(span)
    return spans


WRITER = Writer("Kobo KEPUB", ("kepub",), write_kepub)

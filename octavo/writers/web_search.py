"""The web edition's search index: every word of the book -> the sections it occurs in.

A section is the top of a page (up to its first subheading) or a subheading with an id up to the
next one; a footnote counts as part of the section that calls it. The index is an inverted word
list rather than the sections' text, which keeps it to a fraction of the book (the 7 MB diary of
Pepys gives about 0.6 MB) while letting a reader find any word, by prefix, in any section.

It is written as a script, ``window.octavoSearch = {...};``, so that it loads from ``file://``
where ``fetch()`` is refused, and ``octavo.js`` loads it only when the search box is first used,
so reading a page never pays for it. The format, kept in step with ``octavo.js``:

``pages``    ``[[file, title], ...]`` in reading order
``sections`` ``[[page index, fragment or "", heading or ""], ...]`` in reading order
``blocks``   ``[{"first": n, "words": ..., "postings": [...]}, ...]``: the inverted index of each
             run of ``BLOCK`` pages, whose sections are numbered from ``first`` on:
``words``    every word of the block, sorted, joined by single spaces
``postings`` for each word, the ascending section numbers it occurs in, counted from the block's
             first section, as gaps from the previous number (the first counted from -1), each gap
             written in base 32 with the most significant digits first: all digits but the last
             from ``CONTINUE``, the last from ``FINAL``, so a gap below 32 is one character and no
             separator is needed.

The blocks let a rebuild reuse the index of every run of pages that did not change: after one
chapter of a long book is edited, only its block is merged again. They cost some size (a word
is listed once per block it occurs in).

Words are folded as the script folds a query: lower case, NFKD with the combining accents of
U+0300-U+036F removed, split on anything that is not a letter or a digit; single letters are
left out (digits are kept).
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from lxml import html as lxml_html

from octavo.batch import PARALLEL_MIN_BYTES
from octavo.memo import Memo, code_digest, digest
from octavo.sanitize import EPUB_NS
from octavo.transforms.toc import Page

if TYPE_CHECKING:
    from octavo.pipeline import Assembled

FINAL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
CONTINUE = "ghijklmnopqrstuvwxyz0123456789-_"
WORD = re.compile(r"[^\W_]+")
ACCENTS = re.compile("[\u0300-\u036f]")
HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
BLOCK = 32  # pages per block of the index
NESTED_HEADING = "./*//*[@id][" + " or ".join(f"local-name()='{h}'" for h in sorted(HEADINGS)) + "]"
NOTEREF_IDS = "descendant-or-self::*[@role='doc-noteref']/@id"


@dataclass
class Section:
    page: int
    fragment: str
    title: str
    texts: list[str] = field(default_factory=list)


@contextmanager
def writing_index(assembled: Assembled, file_of: Callable[[str], str], path: Path) -> Iterator[None]:
    """Write the search index to ``path`` when the block ends; the pages the cache does not have
    are indexed in worker processes meanwhile, while the caller writes the site's pages."""
    items = list(enumerate(assembled.pages))
    memo = assembled.memo.area("search")
    keys, found = _cached(items, memo)
    todo = [position for position in range(len(items)) if position not in found]
    with _pool([items[p] for p in todo]) as pool:
        pending = pool.map(page_words, [items[p] for p in todo], chunksize=max(1, len(todo) // 8)) if pool else None
        yield
        made = list(pending) if pending is not None else [page_words(items[p]) for p in todo]
    for position, words_found in zip(todo, made, strict=True):
        if keys:
            memo.store(keys[position], json.dumps(words_found, ensure_ascii=False).encode())
        found[position] = words_found
    script = merged(assembled.pages, file_of, keys, [found[p] for p in range(len(items))], memo)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script, encoding="utf-8")


def merged(pages: Iterable[Page], file_of: Callable[[str], str], keys: list[str], indexed: list[Indexed],
           memo: Memo) -> str:
    """The index script from every page's sections and words; a block whose pages' keys are
    unchanged comes from the cache."""
    page_list = list(pages)
    blocks: list[dict[str, Any]] = []
    first = 0
    code = code_digest("writers/web_search.py")
    for start in range(0, len(indexed), BLOCK):
        run = indexed[start:start + BLOCK]
        key = digest(code, "block", keys[start:start + BLOCK]) if keys else ""
        block = json.loads(memo.text(key, partial(_block, run))) if key else json.loads(_block(run))
        blocks.append({"first": first, **block})
        first += sum(len(page) for page in run)
    data = {
        "pages": [[file_of(page.id), page.title] for page in page_list],
        "sections": [list(head) for page in indexed for head, _ in page],
        "blocks": blocks,
    }
    return "window.octavoSearch = " + json.dumps(data, separators=(",", ":")) + ";\n"


def _block(run: list[Indexed]) -> str:
    """The inverted index of a run of pages, its sections numbered from 0, as JSON."""
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for number, found in enumerate(found for page in run for _, found in page):
        for word in found:
            postings[word].append(number)
    ordered = sorted(postings, key=lambda w: w.encode("utf-16-be"))  # the order of JavaScript's "<"
    return json.dumps({"words": " ".join(ordered), "postings": [encode(postings[w]) for w in ordered]})


def page_words(item: tuple[int, Page]) -> list[tuple[tuple[int, str, str], list[str]]]:
    """One page's sections as ((page, fragment, heading), sorted words): a pure function, so the
    pages of a long book can be indexed in several processes."""
    number, page = item
    return [((s.page, s.fragment, s.title), sorted(words(" ".join(s.texts)))) for s in page_sections(page, number)]


Indexed = list[tuple[tuple[int, str, str], list[str]]]


def _cached(items: list[tuple[int, Page]], memo: Memo) -> tuple[list[str], dict[int, Indexed]]:
    """Each page's cache key (none without a cache), and the sections and words of the pages the
    cache has, by position."""
    if memo.folder is None:
        return [], {}
    code = code_digest("writers/web_search.py")
    keys = [digest(code, number, page.title, page.chapter.html if page.chapter else "") for number, page in items]
    found: dict[int, Indexed] = {}
    for position, key in enumerate(keys):
        with contextlib.suppress(ValueError):  # an unreadable entry is only a miss
            entry = memo.load(key)
            if entry is not None:
                found[position] = json.loads(entry)
    return keys, found


@contextmanager
def _pool(items: list[tuple[int, Page]]) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for a long book's pages; None when starting them would cost more."""
    size = sum(len(p.chapter.html) for _, p in items if p.chapter is not None)
    jobs = min(os.cpu_count() or 1, len(items))
    if jobs < 2 or size < PARALLEL_MIN_BYTES:
        yield None
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield pool


def words(text: str) -> set[str]:
    # Folding is done once per distinct whitespace-separated token rather than over the whole
    # text: a diary repeats its words, so this is a fraction of the work, with the same result
    # (no word spans whitespace, and neither lower() nor NFKD looks across it).
    distinct = " ".join(set(text.split()))
    folded = ACCENTS.sub("", unicodedata.normalize("NFKD", distinct.lower()))
    return {w for w in set(WORD.findall(folded)) if len(w) > 1 or w.isdigit()}


def _gap(gap: int) -> str:
    digits = FINAL[gap % 32]
    gap //= 32
    while gap:
        digits = CONTINUE[gap % 32] + digits
        gap //= 32
    return digits


GAPS = tuple(_gap(gap) for gap in range(32 * 32))  # every gap of one or two digits, looked up


def encode(numbers: Iterable[int]) -> str:
    listed = list(numbers)
    gaps = map(operator.sub, listed, [-1, *listed])
    return "".join(GAPS[gap] if gap < len(GAPS) else _gap(gap) for gap in gaps)


def page_sections(page: Page, number: int) -> list[Section]:
    """The page's sections with their text; a part page's top holds its title and intro."""
    sections = [Section(number, "", "", [page.title])]
    if page.chapter is None:
        return sections
    root = parse(page.chapter.html)
    walker = _Walker(sections)
    if not walker.flat(root):
        walker.visit(root, in_aside=False)
    for aside in walker.notes:
        backlink = next(iter(aside.xpath(".//*[@role='doc-backlink']/@href")), "")
        owner = walker.noterefs.get(str(backlink).rpartition("#")[2], 0)
        sections[owner].texts.append(" ".join(aside.itertext()))
    return sections


def parse(html: str) -> etree._Element:
    """Chapter XHTML is well-formed XML; should one ever not be, the HTML parser still reads it."""
    try:
        return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{html}</div>'.encode())
    except etree.XMLSyntaxError:
        return lxml_html.fragment_fromstring(html, create_parent="div")


class _Walker:
    """Hands each piece of text to the section it is in; footnotes are set aside for later."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self.notes: list[etree._Element] = []
        self.noterefs: dict[str, int] = {}

    def flat(self, root: etree._Element) -> bool:
        """Hand out the text block by block, each block's in one call into lxml, when every
        heading with an id is a top-level block (as Markdown writes them): several times faster
        than :meth:`visit` on a long book. Does nothing and returns False otherwise."""
        if root.xpath(NESTED_HEADING):
            return False
        if root.text:
            self.sections[-1].texts.append(root.text)
        for child in root:
            tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if tag == "section" and "footnotes" in (child.get("class") or "").split():
                self.notes += [e for e in child if isinstance(e.tag, str)]
            elif tag:
                if tag in HEADINGS and child.get("id"):
                    self.sections.append(Section(self.sections[0].page, str(child.get("id")), _heading_text(child)))
                self.sections[-1].texts.append(" ".join(child.itertext()))
                for ident in child.xpath(NOTEREF_IDS):
                    self.noterefs[str(ident)] = len(self.sections) - 1
            if child.tail:
                self.sections[-1].texts.append(child.tail)
        return True

    def visit(self, element: etree._Element, in_aside: bool) -> None:
        tag = etree.QName(element).localname
        if tag == "section" and "footnotes" in (element.get("class") or "").split():
            self.notes += [e for e in element if isinstance(e.tag, str)]
            return
        ident = element.get("id")
        if tag in HEADINGS and ident and not in_aside:
            self.sections.append(Section(self.sections[0].page, ident, _heading_text(element)))
        elif ident and element.get("role") == "doc-noteref":
            self.noterefs[ident] = len(self.sections) - 1
        texts = self.sections[-1].texts
        if element.text:
            texts.append(element.text)
        for child in element:
            if isinstance(child.tag, str):
                self.visit(child, in_aside or tag == "aside")
            if child.tail:
                self.sections[-1].texts.append(child.tail)


def _heading_text(heading: etree._Element) -> str:
    """A heading's text without its note calls."""
    text = heading.xpath(".//text()[not(ancestor::*[@role='doc-noteref'])]")
    return " ".join("".join(str(t) for t in text).split())

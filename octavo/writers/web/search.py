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
chapter of a long book is edited, only its block is merged again; and they are the unit of work,
so the blocks of a long book are made in parallel. They cost some size (a word is listed once
per block it occurs in).

Words are folded as the script folds a query: lower case, NFKD with the combining accents of
U+0300-U+036F removed, split on anything that is not a letter or a digit; single letters are
left out (digits are kept).
"""

from __future__ import annotations

import contextlib
import json
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, count

from lxml import etree

from octavo import i18n
from octavo.highlight import without_hidden
from octavo.memo import Memo, code_digest, digest
from octavo.model import Page
from octavo.sanitize import ASTRAL, EPUB_NS
from octavo.writers.common import chapter_digest, uncached_size

# what a page's words and an index block are made by (templates.py names authors with i18n.py)
CODE = ("writers/web/search.py", "highlight.py", *i18n.CODE)
FINAL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
CONTINUE = "ghijklmnopqrstuvwxyz0123456789-_"
WORD = re.compile(r"[^\W_]+")
ACCENTS = re.compile("[\u0300-\u036f]")
HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
BLOCK = 32  # pages per block of the index
# XPath compiled once: as a string, lxml compiles it again at every call (once per block of a page).
NOTEREF_IDS = etree.XPath("descendant-or-self::*[@role='doc-noteref']/@id")
BACKLINK = etree.XPath(".//*[@role='doc-backlink']/@href")
HEADING_TEXT = etree.XPath(".//text()[not(ancestor::*[@role='doc-noteref'])]")
HEADING_TAGS = tuple(f"{{*}}{h}" for h in sorted(HEADINGS))  # for root.iter(): in any namespace or none
ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Chinese, Japanese and Korean write no spaces between words (or, in Korean, attach particles to
# them): a run of their characters is indexed as its overlapping pairs, and its last character
# alone, so every character starts a word; octavo.js cuts a query the same way.
CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
FOOTNOTES_CANDIDATES = etree.XPath("./*[local-name()='section'][contains(@class, 'footnotes')]")


@dataclass
class Section:
    page: int
    fragment: str
    title: str
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchIndex:
    """The search index of one build: its pages and, with a cache, each page's key in it.

    The work is done block by block (:func:`index_block`), each block's pages indexed and their
    words merged in one task, so the blocks of a long book can be made in worker processes while
    the site's pages are written; :func:`script` then only joins them.
    """

    pages: tuple[Page, ...]
    memo: Memo
    keys: tuple[str, ...] = ()  # each page's key in ``memo``; none without a cache

    @classmethod
    def of(cls, pages: Sequence[Page], memo: Memo) -> SearchIndex:
        if memo.folder is None:
            return cls(tuple(pages), memo)
        code = code_digest(*CODE)
        return cls(tuple(pages), memo, tuple(digest(code, number, page.title, chapter_digest(page.chapter))
                                             for number, page in enumerate(pages)))

    def starts(self) -> range:
        """The first page of each block."""
        return range(0, len(self.pages), BLOCK)

    def block(self, start: int) -> range:
        """The pages of the block that begins at page ``start``."""
        return range(start, min(start + BLOCK, len(self.pages)))

    def work(self) -> int:
        """How much there is to index: the size of the chapters whose words the cache lacks."""
        return uncached_size(self.pages, self.keys, self.memo)


Head = tuple[int, str, str]  # a section's page, fragment and heading
Indexed = list[tuple[Head, list[str]]]  # a page's sections: head, words
Heads = list[Head]  # the heads of each section of a block's pages


@dataclass(frozen=True)
class Merged:
    """A block's inverted index as lists, before it is written as JSON.

    A long-running process (``serve``) keeps the latest of each block in memory (:func:`keep`),
    so that after one chapter is edited the next build changes only the postings of the words
    that came into or left one of its sections (:func:`_update`), a handful, instead of merging
    the block's tens of thousands again. ``keys`` says which pages it was made from, so that it is
    only ever updated where the pages changed.
    """

    keys: tuple[str, ...]  # each page's key in the SearchIndex, which stands for its words and heads
    heads: tuple[tuple[Head, ...], ...]  # each page's sections
    words: tuple[tuple[frozenset[str], ...], ...]  # each page's sections' words
    postings: Mapping[str, list[int]]  # word -> its ascending section numbers; never changed once made
    encoded: Mapping[str, str]  # word -> its postings as written
    ordered: tuple[str, ...]  # the words in the order of the index (and of the two mappings)

    def json(self) -> str:
        """``_compact({"words": ..., "postings": [...]})``, with the postings joined as they are:
        their digits (FINAL, CONTINUE) are letters, digits, "-" and "_", which JSON never escapes."""
        postings = '","'.join(map(self.encoded.__getitem__, self.ordered))
        listed = f'"{postings}"' if self.ordered else ""
        return f'{{"words":{_compact(" ".join(self.ordered))},"postings":[{listed}]}}'

    def size(self) -> int:
        """About the bytes it holds, for the Recall's limit."""
        return 8 * sum(map(len, self.postings.values())) + sum(map(len, self.encoded.values())) + \
            2 * sum(map(len, self.ordered)) + 8 * sum(len(found) for page in self.words for found in page)


@dataclass(frozen=True)
class Block:
    """One block of the index: its sections' heads and JSON, and with a Recall the lists behind them
    (made in a worker process, they travel back with the result, for the main process to keep)."""

    heads: Heads
    json: str
    merged: Merged | None = None


def index_block(index: SearchIndex, start: int, parsed: dict[int, list[Section]] | None = None) -> Block:
    """The sections of the block of pages from ``start`` and its inverted index as JSON.

    With a cache, a block whose pages are unchanged is read whole (its sections' heads, a line
    of JSON, then the block's); otherwise the block kept from the previous build, if any, is
    updated, and each page's words come from the cache if it has them. The sections of the pages
    it parsed go into ``parsed`` by page number, for their :func:`text_script` to use.
    """
    numbers = index.block(start)
    keys = index.keys[numbers.start:numbers.stop]
    key = digest(code_digest(*CODE), "block", keys) if index.keys else ""
    if key and (entry := index.memo.load(key)) is not None:
        with contextlib.suppress(ValueError):  # an unreadable entry is only a miss
            heads, _, block = entry.decode().partition("\n")
            return Block([(page, fragment, title) for page, fragment, title in json.loads(heads)], block)
    previous = index.memo.recent(f"block-{start}") if key else None
    if not isinstance(previous, Merged) or len(previous.keys) != len(keys):
        previous = None
    pages = {position: _page_words(index, number, parsed) for position, number in enumerate(numbers)
             if previous is None or previous.keys[position] != keys[position]}
    merged = _update(previous, keys, pages) if previous is not None else None
    if merged is None:
        pages.update((position, _page_words(index, number, parsed)) for position, number in enumerate(numbers)
                     if position not in pages)
        merged = _merge(keys, [pages[position] for position in range(len(numbers))])
    made = Block([head for page in merged.heads for head in page], merged.json(),
                 merged if index.memo.recall is not None else None)
    if key:
        index.memo.store(key, f"{_compact(made.heads)}\n{made.json}".encode())
    return made


def keep(index: SearchIndex, start: int, block: Block) -> None:
    """Keep the block's lists in memory for the next build to update (see :class:`Merged`)."""
    if block.merged is not None:
        index.memo.keep(f"block-{start}", block.merged, block.merged.size())


def _merge(keys: tuple[str, ...], run: list[Indexed]) -> Merged:
    """The inverted index of a run of pages, its sections numbered from 0."""
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for number, found in enumerate(found for page in run for _, found in page):
        for listed in map(postings.__getitem__, found):  # a third faster than postings[word] in the loop
            listed.append(number)
    ordered = _order(postings)
    return Merged(keys, tuple(tuple(head for head, _ in page) for page in run),
                  tuple(tuple(frozenset(found) for _, found in page) for page in run),
                  {word: postings[word] for word in ordered}, {word: encode(postings[word]) for word in ordered},
                  ordered)


def _update(previous: Merged, keys: tuple[str, ...], changed: dict[int, Indexed]) -> Merged | None:
    """``previous`` with the pages at the positions in ``changed`` replaced: only the postings of
    the words that came into or left one of their sections are made again. None when a page's
    number of sections changed, which moves the numbers of all the sections after it."""
    if any(len(page) != len(previous.heads[position]) for position, page in changed.items()):
        return None
    first = list(accumulate((len(heads) for heads in previous.heads), initial=0))  # each page's first section
    words = list(previous.words)
    gained: defaultdict[str, set[int]] = defaultdict(set)
    lost: defaultdict[str, set[int]] = defaultdict(set)
    for position, page in changed.items():
        words[position] = tuple(frozenset(found) for _, found in page)
        for number, before, after in zip(count(first[position]), previous.words[position], words[position]):
            for word in after - before:
                gained[word].add(number)
            for word in before - after:
                lost[word].add(number)
    postings, encoded = dict(previous.postings), dict(previous.encoded)
    for word in gained.keys() | lost.keys():
        listed = sorted(set(postings.get(word, ())).difference(lost.get(word, ())).union(gained.get(word, ())))
        if listed:
            postings[word], encoded[word] = listed, encode(listed)
        else:
            del postings[word], encoded[word]
    heads = tuple(tuple(head for head, _ in changed[position]) if position in changed else heads
                  for position, heads in enumerate(previous.heads))
    if len(postings) == len(previous.postings) and all(word in previous.postings for word in gained):
        return Merged(keys, heads, tuple(words), postings, encoded, previous.ordered)
    ordered = _order(postings)  # nearly in order already: the old words are, the new ones few
    return Merged(keys, heads, tuple(words), {word: postings[word] for word in ordered},
                  {word: encoded[word] for word in ordered}, ordered)


def _order(words: Iterable[str]) -> tuple[str, ...]:
    """Sorted in the order of JavaScript's "<", UTF-16 code units, which is the order of code
    points unless a word has a character beyond U+FFFF."""
    listed = list(words)
    astral = ASTRAL.search(" ".join(listed)) is not None
    return tuple(sorted(listed, key=_utf16) if astral else sorted(listed))


def _page_words(index: SearchIndex, number: int, parsed: dict[int, list[Section]] | None = None) -> Indexed:
    if index.keys:
        with contextlib.suppress(ValueError):  # an unreadable entry is only a miss
            entry = index.memo.load(index.keys[number])
            if entry is not None:
                return [(tuple(head), found) for head, found in json.loads(entry)]
    sections = page_sections(index.pages[number], number)
    if parsed is not None:
        parsed[number] = sections
    found = section_words(sections)
    if index.keys:
        index.memo.store(index.keys[number], json.dumps(found, ensure_ascii=False).encode())
    return found


def script(pages: Iterable[Page], file_of: Callable[[str], str], blocks: Iterable[Block]) -> str:
    """The index script from the blocks in order: ``json.dumps`` of the whole, written piece by
    piece so that each block's JSON, made (or cached) by its task, is used as it is."""
    listed = [[file_of(page.id), page.title] for page in pages]
    sections: list[list[object]] = []
    parts: list[str] = []
    for block in blocks:
        parts.append(f'{{"first":{len(sections)},{block.json[1:]}')
        sections += [list(head) for head in block.heads]
    return (f'window.octavoSearch = {{"pages":{_compact(listed)},"sections":{_compact(sections)},'
            f'"blocks":[{",".join(parts)}]}};\n')


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _utf16(word: str) -> bytes:
    return word.encode("utf-16-be")


def page_words(item: tuple[int, Page]) -> Indexed:
    """One page's sections as ((page, fragment, heading), words): a pure function, so the pages of
    a long book can be indexed in several processes. The words are in no particular order (the
    block sorts them)."""
    number, page = item
    return section_words(page_sections(page, number))


def section_words(sections: list[Section]) -> Indexed:
    return [((s.page, s.fragment, s.title), list(words(" ".join(s.texts)))) for s in sections]


def words(text: str) -> set[str]:
    # Folding is done once per distinct whitespace-separated token rather than over the whole
    # text: a diary repeats its words, so this is a fraction of the work, with the same result
    # (no word spans whitespace, and neither lower() nor NFKD looks across it). A token of ASCII
    # letters and digits alone (most of them) is its own word, lower-cased, without the regex.
    tokens = set(text.split())
    plain = set(filter(str.isalnum, filter(str.isascii, tokens)))  # filter() and map(): no Python code per token
    found = set(map(str.lower, plain)) - ASCII_LETTERS  # a single letter is no word, a single digit is
    folded = ACCENTS.sub("", unicodedata.normalize("NFKD", " ".join(tokens - plain).lower()))
    if CJK.search(unicodedata.normalize("NFC", folded)):
        folded = unicodedata.normalize("NFC", folded)  # a kana's voicing mark back on it (NFKD took it off)
        for word in set(WORD.findall(folded)):
            found.update(cjk_words(word))
        return found
    found.update(w for w in set(WORD.findall(folded)) if len(w) > 1 or w.isdigit())
    return found


def cjk_words(word: str) -> list[str]:
    """A word holding CJK characters as the index keeps it: each CJK run as its pairs and its
    last character ("茶馆里" -> "茶馆", "馆里", "里"), the rest as words of their own."""
    found: list[str] = []
    at = 0
    for run in CJK.finditer(word):
        found += [w for w in (word[at:run.start()],) if len(w) > 1 or w.isdigit()]
        text = run.group()
        found += [text[i:i + 2] for i in range(len(text) - 1)] + [text[-1]]
        at = run.end()
    found += [w for w in (word[at:],) if len(w) > 1 or w.isdigit()]
    return found


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
    if not listed or listed[-1] < len(GAPS) - 1:  # ascending, so no gap reaches len(GAPS)
        return "".join(map(GAPS.__getitem__, gaps))
    return "".join(GAPS[gap] if gap < len(GAPS) else _gap(gap) for gap in gaps)


def page_sections(page: Page, number: int) -> list[Section]:
    """The page's sections with their text; a part page's top holds its title and intro."""
    sections = [Section(number, "", "", [page.title])]
    if page.chapter is None:
        return sections
    root = parse(without_hidden(page.chapter.html))  # a hidden line of code is no result to show
    if _one_section(root):
        sections[0].texts.append(" ".join(root.itertext()))
        return sections
    walker = _Walker(sections)
    if not walker.flat(root):
        walker.visit(root, in_aside=False)
    for aside in walker.notes:
        sections[_owner(aside, walker.noterefs) if len(sections) > 1 else 0].texts.append(" ".join(aside.itertext()))
    return sections


def _one_section(root: etree._Element) -> bool:
    """Whether all the page's text, notes too, is its first section's, and exactly the text of
    the whole tree as the walker would hand it out piece by piece (for the words of a section
    only its pieces count, not their order): no heading starts a section, and no notes container
    has text of its own, which the walker leaves out."""
    if any(heading.get("id") for heading in root.iter(*HEADING_TAGS)):
        return False
    for container in FOOTNOTES_CANDIDATES(root):
        if "footnotes" in (container.get("class") or "").split() and (
                (container.text or "").split() or any(not isinstance(note.tag, str) or (note.tail or "").split()
                                                      for note in container)):
            return False
    return True


def _owner(aside: etree._Element, noterefs: dict[str, int]) -> int:
    """The section that calls a note: the one holding the call its backlink points to."""
    backlink = next(iter(BACKLINK(aside)), "")
    return noterefs.get(str(backlink).rpartition("#")[2], 0)


def parse(html: str) -> etree._Element:
    """Chapter XHTML is well-formed XML; should one ever not be, the HTML parser still reads it."""
    try:
        return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{html}</div>'.encode())
    except etree.XMLSyntaxError:
        from lxml import html as lxml_html  # for that case only: other builds need not load it

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
        if any(heading.getparent() is not root and heading.get("id") is not None
               for heading in root.iter(*HEADING_TAGS)):
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
                if len(self.sections) > 1:  # a note called from the first section needs no entry
                    for ident in NOTEREF_IDS(child):
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
    text = HEADING_TEXT(heading)
    return " ".join("".join(str(t) for t in text).split())


TEXTS = "js/text"


def text_href(number: int) -> str:
    """Where the text of the page at ``number`` (in reading order) is written."""
    return f"{TEXTS}/{number}.js"


def text_script(page: Page, number: int, sections: list[Section] | None = None) -> str:
    """The page's sections' text, for the search results to quote the passage that matched.

    One script per page, loaded by ``octavo.js`` only for the pages a search lists: the index
    holds no text (that keeps it small), and a script, unlike ``fetch()``, loads from ``file://``.
    Its sections are the index's sections of that page, in the same order (``sections``, when
    the index has just made them: parsing the page once serves both).
    """
    sections = page_sections(page, number) if sections is None else sections
    # the first section's first text is the page's title, which the result shows already
    texts = [" ".join(" ".join(section.texts[0 if at else 1:]).split()) for at, section in enumerate(sections)]
    return f"window.octavoText({number},{json.dumps(texts, ensure_ascii=False, separators=(',', ':'))});\n"

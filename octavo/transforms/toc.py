"""The one contents tree every writer uses: parts -> chapters -> sections to ``toc-depth``.

Also the reading order of the book's pages (front matter, part pages, chapters, back matter),
which each writer extends with its own pages (cover, title page, contents).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape, unescape

from octavo.memo import digest
from octavo.model import Book, Chapter, Heading, Kind, Page, Part, RenderedChapter, TocEntry


def build(book: Book, rendered: Mapping[str, RenderedChapter], depth: int) -> tuple[TocEntry, ...]:
    entries: list[TocEntry] = [_chapter_entry(c, rendered[c.id], depth) for c in book.front]
    for item in book.body:
        if isinstance(item, Part):
            entries.append(_part_entry(item, rendered, depth))
        else:
            entries.append(_chapter_entry(item, rendered[item.id], depth))
    entries += [_chapter_entry(c, rendered[c.id], depth) for c in book.back]
    return _nest_levels(entries, [c for c in book.chapters()])


def _part_entry(part: Part, rendered: Mapping[str, RenderedChapter], depth: int) -> TocEntry:
    children = tuple(_chapter_entry(c, rendered[c.id], depth) for c in part.chapters)
    return TocEntry(part.title, escape(part.title), part.id, "part", children=children)


def _chapter_entry(chapter: Chapter, page: RenderedChapter, depth: int) -> TocEntry:
    headings = [h for h in page.headings if h.level <= depth and h.text and not _is_title(h, page)]
    kind = chapter.kind.value if chapter.kind is not Kind.PART_INTRO else "part"
    return TocEntry(page.title, page.title_html, chapter.id, kind, number=chapter.number,
                    children=_sections(headings))


def _is_title(heading: Heading, page: RenderedChapter) -> bool:
    return page.has_title_heading and heading is next(h for h in page.headings if h.level == 1 and h.text)


def _sections(headings: Sequence[Heading]) -> tuple[TocEntry, ...]:
    """Headings, nested by level: an h3 goes under the h2 before it."""
    result: list[TocEntry] = []
    i = 0
    while i < len(headings):
        head = headings[i]
        j = i + 1
        while j < len(headings) and headings[j].level > head.level:
            j += 1
        result.append(TocEntry(head.text, head.html, "", "section", head.id,
                               children=_sections(headings[i + 1 : j])))
        i = j
    return tuple(result)


def _nest_levels(entries: list[TocEntry], chapters: list[Chapter]) -> tuple[TocEntry, ...]:
    """mdBook's nested chapters (level > 0) go under the chapter before them."""
    levels = {c.id: c.level for c in chapters}

    def nest(items: Sequence[TocEntry]) -> tuple[TocEntry, ...]:
        out: list[tuple[TocEntry, int]] = []
        for item in items:
            item = replace(item, children=nest(item.children)) if item.kind == "part" else item
            level = levels.get(item.page, 0) if item.kind != "section" else 0
            out.append((item, level))
        return _fold(out)

    return nest(entries)


def _fold(items: list[tuple[TocEntry, int]]) -> tuple[TocEntry, ...]:
    result: list[TocEntry] = []
    i = 0
    while i < len(items):
        entry, level = items[i]
        j = i + 1
        while j < len(items) and items[j][1] > level:
            j += 1
        nested = _fold(items[i + 1 : j])
        result.append(replace(entry, children=entry.children + nested) if nested else entry)
        i = j
    return tuple(result)


def with_pages(entries: Sequence[TocEntry]) -> tuple[TocEntry, ...]:
    """Give sections the page of the chapter above them, so each entry can be linked alone."""

    def walk(items: Sequence[TocEntry], page: str) -> tuple[TocEntry, ...]:
        out = []
        for item in items:
            own = item.page or page
            out.append(replace(item, page=own, children=walk(item.children, own)))
        return tuple(out)

    return walk(entries, "")


def pages(book: Book, rendered: Mapping[str, RenderedChapter], entries: Sequence[TocEntry]) -> list[Page]:
    """The book's content pages in reading order."""
    result = [_page(c, rendered[c.id], "front") for c in book.front]
    part_entries = {e.page: e for e in entries if e.kind == "part"}
    for item in book.body:
        if isinstance(item, Part):
            children = part_entries[item.id].children if item.id in part_entries else ()
            result.append(part_page(item, rendered[item.intro.id] if item.intro else None,
                                    tuple(c for c in children if c.kind != "section")))
            result += [_page(c, rendered[c.id], "chapter") for c in item.chapters]
        else:
            result.append(_page(item, rendered[item.id], "chapter"))
    result += [_page(c, rendered[c.id], "back") for c in book.back]
    return result


PART_LABEL = re.compile(r"^(part\s+\S+?)\s*[:.\u2013\u2014]\s+(\S.*)$", re.IGNORECASE | re.DOTALL)
LEADING_H1 = re.compile(r"^\s*<h1\b([^>]*)>(.*?)</h1>\s*", re.DOTALL)
ID_ATTRIBUTE = re.compile(r'\bid="([^"]*)"')
CHAPTER_LINK = re.compile(r'href="octavo:([^"#]*)#')


def part_page(part: Part, intro: RenderedChapter | None, entries: tuple[TocEntry, ...]) -> Page:
    """A part's page, set so the part's number, title and chapter list each appear once.

    A title written "Part II: The Techniques" is shown as the label "Part II" over the title
    "The Techniques". An overview that opens with the part's title as its own heading loses that
    heading (its id stays, on an empty span, for links to it); an overview that links to every
    chapter of the part is the part's chapter list, so the generated list is left out.
    """
    found = PART_LABEL.match(part.title)
    label, heading = (found.group(1), found.group(2)) if found else ("", part.title)
    if intro is not None:
        html = intro.html
        first = LEADING_H1.match(html)
        if first and _plain(first.group(2)) in (_plain(escape(heading)), _plain(escape(part.title))):
            anchor = ID_ATTRIBUTE.search(first.group(1))
            html = (f'<span id="{anchor.group(1)}"></span>\n' if anchor else "") + html[first.end():]
        linked = set(CHAPTER_LINK.findall(html))
        if entries and all(e.page in linked for e in entries):
            entries = ()
        if html != intro.html:
            intro = replace(intro, html=html, digest=digest(intro.digest, html) if intro.digest else "")
    return Page(part.id, "part", part.title, escape(part.title), intro, part, entries=entries,
                label=label, heading=escape(heading))


def _plain(html: str) -> str:
    """The words of an HTML fragment, for comparing two titles."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split()).casefold()


def _page(chapter: Chapter, page: RenderedChapter, kind: str) -> Page:
    return Page(chapter.id, kind, page.title, page.title_html, page, number=chapter.number, appendix=chapter.appendix)

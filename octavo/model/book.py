"""The book model: plain, frozen data with no I/O, so every stage can be handed a copy safely.

A :class:`Book` is front matter, a body of :class:`Part` s and loose chapters, and back matter.
A :class:`Chapter` is one source file; a part's page is generated from the part and its
optional ``intro`` chapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from octavo.config import Config


class Kind(StrEnum):
    FRONT = "front"
    CHAPTER = "chapter"
    PART_INTRO = "part-intro"
    BACK = "back"


@dataclass(frozen=True)
class Chapter:
    """One Markdown file: its text without front matter, and where that text starts in the file."""

    id: str
    source: str  # path relative to the book folder, with forward slashes
    text: str
    kind: Kind = Kind.CHAPTER
    title: str | None = None  # from front matter; otherwise the first heading is used
    number: str | None = None  # "4", or "2.1" for a nested mdBook chapter; None if unnumbered
    level: int = 0  # nesting depth in an mdBook SUMMARY.md
    first_line: int = 1  # line of the file where ``text`` starts (after the front matter)
    part: int | None = None  # index of the part this chapter belongs to
    draft: bool = False
    bibliography: tuple[str, ...] = ()  # front matter's bibliography files, as book paths
    head_title: str | None = None  # mdBook's {{#title}}: the web page's <title>, as written
    # After mdBook's includes: (line of ``text``, file, line of that file) where the source changes
    line_map: tuple[tuple[int, str, int], ...] = ()
    language: str | None = None  # front matter's language, when the chapter is not in the book's
    appendix: bool = False  # back matter lettered as an appendix ("Appendix A"): [book] appendices


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    number: int
    chapters: tuple[Chapter, ...]
    intro: Chapter | None = None


@dataclass(frozen=True)
class Book:
    config: Config
    front: tuple[Chapter, ...] = ()
    body: tuple[Part | Chapter, ...] = ()
    back: tuple[Chapter, ...] = ()
    cover: str | None = None  # book-relative path of the cover image
    cover_files: tuple[str, ...] = ()  # files a cover SVG uses (its picture, say), carried with it
    styles: tuple[str, ...] = field(default=())  # book-relative paths of the book's own sheets
    # An mdBook project (its outline is src/SUMMARY.md): that src folder. Its web edition keeps
    # mdBook's addresses: page paths mirror the sources and heading ids follow mdBook's rules.
    mdbook_src: str | None = None
    # An mdBook project's 404 page (src/404.md, or [output.html] input-404): no chapter of the book,
    # only the web edition's page for an address the server does not have.
    not_found: Chapter | None = None

    def chapters(self) -> Iterator[Chapter]:
        """Every source file in reading order, part intros included."""
        yield from self.front
        for item in self.body:
            if isinstance(item, Part):
                if item.intro is not None:
                    yield item.intro
                yield from item.chapters
            else:
                yield item
        yield from self.back

    def parts(self) -> Iterator[Part]:
        return (item for item in self.body if isinstance(item, Part))

    @property
    def title(self) -> str:
        return self.config.meta.title


@dataclass(frozen=True)
class Source:
    """A chapter as it stands in the outline, before its file is read."""

    path: str  # as written, relative to ``base``
    kind: Kind
    base: str = ""  # book-relative folder the path is relative to
    title: str | None = None
    level: int = 0
    numbered: bool = True
    part: int | None = None
    listed_in: str = ""  # the file whose outline lists it (book.toml, src/SUMMARY.md), for messages
    appendix: bool = False
    line: int | None = None  # its line there

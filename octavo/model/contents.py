"""The contents tree and the book's pages in reading order, as :mod:`octavo.transforms.toc` makes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from octavo.model.book import Part
from octavo.model.rendered import RenderedChapter


@dataclass(frozen=True)
class TocEntry:
    title: str  # plain text
    html: str  # inline XHTML
    page: str  # the page (chapter or part) id
    kind: str  # front, part, chapter, back, section
    fragment: str = ""
    number: str | None = None
    children: tuple[TocEntry, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Page:
    """One page of the book's content in reading order: a chapter, or a part's page."""

    id: str
    kind: str  # front, part, chapter, back
    title: str
    title_html: str
    chapter: RenderedChapter | None = None  # the chapter, or the part's intro
    part: Part | None = None
    number: str | None = None
    entries: tuple[TocEntry, ...] = field(default=())  # a part page's list of its chapters
    label: str = ""  # a part page's number label ("Part II"), taken off the front of its title
    heading: str = ""  # a part page's title without that label, as escaped HTML
    appendix: bool = False  # its number is an appendix's letter ("Appendix A")

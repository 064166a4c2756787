"""What the writers read: the book, its rendered chapters, links, contents and pages, made once.

Writers receive an :class:`Assembled` read-only; :class:`BuildResult` is what a build hands back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from octavo.diagnostics import Diagnostic
from octavo.memo import NO_CACHE, Memo, digest
from octavo.model.book import Book
from octavo.model.contents import Page, TocEntry
from octavo.model.rendered import RenderedChapter
from octavo.paths import slugify


@dataclass(frozen=True)
class PrintPage:
    """Where a page of the print edition begins: for the EPUB's page-list, so a reader can cite the
    print page from the EPUB. ``page`` is the page of the reading order that holds (or, for a page
    in a unit of several, comes before) the first words ``words`` of that print page."""

    label: str  # the page's label in the PDF: "17", "iv"
    page: str  # a Page id
    words: str  # its first words, as the PDF shows them (case may differ: text-transform)


@dataclass(frozen=True)
class XRefIndex:
    anchors: Mapping[str, frozenset[str]]  # chapter id -> the ids in it
    owners: Mapping[str, str]  # id -> the one chapter that has it (ids found in several are left out)

    def resolve(self, chapter: str, fragment: str) -> tuple[str, str]:
        """Where ``chapter#fragment`` really is; an unknown fragment falls back to the chapter's top."""
        if not fragment or fragment in self.anchors.get(chapter, ()):
            return chapter, fragment
        owner = self.owners.get(fragment)
        return (owner, fragment) if owner else (chapter, "")

    @cached_property
    def digest(self) -> str:
        """The whole index, for the cache keys of pages whose links it places; made once per build
        however many writers ask (a frozen dataclass may still cache in its ``__dict__``).

        The ids of each chapter are all it takes: ``owners`` follows from them. They are joined
        by NUL, which no id can hold (XML has no such character).
        """
        return digest(*(part for chapter, ids in sorted(self.anchors.items())
                        for part in (chapter, "\0".join(sorted(ids)))))


@dataclass(frozen=True)
class Assembled:
    """Everything a writer needs, computed once, shared read-only by all writers."""

    book: Book
    rendered: Mapping[str, RenderedChapter]
    xrefs: XRefIndex
    toc: tuple[TocEntry, ...]
    pages: tuple[Page, ...]
    built: datetime  # SOURCE_DATE_EPOCH when set, so two builds give the same bytes
    memo: Memo = NO_CACHE  # the output's .cache/, where writers keep what a rebuild can reuse
    downloads: Mapping[str, Path] = field(default_factory=dict)  # book path -> file in the remote cache
    print_pages: tuple[PrintPage, ...] = ()  # the PDF's pages, when it is written before the EPUB in this run
    not_found: RenderedChapter | None = None  # an mdBook project's own 404 page (Book.not_found), rendered

    @property
    def slug(self) -> str:
        return slugify(self.book.title, "book")

    def asset_path(self, path: str) -> Path:
        """The file behind a book path an output carries: a downloaded image lives in the build's
        cache, not in the book folder, so every writer reads files through here."""
        return self.downloads.get(path) or self.book.config.root / path


@dataclass(frozen=True)
class BuildResult:
    outputs: list[Path]
    diagnostics: list[Diagnostic]
    assembled: Assembled

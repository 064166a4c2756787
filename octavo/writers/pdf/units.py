"""The PDF as a list of units: each one a WeasyPrint document of its own, from a template in
templates/pdf/.

A unit is the cover, the half-title, the title page, the copyright page, the contents, or one page of the book's
reading order (a chapter, a part's page, front or back matter). Laying units out separately keeps
WeasyPrint's memory to one chapter at a time and lets them be laid out in parallel; the price is
that a unit cannot ask another for page numbers, so the two that show them (the contents and a
part's list of chapters) are given the numbers as text, once the other units are laid out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from octavo import __version__, codestyle, highlight, templates
from octavo.diagnostics import Diagnostic, warning
from octavo.imprint import imprint
from octavo.model import Assembled, Page, TocEntry
from octavo.transforms.crossrefs import has_page_references
from octavo.writers.pdf.body import LONG_NOTE, Mark, anchor, print_body, url_maker

if TYPE_CHECKING:
    from jinja2 import Environment

PageNumber = Callable[[str, str], str]
PLACEHOLDER = "000"  # as wide as a real page number, for the first layout of the contents
CONTENTS = "octavo--contents"


@dataclass(frozen=True)
class Unit:
    """One document of the PDF; ``matter`` decides its numbering (none, roman, arabic)."""

    id: str
    title: str
    matter: str  # "cover", "front" or "body"
    source: str  # the file its problems are reported against
    recto: bool = True  # opens on a right-hand page
    numbered: bool = False  # shows other units' page numbers: laid out again once they are known
    page: Page | None = None


def units(assembled: Assembled, cover: bool = True) -> list[Unit]:
    """The PDF's documents in reading order; the cover first if the book has one and ``cover``
    (the print profile's interior has none: the half-title is its first page).

    Each opens on a new page; all but the copyright page and mdBook's nested chapters (2.1 under
    2) open on a right-hand one.
    """
    result: list[Unit] = []
    words = assembled.book.config.words
    if assembled.book.cover and cover:
        result.append(Unit("octavo--cover", words.label("cover"), "cover", "templates/pdf/cover.html.j2"))
    result.append(Unit("octavo--halftitle", words.label("half-title"), "front", "templates/pdf/halftitle.html.j2"))
    result.append(Unit("octavo--titlepage", words.label("title-page"), "front", "templates/pdf/titlepage.html.j2"))
    result.append(Unit("octavo--copyright", words.label("copyright"), "front", "templates/pdf/copyright.html.j2",
                       recto=False))
    result.append(Unit(CONTENTS, words.label("contents"), "front", "templates/pdf/contents.html.j2", numbered=True))
    nested = {chapter.id for chapter in assembled.book.chapters() if chapter.level > 0}
    for page in assembled.pages:
        source = page.chapter.source if page.chapter else "book.toml"
        numbered = page.kind == "part" or (page.chapter is not None and has_page_references(page.chapter.html))
        result.append(Unit(page.id, page.title, "front" if page.kind == "front" else "body", source,
                           recto=page.id not in nested, numbered=numbered, page=page))
    return result


def outline_marks(entries: Iterable[TocEntry], level: int = 1) -> dict[tuple[str, str], Mark]:
    """(page, fragment) -> its place in the outline, for every entry of the contents tree."""
    marks: dict[tuple[str, str], Mark] = {}
    for entry in entries:
        marks[(entry.page, entry.fragment)] = Mark(level, entry.label)
        marks.update(outline_marks(entry.children, level + 1))
    return marks


class UnitRenderer:
    """Renders a unit's HTML; a chapter's is computed once, the numbered units' on every call."""

    def __init__(self, assembled: Assembled) -> None:
        self.assembled = assembled
        self.env: Environment = templates.environment(assembled.book.config.root, words=assembled.book.config.words)
        self.marks = outline_marks(assembled.toc)
        self.cache: dict[str, str] = {}
        self.plain = codestyle.plain_classes(assembled.book.config.style.code_theme)
        self.problems: list[Diagnostic] = []  # warnings found while rendering, for the writer to report
        self.common: dict[str, Any] = {
            "book": assembled.book.config.meta,
            "imprint": imprint(assembled.book.config.meta, assembled.book.config.words),
            "built": assembled.built.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "generator": f"octavo {__version__}",
            "direction": assembled.book.config.direction,
        }

    def html(self, unit: Unit, numbers: Mapping[str, str] | None) -> str:
        """The unit's HTML; ``numbers`` maps anchors to page labels (None: not known yet)."""
        if unit.numbered:
            return self._render(unit, _page_number(numbers))
        if unit.id not in self.cache:
            self.cache[unit.id] = self._render(unit, _page_number(None))
        return self.cache[unit.id]

    def endnotes(self, unit: Unit, numbers: Mapping[str, str] | None = None) -> str | None:
        """The unit with all its notes at the end of the chapter, for when WeasyPrint loses one."""
        if unit.page is None or unit.page.chapter is None or not unit.page.chapter.notes:
            return None
        if unit.numbered:
            return self._render(unit, _page_number(numbers), long_note=-1)
        key = f"{unit.id} endnotes"
        if key not in self.cache:
            self.cache[key] = self._render(unit, _page_number(None), long_note=-1)
        return self.cache[key]

    def _render(self, unit: Unit, page_number: PageNumber, long_note: int = LONG_NOTE) -> str:
        return self._unit_html(unit, page_number, long_note).translate(AS_EM_DASHES)

    def _unit_html(self, unit: Unit, page_number: PageNumber, long_note: int) -> str:
        context = {**self.common, "title": unit.title, "matter": unit.matter, "url": url_maker(unit.id),
                   "page_number": page_number}
        if unit.page is not None:
            return self._page(unit.page, context, long_note)
        if unit.id == CONTENTS:
            return templates.render(self.env, "pdf/contents.html.j2", entries=self.assembled.toc,
                                    bookmark=Mark(1, self.assembled.book.config.words.label("contents")), **context)
        if unit.matter == "cover":
            return templates.render(self.env, "pdf/cover.html.j2", cover=self.assembled.book.cover, **context)
        name = unit.id.removeprefix("octavo--")
        return templates.render(self.env, f"pdf/{name}.html.j2", **context)

    def _page(self, page: Page, context: dict[str, Any], long_note: int) -> str:
        body = ""
        if page.chapter is not None:
            local = {fragment: mark for (owner, fragment), mark in self.marks.items()
                     if owner == page.id and fragment}
            undrawn: list[str] = []
            body = print_body(highlight.without_hidden(page.chapter.html), page.id, self.assembled.xrefs, local,
                              long_note, context["page_number"], self.plain, self.assembled.memo.area("math"),
                              undrawn)
            self.problems += [warning("math.print", f"the formula '{tex}' could not be drawn for the PDF, which "
                                      "prints its TeX instead", page.chapter.source,
                                      hint="simplify the formula; the EPUB and the web edition show it as MathML")
                              for tex in undrawn]
        template = "pdf/part.html.j2" if page.kind == "part" else "pdf/chapter.html.j2"
        return templates.render(self.env, template, page=page, body=Markup(body),
                                bookmark=self.marks.get((page.id, "")), **context)


# The two- and three-em dashes (U+2E3A, U+2E3B: a name left out, in old texts) are printed as two
# and three em dashes, which is what they look like: few fonts have them, and WeasyPrint prints an
# empty box for a character no font has. The whole unit, so the contents and titles too; neither
# character can be part of markup, so the HTML text is translated as it is.
AS_EM_DASHES = str.maketrans({"\u2e3a": "\u2014" * 2, "\u2e3b": "\u2014" * 3})


def _page_number(numbers: Mapping[str, str] | None) -> PageNumber:
    def page_number(page: str, fragment: str) -> str:
        if numbers is None:
            return PLACEHOLDER
        return numbers.get(anchor(page, fragment)) or numbers.get(page, "")

    return page_number

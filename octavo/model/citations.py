"""A citation as a chapter's Markdown wrote it, kept with the rendered chapter until the book-wide
citation stage (:mod:`octavo.citations.resolve`) formats it; frozen and picklable like the rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CiteItem:
    """One work in a citation: ``see @key, p. 33`` is prefix ``see``, key, suffix ``, p. 33``."""

    key: str
    prefix: str = ""  # Markdown, as written
    suffix: str = ""  # Markdown, as written; pandoc reads the locator ("p. 33") out of it
    suppress_author: bool = False  # [-@key]: the year only


@dataclass(frozen=True)
class Citation:
    """``[see @a; @b]``, ``@a``, ``@a [p. 3]`` or ``[-@a]`` at a line of a chapter.

    ``source`` is the citation's text as written, which the citation stage hands to pandoc as it
    stands (pandoc's own syntax) and which stays in the output when the book has no bibliography.
    """

    index: int  # its place among the chapter's citations: the placeholders carry it
    items: tuple[CiteItem, ...]
    source: str
    line: int
    author_in_text: bool = False  # @key: "Author (Year)"
    in_note: bool = False  # written inside a footnote

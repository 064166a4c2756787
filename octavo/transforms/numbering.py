"""Chapter numbers, counted through the book's numbered chapters.

Front and back matter and part intros are unnumbered; numbers run on across parts, so the first
chapter of Part II is 4 when Part I has three. A number set in front matter is kept, and the
count goes on from it; a chapter whose heading is marked ``{.unnumbered}`` (number "") takes
none. mdBook's nested chapters get ``2.1``-style numbers. Appendices (``[book] appendices``, Quarto's
``appendices:``) are lettered A, B, … as Quarto letters them.
"""

from __future__ import annotations

from dataclasses import replace
from string import ascii_uppercase

from octavo.model import Book, Chapter, Kind, Part


def number_chapters(book: Book) -> Book:
    counters: list[int] = []

    def numbered(chapter: Chapter) -> Chapter:
        if chapter.kind is not Kind.CHAPTER or chapter.number == "":
            return chapter
        del counters[chapter.level + 1:]
        while len(counters) <= chapter.level:
            counters.append(0)
        if chapter.number is not None and chapter.number.isdigit() and chapter.level == 0:
            counters[0] = int(chapter.number)
            return chapter
        counters[chapter.level] += 1
        if chapter.number is not None:
            return chapter
        return replace(chapter, number=".".join(str(n) for n in counters[: chapter.level + 1]))

    body: list[Part | Chapter] = []
    for item in book.body:
        if isinstance(item, Part):
            body.append(replace(item, chapters=tuple(numbered(c) for c in item.chapters)))
        else:
            body.append(numbered(item))
    return replace(book, body=tuple(body), back=lettered(book.back))


def lettered(back: tuple[Chapter, ...]) -> tuple[Chapter, ...]:
    """The appendices A, B, … Z, AA, … in their order; one given a number keeps it."""
    letters = iter(letter(n) for n in range(len(back)))
    return tuple(replace(c, number=next(letters)) if c.appendix and c.number is None else c for c in back)


def letter(n: int) -> str:
    """A, B, … Z, AA, AB, …: the ``n``-th letter (from 0) of appendices and their figures."""
    return letter(n // 26 - 1) + ascii_uppercase[n % 26] if n >= 26 else ascii_uppercase[n]

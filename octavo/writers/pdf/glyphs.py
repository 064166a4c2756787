"""Characters no font can draw: one warning per character per book, at its first ``file:line``.

WeasyPrint draws such a character as an empty box and only logs it, glyph by glyph. Pango, which
lays the text out, falls back from the style sheet's faces to any face fontconfig knows, so a
character is drawable when some installed font or one of the book's own font files (the book face,
an ``@font-face`` of the book's sheets) has it in its cmap. The fonts' coverage is read once per
process (one ``fc-list`` call); a chapter is checked by its distinct characters outside ASCII.
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from octavo.diagnostics import Diagnostic, warning
from octavo.mdbook.includes import relocate
from octavo.model import Book
from octavo.scriptfaces import covered_by

# Characters that need no glyph: controls, format characters (soft hyphen, joiners, marks of
# direction) and variation selectors, which shape another character.
INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
OUTSIDE_ASCII = re.compile(r"[^\x00-\x7f]")


def _parse(charset: str) -> list[tuple[int, int]]:
    """fontconfig's ``%{charset}``, "20-7e a0-17f 192", as (first, last) ranges."""
    ranges = []
    for item in charset.split():
        first, _, last = item.partition("-")
        ranges.append((int(first, 16), int(last or first, 16)))
    return ranges


def _merged(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Overlapping ranges joined, as the firsts and lasts for a binary search."""
    firsts: list[int] = []
    lasts: list[int] = []
    for first, last in sorted(ranges):
        if lasts and first <= lasts[-1] + 1:
            lasts[-1] = max(lasts[-1], last)
        else:
            firsts.append(first)
            lasts.append(last)
    return tuple(firsts), tuple(lasts)


@lru_cache(maxsize=1)
def installed() -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """What the fonts fontconfig lists cover together, or None without ``fc-list`` (no check then)."""
    command = shutil.which("fc-list")
    if command is None:
        return None
    try:
        listed = subprocess.run([command, "--format", "%{charset}\n"], capture_output=True, text=True,
                                timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return _merged(r for line in listed.splitlines() for r in _parse(line))


def _drawable(code: int, own: frozenset[int], system: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    if code in own:
        return True
    firsts, lasts = system
    at = bisect.bisect_right(firsts, code) - 1
    return at >= 0 and code <= lasts[at]


def describe(char: str) -> str:
    """U+E000 and its Unicode name, or what kind of code point it is when it has none."""
    code = ord(char)
    name = unicodedata.name(char, "")
    if not name:
        kind = unicodedata.category(char)
        name = {"Co": "a private-use character", "Cn": "an unassigned code point"}.get(kind, f"category {kind}")
    return f"U+{code:04X} {name}"


def missing(book: Book, fonts: Iterable[Path]) -> list[Diagnostic]:
    """A warning for each character of the book's chapters that neither ``fonts`` (the book face and
    the book's own font files) nor an installed font can draw, at its first occurrence."""
    system = installed()
    if system is None:
        return []
    own = covered_by(fonts)
    seen: set[str] = set()
    problems = []
    for chapter in book.chapters():
        found = set(OUTSIDE_ASCII.findall(chapter.text)) - seen
        seen |= found
        bad = [char for char in found if unicodedata.category(char) not in INVISIBLE
               and not 0xFE00 <= ord(char) <= 0xFE0F and not 0xE0100 <= ord(char) <= 0xE01EF
               and not _drawable(ord(char), own, system)]
        for at, char in sorted((chapter.text.index(char), char) for char in bad):
            line = chapter.first_line + chapter.text.count("\n", 0, at)
            problem = warning(
                "pdf.no-glyph", f"no font has a glyph for {describe(char)}: the PDF shows an empty box",
                chapter.source, line,
                hint=f"install a font that has it (`fc-list ':charset={ord(char):x}'` lists those fontconfig "
                     "knows) or give the book one with @font-face in styles/pdf.css")
            problems.append(relocate(problem, chapter.first_line, chapter.line_map) if chapter.line_map else problem)
    return problems

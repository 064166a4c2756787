"""mdBook's ``links`` preprocessor: ``{{#include}}``, ``{{#rustdoc_include}}``, ``{{#playground}}``,
``{{#title}}`` and ``\\{{#…}}`` escapes, expanded in a chapter's text before it is parsed.

The text is rewritten as mdBook rewrites it (checked against ``mdbook build``): directives are
found anywhere, code blocks included, so included Markdown is read as Markdown and a file
included in a fence keeps that fence's language. Where mdBook logs and goes on (a missing file
or anchor), octavo stops with ``file:line``; an included file may leave the book folder but not
the project (:func:`include_root`), and a file that includes itself again is a cycle.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from octavo.diagnostics import Diagnostic, error

# mdBook's own pattern: an escaped directive (greedy to the line's last "}}"), or {{ #type target }}.
DIRECTIVE = re.compile(r"\\\{\{#.*\}\}|\{\{\s*#([A-Za-z0-9_]+)\s+([^}]+)\}\}")
KNOWN = frozenset({"include", "rustdoc_include", "playground", "title"})
ANCHOR_START = re.compile(r"ANCHOR:\s*([\w_-]+)")
ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w_-]+)")
MAX_DEPTH = 10  # mdBook's limit on includes inside includes
MAX_INCLUDE_BYTES = 20 * 1024 * 1024  # as for a chapter file: larger is a mistake


@dataclass
class Expansion:
    """What expanding one chapter gave: its text, a ``{{#title}}`` if it had one, the problems,
    and where its lines came from (see :func:`line_map`)."""

    text: str
    title: str | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    lines: tuple[tuple[int, str, int], ...] = ()


# A piece of the expanded text: the text, the file it came from (as messages name it) and the
# line of that file where the piece starts.
Piece = tuple[str, str, int]


@dataclass(frozen=True)
class Place:
    """A file being expanded: where it is, its name in messages, and the files that include it."""

    file: Path  # absolute, resolved
    name: str  # as messages name it: relative to the book folder
    first_line: int = 1
    chain: tuple[Path, ...] = ()


def include_root(book_root: Path, configured: str | None) -> Path:
    """The folder no include may leave: ``[build] include-root`` (relative to the book), else the
    nearest folder holding ``.git`` at or above the book, else the book folder itself."""
    root = book_root.resolve()
    if configured:
        return (root / configured).resolve()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def expand(text: str, book_root: Path, source: str, first_line: int, limit: Path) -> Expansion:
    """Chapter ``source``'s text (starting at ``first_line`` of its file) with its directives expanded."""
    root = book_root.resolve()
    place = Place(root / source, source, first_line, (root / source,))
    result = Expansion(text)
    pieces = _expand(text, place, root, limit, result)
    result.text = "".join(piece for piece, _, _ in pieces)
    result.lines = line_map(pieces) if len(pieces) > 1 else ()
    return result


def line_map(pieces: list[Piece]) -> tuple[tuple[int, str, int], ...]:
    """Where each line of the expanded text comes from, as ``(line of the text, file, line of
    the file)`` at every change of file: a line after the first of a segment is as many lines
    further in its file. A piece that starts inside a line takes that line over."""
    segments: list[tuple[int, str, int]] = []
    at = 1
    for text, name, line in pieces:
        if text:
            segments.append((at, name, line))
            at += text.count("\n")
    return tuple(segments)


def relocate(problem: Diagnostic, first_line: int, lines: tuple[tuple[int, str, int], ...]) -> Diagnostic:
    """A problem found at a line of a chapter's expanded text (which starts at ``first_line`` of
    its file), moved to the file and line the text came from, so that ``file:line`` points at it."""
    if problem.line is None:
        return problem
    at = problem.line - first_line + 1
    segment = next((s for s in reversed(lines) if s[0] <= at), None)
    if segment is None:
        return problem
    start, name, line = segment
    return replace(problem, path=name, line=line + at - start)


def understood(name: str) -> bool:
    """Whether a directive is one octavo expands (for the leftovers check: these never warn)."""
    return name in KNOWN


def has_directive(text: str) -> bool:
    """Whether ``text`` may hold a directive. A one-character search first: in a long text that is
    not ASCII, Python finds a character four times as fast as the pair "{{" (30 ms for Pepys)."""
    return "{" in text and "{{" in text


def _expand(text: str, place: Place, root: Path, limit: Path, result: Expansion) -> list[Piece]:
    if not has_directive(text):
        return [(text, place.name, place.first_line)]
    pieces: list[Piece] = []
    end = 0
    row, seen = place.first_line, 0

    def line_at(position: int) -> int:  # positions come in order: count each line break once
        nonlocal row, seen
        row += text.count("\n", seen, position)
        seen = position
        return row

    for match in DIRECTIVE.finditer(text):
        pieces.append((text[end:match.start()], place.name, line_at(end)))
        line = line_at(match.start())
        end = match.end()
        kind = match.group(1)
        if kind is None:
            pieces.append((match.group(0)[1:], place.name, line))  # an escape: as written, without its backslash
        elif kind == "title":
            result.title = match.group(2).strip()
        elif kind in KNOWN:
            words = match.group(2).split()
            if words:
                pieces += _directive(kind, words, place, line, root, limit, result)
            else:
                result.problems.append(error("include.missing", f"'{{{{#{kind}}}}}' names no file", place.name, line,
                                             hint=f"write the path after it: {{{{#{kind} file.rs}}}}"))
        else:
            pieces.append((match.group(0), place.name, line))  # not mdBook's: left for the leftovers check
    pieces.append((text[end:], place.name, line_at(end)))
    return pieces


def _directive(kind: str, words: list[str], place: Place, line: int, root: Path, limit: Path,
               result: Expansion) -> list[Piece]:
    target, _, spec = words[0].partition(":")
    if kind == "playground":
        target = words[0]
    found = _read_included(target, place, line, root, limit, result)
    if found is None:
        return []
    file, content = found
    if kind == "playground":  # the file, fenced as Rust: the fence's lines are the directive's
        attrs = "".join(f",{word}" for word in words[1:])
        inner = Place(file, _shown(file, root), 1, (*place.chain, file))
        return [(f"```rust{attrs}\n", place.name, line), *_inside(content, inner, root, limit, result),
                (f"{'' if content.endswith(chr(10)) else chr(10)}```\n", place.name, line)]
    selected = _select(kind, content, spec, place, line, result)
    if selected is None:
        return []
    body, first = selected
    return _inside(body, Place(file, _shown(file, root), first, (*place.chain, file)), root, limit, result)


def _inside(body: str, inner: Place, root: Path, limit: Path, result: Expansion) -> list[Piece]:
    """An included file's text, its own directives expanded unless the includes nest too deep."""
    return _expand(body, inner, root, limit, result) if len(inner.chain) <= MAX_DEPTH else [(body, inner.name,
                                                                                              inner.first_line)]


def _read_included(target: str, place: Place, line: int, root: Path, limit: Path,
                   result: Expansion) -> tuple[Path, str] | None:
    """The file a directive names, checked: inside the project, there, not a cycle, UTF-8."""
    file = (place.file.parent / target).resolve()
    if not file.is_relative_to(limit):
        result.problems.append(error("include.outside", f"'{target}' is outside the project folder {limit}",
                                     place.name, line, hint="an included file must be inside the folder that "
                                     "holds .git, or set [build] include-root in book.toml"))
        return None
    if file in place.chain:
        cycle = " -> ".join(_shown(f, root) for f in (*place.chain[place.chain.index(file):], file))
        result.problems.append(error("include.cycle", f"'{target}' includes itself again: {cycle}", place.name,
                                     line, hint="remove one of the includes of this cycle"))
        return None
    if len(place.chain) > MAX_DEPTH:
        result.problems.append(error("include.depth", f"includes nest deeper than {MAX_DEPTH} files", place.name,
                                     line, hint="include the innermost files directly"))
        return None
    if not file.is_file():
        siblings = [p.name for p in file.parent.iterdir()] if file.parent.is_dir() else []
        close = difflib.get_close_matches(file.name, siblings, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "the path is relative to the file that holds the include"
        result.problems.append(error("include.missing", f"included file '{target}' does not exist", place.name,
                                     line, hint=hint))
        return None
    if file.stat().st_size > MAX_INCLUDE_BYTES:
        result.problems.append(error("include.size", f"included file '{target}' is larger than 20 MiB", place.name,
                                     line))
        return None
    try:
        content = file.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        result.problems.append(error("include.encoding", f"included file '{target}' is not UTF-8 text",
                                     place.name, line, hint="include text files only, saved as UTF-8"))
        return None
    return file, content


def _select(kind: str, content: str, spec: str, place: Place, line: int, result: Expansion
            ) -> tuple[str, int] | None:
    """The lines a directive asks for: all, a range (``2``, ``2:``, ``:10``, ``2:10``) or an anchor;
    for ``rustdoc_include`` the other lines too, as hidden lines (``# ``). With the line of the
    file they start at (an anchor's lines need not follow each other: the first one's)."""
    lines = content.splitlines()
    span = _range(spec)
    if span is not None:
        start, stop = span
        if kind == "include":
            return "\n".join(lines[start:stop]), start + 1
        return "\n".join(text if start <= i < (stop if stop is not None else len(lines)) else f"# {text}"
                         for i, text in enumerate(lines)), 1
    inside = _anchored(lines, spec)
    if inside is None:
        result.problems.append(error("include.anchor", f"anchor '{spec}' is not in the included file", place.name,
                                     line, hint=f"mark the lines with ANCHOR: {spec} and ANCHOR_END: {spec}"))
        return None
    if kind == "include":
        return "\n".join(text for i, text in enumerate(lines) if i in inside), min(inside, default=0) + 1
    return "\n".join(text if i in inside else f"# {text}" for i, text in enumerate(lines)
                      if not (ANCHOR_START.search(text) or ANCHOR_END.search(text))), 1


def _range(spec: str) -> tuple[int, int | None] | None:
    """A line range as a slice (mdBook's 1-based ``N``, ``N:``, ``:M``, ``N:M``); None for an anchor."""
    if not spec:
        return 0, None
    first, colon, second = spec.partition(":")
    if not (first == "" or first.isdigit()) or not (second == "" or second.isdigit()) or (not first and not colon):
        return None
    start = max(int(first) - 1, 0) if first else 0
    if not colon:
        return start, start + 1
    return start, int(second) if second else None


def _anchored(lines: list[str], anchor: str) -> set[int] | None:
    """The indexes of the lines inside ``anchor``, without any anchor's own lines; None if it is absent."""
    inside: set[int] | None = None
    for i, text in enumerate(lines):
        start, end = ANCHOR_START.search(text), ANCHOR_END.search(text)
        if inside is None:
            if start and start.group(1) == anchor:
                inside = set()
        elif end and end.group(1) == anchor:
            break
        elif not (start or end):
            inside.add(i)
    return inside


def _shown(file: Path, root: Path) -> str:
    """A file as messages name it: relative to the book folder, even when it is outside it."""
    return Path(os.path.relpath(file, root)).as_posix()

"""What the readers of Quarto and pandoc projects share: the :class:`Project` they give back and
the reading of the YAML they are written in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from octavo.diagnostics import Diagnostic, error

QUARTO_FILES = ("_quarto.yml", "_quarto.yaml")
METADATA_FILES = ("metadata.yaml", "metadata.yml")
FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class Project:
    """A book's settings as another tool keeps them, in ``book.toml``'s shape."""

    kind: str  # "quarto", "pandoc-defaults", "pandoc-metadata", "pandoc-title-block"
    file: str  # the book-relative file they come from
    text: str  # that file's text, for the line of a key
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # "book", "site"… as in book.toml
    problems: tuple[Diagnostic, ...] = ()


def read_yaml(root: Path, name: str) -> tuple[Any, str, list[Diagnostic]]:
    """A YAML file of the book: (data, text, problems); a syntax error points at its line."""
    import yaml

    try:
        text = (root / name).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, "", [error("project.read", f"cannot read {name}: {exc}", name, hint="save it as UTF-8")]
    try:
        return yaml.safe_load(text), text, []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, text, [error("project.yaml", f"invalid YAML: {reason}", name,
                                  mark.line + 1 if mark is not None else None,
                                  hint="values with ':' or '#' need quotes")]


def read_text(root: Path, path: str) -> str:
    """A file of the book as text, or "" (a missing or broken chapter is reported where it is read)."""
    try:
        return (root / path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError):
        return ""


def line_of(text: str, needle: str) -> int | None:
    """The line of the first ``needle`` in ``text``, for a message about a value of a YAML file."""
    index = text.find(needle) if needle else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def front_matter(text: str) -> dict[str, Any]:
    """The YAML block atop a Markdown file, or {} (its errors are the chapter's, reported on loading)."""
    import yaml

    match = FRONT.match(text)
    if match is None:
        return {}
    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def percent_block(text: str) -> tuple[dict[str, Any], int]:
    """pandoc's older title block: ``% Title``, ``% Author; Author``, ``% Date`` atop the first file
    (a line left empty after ``%`` skips its field). Returns its metadata and how many lines it has."""
    meta: dict[str, Any] = {}
    lines = text.split("\n")
    count = 0
    while count < min(3, len(lines)) and lines[count].startswith("%"):
        value = lines[count][1:].strip()
        if value:
            key = ("title", "author", "date")[count]
            meta[key] = [a.strip() for a in value.split(";") if a.strip()] if key == "author" else value
        count += 1
    return meta, count

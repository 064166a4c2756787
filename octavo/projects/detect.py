"""Which kind of book a folder without ``book.toml`` is, and what it looked for when it cannot tell.

In order: a Quarto book (``_quarto.yml``), a pandoc defaults file (a YAML file with
``input-files``), a pandoc ``metadata.yaml``, a YAML title block in the folder's first Markdown
file. Each gives back a :class:`Project`: its settings in ``book.toml``'s shape, read from one file
whose lines the messages point at.
"""

from __future__ import annotations

import re
from pathlib import Path

from octavo.diagnostics import Diagnostic, error
from octavo.projects import pandoc, quarto
from octavo.projects.common import METADATA_FILES, QUARTO_FILES, Project, percent_block

LOOKED_FOR = ("book.toml", "src/SUMMARY.md", "_quarto.yml", "metadata.yaml",
              "a pandoc defaults file (a .yaml file with input-files)", ".md files")
# Lines that pull another file in, in the tools authors use with pandoc: pandoc-include, LaTeX,
# Markdown Preprocessor, markdown-include, Pandoc's own --include... none of which octavo follows.
INCLUDE_LINE = re.compile(r"^\s*(!include\b|!INCLUDE\b|@include\b|@import\b|\\include\{|\\input\{|#include\b|"
                          r"\{!.*!\}|include::|\{\{\s*include\b)", re.I)


def find(root: Path) -> Project | None:
    """The project in ``root`` that a folder without ``book.toml`` is, or None for a plain folder."""
    for name in QUARTO_FILES:
        if (root / name).is_file():
            return quarto.project(root, name)
    found = pandoc.defaults_project(root)
    if found is not None:
        return found
    for name in METADATA_FILES:
        if (root / name).is_file():
            return pandoc.metadata_project(root, name)
    return pandoc.title_block_project(root)


def includes_only(text: str) -> list[int]:
    """The lines of ``text`` that include other files, when every non-blank line does; else []."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if lines and all(INCLUDE_LINE.match(line) for _, line in lines):
        return [n for n, _ in lines]
    return []


def nothing_found(root: Path) -> Diagnostic:
    """Why a folder is no book: what was looked for, and where."""
    return error("book.unknown", f"no book found in {root}: looked for {', '.join(LOOKED_FOR)}", str(root),
                 hint="add a book.toml listing the chapters (octavo new shows one), or give the folder "
                      "that holds the book")


def include_book(path: str, lines: list[int]) -> Diagnostic:
    """A folder whose chapter only includes other files: building it would give a book of include lines."""
    return error("book.includes", f"'{path}' only includes other files ({len(lines)} include line"
                 f"{'s' * (len(lines) != 1)}), which octavo does not follow", path, lines[0],
                 hint="list the included files as chapters in a book.toml (chapters = [...]), or in a pandoc "
                      "defaults file's input-files")


def without_percent_block(text: str) -> str:
    """A first file without its ``%`` title block (the book's metadata), its lines left blank so
    the lines after keep their numbers."""
    _, count = percent_block(text)
    return "\n" * count + text.split("\n", count)[-1] if count else text

"""mdBook's preprocessing, run on a loaded book's chapters before any of them is parsed.

mdBook changes a book's text in a chain of preprocessors: its own ``links`` (the ``{{#…}}``
directives, :mod:`octavo.mdbook.includes`) and ``index`` (``README.md`` as a folder's index
page), and any ``[preprocessor.NAME]`` of ``book.toml``, each a program that gets the book as
JSON and gives it back changed (:mod:`octavo.mdbook.preprocessors`). octavo runs the same chain
in the same order, so an mdBook project's chapters hold the text that ``mdbook build`` renders;
then each code fence gets its language's hidden-line prefix (:mod:`octavo.mdbook.hidelines`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from octavo.config import CONFIG_NAME, Config
from octavo.diagnostics import Diagnostic, has_errors
from octavo.mdbook import hidelines, includes, preprocessors
from octavo.model import Chapter


def settings(root: Path) -> dict[str, Any]:
    """``book.toml`` as a plain table (the config loader has already reported anything wrong with it)."""
    try:
        return tomllib.loads((root / CONFIG_NAME).read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def preprocess(root: Path, config: Config, chapters: Sequence[Chapter], part_titles: Sequence[str],
               skip: Sequence[str] = ()) -> tuple[list[Chapter], list[Diagnostic]]:
    """The chapters with every preprocessor of the chain run over them, in mdBook's order.

    ``skip`` names ``[preprocessor.NAME]`` tables not to run (``--skip-preprocessor``).
    """
    data = settings(root)
    chain, problems = preprocessors.chain(data, root, skip)
    if has_errors(problems):
        return list(chapters), problems
    limit = includes.include_root(root, str(preprocessors.table(data, "build").get("include-root") or "") or None)
    table, more = hidelines.prefixes(data)
    problems += more
    current = list(chapters)
    for step in chain:
        if step.name == "links":
            current, more = _links(root, current, limit)
        elif step.name == "index":
            continue  # only the page's path changes, which the book JSON carries (preprocessors.book_json)
        else:
            current, more = preprocessors.run(step, root, data, config, current, part_titles)
        problems += more
        if has_errors(more):
            break
    if table:
        current = [replace(c, text=hidelines.mark_fences(c.text, table)) for c in current]
    return current, problems


def _links(root: Path, chapters: Sequence[Chapter], limit: Path) -> tuple[list[Chapter], list[Diagnostic]]:
    done: list[Chapter] = []
    problems: list[Diagnostic] = []
    for chapter in chapters:
        if not includes.has_directive(chapter.text):
            done.append(chapter)
            continue
        expansion = includes.expand(chapter.text, root, chapter.source, chapter.first_line, limit)
        problems += expansion.problems
        done.append(replace(chapter, text=expansion.text, head_title=expansion.title or chapter.head_title,
                            line_map=expansion.lines))
    return done, problems


def relocated(problems: Sequence[Diagnostic], chapters: Sequence[Chapter]) -> list[Diagnostic]:
    """The problems, those at a line of an included file's text moved to that file and line."""
    mapped = {c.source: c for c in chapters if c.line_map}
    if not mapped:
        return list(problems)
    return [includes.relocate(p, mapped[p.path].first_line, mapped[p.path].line_map) if p.path in mapped else p
            for p in problems]

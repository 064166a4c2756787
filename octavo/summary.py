"""mdBook's ``SUMMARY.md`` -> outline sources, so an existing mdBook project builds unchanged.

The grammar is mdBook's: prefix chapters (plain links before the first list), numbered
chapters (list items, nested by indentation), ``# Part`` headings, ``---`` separators, draft
chapters (a link with no target, skipped), and suffix chapters after the numbered ones.
"""

from __future__ import annotations

import re
from pathlib import Path

from octavo.diagnostics import Diagnostic, notice, warning
from octavo.model import Kind, Source

LINK = re.compile(r"^\[(?P<title>.*)\]\((?P<target>[^)]*)\)\s*$")
ITEM = re.compile(r"^(?P<indent>\s*)[-*+]\s+(?P<rest>.*)$")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.*?)\s*#*\s*$")


def read(root: Path, src: str) -> tuple[list[Source], list[str], list[Diagnostic]]:
    path = f"{src}/SUMMARY.md"
    lines = (root / path).read_text(encoding="utf-8-sig").splitlines()
    sources: list[Source] = []
    parts: list[str] = []
    problems: list[Diagnostic] = []
    seen_numbered = False
    indent_unit = 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        heading = HEADING.match(stripped)
        if heading:
            if sources or parts:
                parts.append(heading.group("title"))
            continue
        item = ITEM.match(line)
        if item:
            seen_numbered = True
            indent = len(item.group("indent").expandtabs(4))
            if indent and not indent_unit:
                indent_unit = indent
            level = indent // indent_unit if indent_unit else 0
            link = LINK.match(item.group("rest").strip())
            if link is None:
                problems.append(warning("summary.item", "list item is not a link", path, number))
            elif not link.group("target").strip():
                problems.append(notice("summary.draft", f"draft chapter '{link.group('title')}' skipped",
                                       path, number))
            else:
                part = len(parts) - 1 if parts else None
                sources.append(Source(link.group("target"), Kind.CHAPTER, src, link.group("title"), level,
                                      part=part, listed_in=path, line=number))
            continue
        link = LINK.match(stripped)
        if link and link.group("target").strip():
            kind = Kind.BACK if seen_numbered else Kind.FRONT
            sources.append(Source(link.group("target"), kind, src, link.group("title"), numbered=False,
                                  listed_in=path, line=number))
    return sources, parts, problems

"""``[output.html.code.hidelines]``: mdBook's hidden-line prefix per language, given to each fence.

mdBook hides a Rust line starting with ``#``; for other languages the book names a prefix
(``python = "~"``). octavo reads a block's prefix from its info string (``python,hidelines=~``,
which mdBook also accepts), so the table is written into the info string of each fence of those
languages that does not name one itself; :mod:`octavo.highlight` does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from octavo.config import CONFIG_NAME
from octavo.diagnostics import Diagnostic, error

FENCE = re.compile(r"^(?P<lead>[ \t]*(?:>[ \t]?)*[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
BARE = re.compile(r"^[^\s,{}=\"'\\]+$")


def prefixes(data: Mapping[str, Any]) -> tuple[dict[str, str], list[Diagnostic]]:
    """The table, language -> prefix, from ``book.toml``'s data; a value that is no string is an error."""
    table: Any = data
    for key in ("output", "html", "code", "hidelines"):
        table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        return {}, []
    found = {str(k).lower(): v for k, v in table.items() if isinstance(v, str) and v}
    wrong = [str(k) for k, v in table.items() if not (isinstance(v, str) and v)]
    return found, [error("config.hidelines", f"[output.html.code.hidelines] {key} must be a prefix such as \"~\"",
                         CONFIG_NAME) for key in wrong]


def mark_fences(text: str, table: Mapping[str, str]) -> str:
    """The text with ``hidelines=PREFIX`` added to the info string of each fence of a language in ``table``."""
    if not table or ("```" not in text and "~~~" not in text):
        return text
    lines = text.split("\n")
    open_fence: str | None = None
    for number, line in enumerate(lines):
        match = FENCE.match(line)
        if match is None:
            continue
        fence, info = match.group("fence"), match.group("info")
        if open_fence is not None:
            if fence[0] == open_fence[0] and len(fence) >= len(open_fence) and not info.strip():
                open_fence = None
            continue
        if fence[0] == "`" and "`" in info:
            continue  # not a fence: a code span
        open_fence = fence
        words = re.split(r"[\s,]+", info.strip())
        prefix = table.get(words[0].lower()) if words[0] else None
        if prefix is None or info.strip().startswith("{") or "hidelines" in info:
            continue
        value = prefix if BARE.match(prefix) else '"' + prefix.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines[number] = f"{line.rstrip()},hidelines={value}"
    return "\n".join(lines)

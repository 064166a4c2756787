"""Nothing silently literal: syntax of other tools that octavo left in a chapter's text, reported.

Only text is looked at: never code, raw HTML or math. Most checks run as a core rule just before
markdown-it joins the text back together, when every other rule has read what it reads but an
escaped ``\\$`` or ``\\[`` can still be told from a plain one; attribute blocks are looked for on
the finished token stream (:func:`report`), as octavo reads a heading's only after that join.
Each find is a warning at its line that says what the text looks like and what to do about it;
the text itself is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

CUT = "\x00"  # stands for whatever is not text (code, math, a link's markup) so no pattern spans it
Check = tuple[str, re.Pattern[str], str, tuple[str, ...]]  # code, pattern, message, what the text must hold
# What tells TeX from an escaped bracket in prose ("\\[sic\\]", "y^(e)"): a command, a relation or
# an operator, a sub- or superscript of a letter, digit or group; never a cut (code, emphasis).
TEXLIKE = r"(?:\\[A-Za-z]|[=+<>]|[\^_][\w{])"
EARLY: tuple[Check, ...] = (  # looked for while escapes still show
    # mdBook's own directives (octavo.mdbook.includes.KNOWN) are expanded before parsing: one still
    # here was escaped (\{{#include x}}) to be shown as written.
    ("literal.directive", re.compile(r"\{\{#\s*(?!(?:include|rustdoc_include|playground|title)\b)([\w-]+)"
                                     r"[^{}\x00]*\}\}"),
     "'{{#%s …}}' is not one of mdBook's directives (include, rustdoc_include, playground, title), so it is "
     "printed as written: if a preprocessor of the book's handles it, declare it as [preprocessor.NAME] in "
     "book.toml; else paste in the text it stands for, or remove it", ("{{#",)),
    ("literal.fence", re.compile(r"(?m)^[ \t]*(:{3,})"),
     "a ':::' line is left in the text: a fenced div opens with '::: name' or '::: {.class}' on a line of "
     "its own and closes with a bare ':::'; check that this one opens or closes a div", (":::",)),
    ("literal.alert", re.compile(r"\[!(\w+)\]"),
     "'[!%s]' looks like a GitHub alert, but octavo did not read it as one: an alert is a block quote whose "
     "first line is only [!NOTE], [!TIP], [!IMPORTANT], [!WARNING] or [!CAUTION]", ("[!",)),
    ("literal.math", re.compile(r"(?<!\\)(\$\$)"),
     "'$$' is left in the text: it looks like display math that octavo did not read; close it with a second "
     "'$$', or write '\\$' for a dollar sign", ("$$",)),
    ("literal.xref", re.compile(r"(?<![\w.])(@(?:fig|tbl|sec|eq|lst)[-:])(?![\w])", re.IGNORECASE),
     "'%s' looks like a cross-reference with no label: write the label after the prefix, as in @fig-map, "
     "and give the figure the id: ![Caption](map.png){#fig-map}", ("@",)),
    ("literal.math", re.compile(rf"(\\\()(?=(?:(?!\\\)).)*?{TEXLIKE}(?:(?!\\\)).)*\\\))"  # \( x^2 \)
                                rf"|(\\\[)(?=(?:(?!\\\]).)*?{TEXLIKE}(?:(?!\\\]).)*\\\])", re.S),  # \[ x^2 \]
     "'%s' is left in the text: it looks like TeX math that octavo did not read; write inline math as "
     "$…$ and display math as $$…$$, or '\\\\' for a backslash", ("\\(", "\\[")),
)
LATE: tuple[Check, ...] = (  # looked for once every rule has taken what it reads
    ("literal.attributes", re.compile(r"(?<!\{)(\{\s*[#.][A-Za-z_][^{}\x00\n]*\})(?!\})"),
     "'%s' looks like an attribute block, but it is attached to nothing: write it right after a heading, "
     "an image, a link or a `code` span with no space between, or on the line before a block", ("{",)),
)
TEXT_TYPES = frozenset({"text"})


def leftovers_plugin(md: MarkdownIt) -> None:
    md.core.ruler.before("text_join", "octavo_leftovers", report_early)


def report_early(state: StateCore) -> None:
    """What no rule reads at all, while escapes still show (``\\$$`` is two dollar signs)."""
    _report(state.tokens, state.env, EARLY)


def report(tokens: Sequence[Token], env: Any) -> None:
    """Attribute blocks, on the finished token stream (after the rules that read them), before it
    is rendered."""
    _report(tokens, env, LATE)


def _report(tokens: Sequence[Token], env: Any, checks: Sequence[Check]) -> None:
    if not isinstance(env, dict):
        return
    first_line = int(env.get("first_line", 1))
    problems = env.setdefault("problems", [])
    for token in tokens:
        if token.type != "inline" or not token.children or not token.map:
            continue
        text = "".join(_pieces(token.children))
        for code, pattern, message, needles in checks:
            if not any(needle in text for needle in needles):
                continue  # the patterns cannot use a literal prefix to skip ahead; a substring test can
            for match in pattern.finditer(text):
                found = next((group for group in match.groups() if group), match.group(0))
                line = first_line + token.map[0] + text.count("\n", 0, match.start())
                problems.append((code, message % found if "%s" in message else message, line))


def _pieces(children: Sequence[Token]) -> Iterator[str]:
    """The text of each child; escapes are given back their backslash, line breaks are newlines."""
    for child in children:
        if child.type in TEXT_TYPES:
            yield child.content
        elif child.type == "text_special":
            yield child.markup if child.info == "escape" else child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield "\n"
        elif child.type == "image" and child.children:
            yield CUT
            yield from _pieces(child.children)
            yield CUT
        else:
            yield CUT

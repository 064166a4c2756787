"""The pandoc Markdown that Quarto and pandoc books use beyond CommonMark, and checked attribute values.

- ``^sup^`` and ``~sub~`` (mdit-py-plugins), bracketed spans ``[text]{.smallcaps}`` (its attrs
  plugin, with spans on);
- line blocks: lines that start with ``| `` keep their breaks and leading spaces (poetry,
  addresses), as ``<div class="line-block">``;
- attribute values: ``{width="80%"}`` becomes ``style="width: 80%"`` (an XHTML ``width`` is a
  whole number of pixels), a value that is no length is dropped with a warning at its line, and
  a name HTML does not have (``fig-align``) becomes ``data-fig-align``, as pandoc writes it;
- grid tables and simple tables (:mod:`octavo.projects.tables`);
- executable cells (```` ```{python} ````) are noted, so a book says once that octavo shows
  their code and does not run them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from octavo.diagnostics import Diagnostic, notice
from octavo.projects.tables import tables_plugin

LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(px|%|em|rem|ex|ch|cm|mm|in|pt|pc|vw|vh)?\s*$", re.I)
SIZES = ("width", "height")
# Attributes HTML has on any element, or on the element markdown-it makes; the rest get "data-"
GLOBAL = frozenset({"id", "class", "style", "lang", "dir", "title", "role", "translate", "hidden", "tabindex",
                    "xml:lang", "epub:type"})
OWN = {"img": frozenset({"src", "alt", "width", "height", "fig-alt"}), "a": frozenset({"href", "rel", "hreflang"}),
       "ol": frozenset({"start", "reversed", "type"}), "td": frozenset({"colspan", "rowspan"}),
       "th": frozenset({"colspan", "rowspan", "scope"})}
CELL = re.compile(r"^\{\s*([A-Za-z][\w-]*)\s*[},\s]")  # ```{python}: a cell a notebook engine would run
NOT_CELLS = frozenset({"code-block", "code", "sourcecode"})  # MyST's code directives show code, as written
NOT_RUN = "code.not-run"
LINE_BLOCK = re.compile(r"^\|(?: |$)")


def syntax_plugin(md: MarkdownIt) -> None:
    """Everything above, on one parser."""
    md.use(superscript_plugin).use(sub_plugin).use(tables_plugin)
    md.block.ruler.after("table", "octavo_line_block", line_block, {"alt": ["paragraph"]})
    md.core.ruler.push("octavo_attribute_values", attribute_values)
    md.core.ruler.push("octavo_cells", cells)
    md.add_render_rule("line_block_open", lambda *_: '<div class="line-block">\n')
    md.add_render_rule("line_block_close", lambda *_: "</div>\n")


def line_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """pandoc's line block: ``| `` lines, a line that starts with a space continuing the one above."""
    if state.sCount[start] - state.blkIndent >= 4 or not LINE_BLOCK.match(_line(state, start)):
        return False
    if silent:
        return True
    lines: list[str] = []
    current = start
    while current < end and state.sCount[current] >= state.blkIndent:
        text = _line(state, current)
        if LINE_BLOCK.match(text):
            body = text[2:] if len(text) > 1 else ""
            stripped = body.lstrip(" ")
            lines.append("\u00a0" * (len(body) - len(stripped)) + stripped)
        elif state.sCount[current] > state.blkIndent and text.strip() and lines:
            lines[-1] += " " + text.strip()
        else:
            break
        current += 1
    opening = state.push("line_block_open", "div", 1)
    opening.map = [start, current]
    inline = state.push("inline", "", 0)
    inline.content = "\n".join(lines)
    inline.map = [start, current]
    inline.children = []
    state.push("line_block_close", "div", -1)
    state.line = current
    return True


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number]: state.eMarks[number]]


def attribute_values(state: StateCore) -> None:
    """Make every attribute an author wrote valid XHTML, or drop it with a warning at its line."""
    breaks_in_blocks = [t for t in state.tokens if t.type == "line_block_open"]
    for block in breaks_in_blocks:
        _hard_breaks(state.tokens, block)
    for token in _walk(state.tokens):
        if token.attrs and token.type != "html_inline":
            _check(state, token)


def _hard_breaks(tokens: list[Token], block: Token) -> None:
    """A line block's lines end in line breaks, not in the spaces soft breaks render as."""
    inline = tokens[tokens.index(block) + 1]
    for child in inline.children or []:
        if child.type == "softbreak":
            child.type, child.tag = "hardbreak", "br"


def _check(state: StateCore, token: Token) -> None:
    tag = "img" if token.type == "image" else token.tag
    styles: list[str] = []
    for name in list(token.attrs):
        key, value = str(name), str(token.attrs[name])
        if key in SIZES and not (tag == "img" and value.isdigit()):
            del token.attrs[name]
            match = LENGTH.match(value)
            if match is None:
                _warn(state, token, "attribute.value", f"left out {key}=\"{value}\": it is not a length "
                      "(a number, with px, %, em, cm, mm, in or pt)")
            elif tag == "img" and (match.group(2) or "px").lower() == "px" and "." not in match.group(1):
                token.attrs[key] = match.group(1)
            else:
                styles.append(f"{key}: {match.group(1)}{match.group(2) or 'px'}")
        elif key not in GLOBAL and key not in OWN.get(tag, ()) and not key.startswith(("data-", "aria-")):
            del token.attrs[name]
            token.attrs[f"data-{key}"] = value
    if styles:
        old = str(token.attrs.get("style", "")).strip().rstrip(";")
        token.attrs["style"] = "; ".join([*([old] if old else []), *styles])


def _warn(state: StateCore, token: Token, code: str, message: str) -> None:
    line = token.meta.get("line", token.map[0] if token.map else 0)
    state.env["problems"].append((code, message, state.env.get("first_line", 1) + line))


def _walk(tokens: Sequence[Token]) -> Iterable[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def cells(state: StateCore) -> None:
    """Note the chapter's first executable cell: its code is shown, it is never run."""
    for token in state.tokens:
        match = CELL.match(token.info.strip()) if token.type == "fence" else None
        if match and match.group(1).lower() not in NOT_CELLS:
            count = sum(1 for t in state.tokens if t.type == "fence" and (m := CELL.match(t.info.strip()))
                        and m.group(1).lower() not in NOT_CELLS)
            line = state.env.get("first_line", 1) + token.map[0] if token.map else None
            state.env.setdefault("notices", []).append(
                (NOT_RUN, f"{count} executable cell{'s' * (count != 1)} shown as code", line, None))
            return


def one_notice(problems: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The chapters' notes on executable cells made one notice for the book, at the first cell."""
    notes = [p for p in problems if p.code == NOT_RUN]
    if not notes:
        return list(problems)
    cells = sum(int(p.message.split(" ", 1)[0]) for p in notes)
    first = notes[0]
    merged = notice(NOT_RUN, f"octavo does not execute code: {cells} executable cell{'s' * (cells != 1)} "
                    f"({{python}}, {{r}}…) in {len(notes)} chapter{'s' * (len(notes) != 1)} are shown as "
                    "highlighted code, without their output", first.path, first.line,
                    hint="render the book with Quarto (or Jupyter) first if the outputs belong in it, "
                         "or keep the cells as code")
    return [merged if p is first else p for p in problems if p.code != NOT_RUN or p is first]

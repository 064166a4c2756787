"""Callouts, fenced divs and table captions: the block syntax of pandoc, Quarto, MyST and GitHub.

- ``> [!NOTE]`` (GitHub, mdBook): markdown-it's own alerts, given octavo's callout markup.
- ``::: note``, ``::: {.callout-warning title="…"}`` (pandoc, Quarto), ``:::{note}`` and
  ```` ```{note} ```` (MyST): callouts too. Any other fenced div, ``::: {.class #id}``, is a
  ``div`` with those attributes; one whose id starts ``fig-`` or ``tbl-`` is a ``figure`` whose last
  paragraph is its caption (Quarto's figure and table divs).
- ``Table: caption`` or ``: caption``, a paragraph right after (or right before) a table, is its
  ``<caption>``; ``{#tbl-name}`` at its end gives the table its id.

A callout is ``<div class="callout callout-KIND" role="…">`` with a ``<p class="callout-title">``
first: no icon, a title a screen reader reads, and the DPUB-ARIA role (with the matching
``epub:type``) where one fits: ``doc-tip`` for tips, ``doc-notice`` for warnings and the like,
``note`` for the rest. Fenced divs nest as in pandoc: a fence with something after the colons
opens a div, a bare fence closes the innermost one; code blocks inside are skipped over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from octavo.labels import Labels, words

KINDS = ("note", "tip", "important", "warning", "caution")
ALIASES = {"hint": "tip", "attention": "important", "danger": "caution", "error": "caution", "seealso": "note"}
ROLES = {"note": ("note", ""), "tip": ("doc-tip", "tip"), "important": ("doc-notice", "notice"),
         "warning": ("doc-notice", "notice"), "caution": ("doc-notice", "notice")}
CAPTIONED = ("fig-", "fig:", "tbl-", "tbl:")  # a fenced div with such an id is a figure
COLONS = re.compile(r"^(:{3,})(.*)$")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")
MYST = re.compile(r"^\{([A-Za-z][\w-]*)\}(?:\s+(.*))?$")
MYST_OPTION = re.compile(r"^:([A-Za-z][\w-]*):(?:\s+(.*))?$")
SAFE_ID = re.compile(r"^[A-Za-z_][\w:.-]*$")
SAFE_CLASS = re.compile(r"^-?[A-Za-z_][\w-]*$")
DATA_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
PLAIN_ATTRIBUTES = ("lang", "dir", "title")  # HTML's own: kept as they are on a div
CAPTION = re.compile(r"^(?:[Tt]able)?:(?=\s)\s*")
TRAILING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")
LONE_IMAGE = re.compile(r"^!\[.*\)\s*(\{[^{}]*\})?$", re.S)
Problem = tuple[str, str, int]  # (code, message, line in the chapter text, from 0)


@dataclass
class Div:
    """What a fenced div's opening line says."""

    classes: list[str] = field(default_factory=list)
    ident: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    kind: str | None = None  # a callout's kind: note, tip, important, warning, caution
    word: str | None = None  # the key of its default title in octavo.labels (a kind or an alias)
    problems: list[str] = field(default_factory=list)


def blocks_plugin(md: MarkdownIt, language: str, labels: Labels = ()) -> None:
    """Register the fenced divs, callouts and table captions for a book in ``language``."""
    md.block.ruler.before("fence", "octavo_fenced_div", fenced_div(language),
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.core.ruler.before("inline", "octavo_callouts", callouts(language, labels))
    md.core.ruler.after("inline", "octavo_table_captions", table_captions)


# Opening lines.


def read_opening(params: str) -> Div | None:
    """The div a fence's text after its colons opens, or None for a bare (closing) fence."""
    text = re.sub(r"\s*:*\s*$", "", params.strip())
    if not text:
        return None
    myst = MYST.match(text)
    if myst and not text.startswith(("{.", "{#")) and "=" not in text:
        return _directive(myst.group(1).lower(), myst.group(2))
    if text.startswith("{"):
        return _attributed(text)
    word, _, rest = text.partition(" ")  # pandoc's single class word; VuePress's ``::: tip Title``
    div = Div(classes=[word])
    _callout_from_classes(div)
    if rest.strip():
        div.title = rest.strip().strip('"')
    _check_names(div)
    return div


def _directive(name: str, argument: str | None) -> Div:
    """MyST's ``:::{note}``, ``:::{admonition} Title``; another directive is a plain div, noted."""
    div = Div()
    if name == "admonition":
        div.kind, div.word, div.title = "note", "note", (argument or "").strip() or None
        div.classes = ["admonition"]
    elif name in KINDS or name in ALIASES:
        div.kind, div.word = ALIASES.get(name, name), name
        div.title = (argument or "").strip() or None
    else:
        div.classes = [name]
        div.problems.append(f"the MyST directive '{{{name}}}' is not one octavo knows; its content is kept as a "
                            "plain block: use a callout (note, tip, important, warning, caution) or a "
                            "fenced div ::: {." + name + "}")
    return div


def _attributed(text: str) -> Div:
    div = Div()
    try:
        end, attrs = parse_attrs(text)
    except ParseError as exc:
        div.problems.append(f"could not read the attributes '{text}' ({exc}); the block is kept without "
                            'them: write them as {.class #id key="value"}')
        return div
    if text[end + 1:].strip():
        div.title = text[end + 1:].strip()
    div.classes = attrs.pop("class", "").split()
    div.ident = attrs.pop("id", None)
    div.title = attrs.pop("title", None) or div.title
    div.attributes = dict(attrs)
    _callout_from_classes(div)
    if div.kind is None and div.title is not None:
        div.attributes["title"] = div.title  # a plain div keeps title= as HTML's tooltip
    _check_names(div)
    return div


def _callout_from_classes(div: Div) -> None:
    """Quarto's ``.callout-KIND``, or a first class that names a kind (``::: warning``)."""
    for name in div.classes:
        kind = name.lower().removeprefix("callout-")
        if name.lower().startswith("callout-") and kind in KINDS:
            div.kind, div.word = kind, kind
            div.classes = [c for c in div.classes if c != name]
            return
    if div.classes and (div.classes[0].lower() in KINDS or div.classes[0].lower() in ALIASES):
        name = div.classes.pop(0).lower()
        div.kind, div.word = ALIASES.get(name, name), name


def _check_names(div: Div) -> None:
    """Ids and classes that are safe in XHTML, CSS and a link; the rest dropped with a problem."""
    bad = [c for c in div.classes if not SAFE_CLASS.match(c)]
    if bad:
        div.problems.append(f"removed the class{'es' * (len(bad) > 1)} {', '.join(repr(c) for c in bad)}: a class "
                            "is letters, digits, '-' and '_', starting with a letter")
        div.classes = [c for c in div.classes if SAFE_CLASS.match(c)]
    if div.ident is not None and not SAFE_ID.match(div.ident):
        div.problems.append(f"removed the id '{div.ident}': an id is letters, digits, '-', '_', ':' and '.', "
                            "starting with a letter")
        div.ident = None
    for key in list(div.attributes):
        if key.lower().startswith("on") or not DATA_NAME.match(key):
            div.problems.append(f"removed the attribute '{key}'" + (": books cannot run scripts"
                                                                     if key.lower().startswith("on") else ""))
            del div.attributes[key]


# The block rule.


def fenced_div(language: str) -> Callable[[StateBlock, int, int, bool], bool]:
    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if state.sCount[start] - state.blkIndent >= 4:
            return False
        line_text = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
        match = COLONS.match(line_text)
        if match is None:
            return False
        div = read_opening(match.group(2))
        if div is None:
            return False
        if silent:
            return True
        closing, closed = _closing_line(state, start, end)
        content = start + 1
        if div.kind is not None or match.group(2).lstrip().startswith("{"):
            content = _myst_options(state, div, content, closing)
        state.tokens.append(_opening(div, start, closing, language, state.env, state.level, closed))
        state.level += 1
        old_parent, old_max = state.parentType, state.lineMax
        state.parentType = "container"
        state.lineMax = closing
        first = len(state.tokens)
        state.md.block.tokenize(state, content, closing)
        state.parentType, state.lineMax = old_parent, old_max
        _finish(state.tokens, first, div)
        state.push("fenced_div_close", "figure" if _is_figure(div) else "div", -1)
        state.line = closing + 1 if closed else closing
        return True

    return rule


def _closing_line(state: StateBlock, start: int, end: int) -> tuple[int, bool]:
    """The line of the fence that closes the div opened at ``start``; nested divs and code skipped."""
    depth = 0
    code: tuple[str, int] | None = None
    line = start + 1
    while line < end:
        begin, maximum = state.bMarks[line] + state.tShift[line], state.eMarks[line]
        if begin < maximum and state.sCount[line] < state.blkIndent:
            break  # a line less indented than the div ends it, as it ends the list it is in
        text = state.src[begin:maximum]
        indented = state.sCount[line] - state.blkIndent >= 4
        if code is not None:
            if text.startswith(code[0] * code[1]) and not text.strip().strip(code[0]):
                code = None
        elif (fence := CODE_FENCE.match(text)) and not indented:
            code = (fence.group(1)[0], len(fence.group(1)))
        elif (colons := COLONS.match(text)) and not indented:
            if read_opening(colons.group(2)) is not None:
                depth += 1
            elif depth == 0:
                return line, True
            else:
                depth -= 1
        line += 1
    return line, False


def _myst_options(state: StateBlock, div: Div, line: int, closing: int) -> int:
    """MyST's ``:class: tip`` and ``:name: label`` lines at the top of a directive."""
    while line < closing:
        text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
        option = MYST_OPTION.match(text)
        if option is None:
            break
        key, value = option.group(1), (option.group(2) or "").strip()
        if key == "class":
            div.classes += value.split()
        elif key == "name":
            div.ident = value
        line += 1
    _check_names(div)
    return line


def _is_figure(div: Div) -> bool:
    return div.kind is None and div.ident is not None and div.ident.startswith(CAPTIONED)


def _opening(div: Div, start: int, closing: int, language: str, env: Any, level: int, closed: bool) -> Token:
    """The div's opening token; the problems its opening line has go to ``env``."""
    first_line = int(env.get("first_line", 1)) if isinstance(env, dict) else 1
    problems = env.setdefault("problems", []) if isinstance(env, dict) else []
    for message in div.problems:
        problems.append(("div.attributes", message, first_line + start))
    if not closed:
        problems.append(("div.unclosed", "this fenced div is never closed, so it runs to the end of its "
                         "container: end it with a line of ':::'", first_line + start))
    token = Token("fenced_div_open", "figure" if _is_figure(div) else "div", 1, map=[start, closing], level=level,
                  block=True, meta={"kind": div.kind})
    classes = div.classes
    if div.kind is not None:
        classes = ["callout", f"callout-{div.kind}", *classes]
    if classes:
        token.attrSet("class", " ".join(dict.fromkeys(classes)))
    if div.ident:
        token.attrSet("id", div.ident)
    if div.kind is not None:
        role, epub_type = ROLES[div.kind]
        token.attrSet("role", role)
        if epub_type:
            token.attrSet("epub:type", epub_type)
    for key, value in div.attributes.items():
        name = key.lower()
        token.attrSet(key if key in PLAIN_ATTRIBUTES else name if name.startswith("data-") else f"data-{name}", value)
    token.attrSet("data-line", str(first_line + start))
    if div.kind is not None:
        token.meta["title"] = div.title
        token.meta["word"] = words(language, env.get("labels", ()))[div.word or div.kind]
    return token


def _finish(tokens: list[Token], first: int, div: Div) -> None:
    """A callout's title (its own, a first heading as Quarto has it, or its kind's word); a figure
    div's caption (its last paragraph). ``first`` is the index of the div's first content token."""
    opening = tokens[first - 1]
    if div.kind is not None:
        title = opening.meta.get("title")
        if title is None and first < len(tokens) and tokens[first].type == "heading_open":
            close = next(i for i in range(first + 1, len(tokens)) if tokens[i].type == "heading_close")
            _as_title(tokens[first], tokens[close])
            return
        tokens[first:first] = title_tokens(title or str(opening.meta["word"]), opening)
    elif _is_figure(div):
        _last_paragraph_as_caption(tokens, first, opening.level + 1)


def title_tokens(title: str, opening: Token) -> list[Token]:
    """``<p class="callout-title">title</p>``, its text parsed as Markdown like any other."""
    head = Token("callout_title_open", "p", 1, attrs={"class": "callout-title"}, level=opening.level + 1,
                 block=True, map=opening.map)
    inline = Token("inline", "", 0, content=title, children=[], level=opening.level + 2, block=True, map=opening.map)
    tail = Token("callout_title_close", "p", -1, level=opening.level + 1, block=True)
    return [head, inline, tail]


def _as_title(opening: Token, closing: Token) -> None:
    opening.type, opening.tag, closing.type, closing.tag = "callout_title_open", "p", "callout_title_close", "p"
    opening.attrs = {"class": "callout-title"}


def _last_paragraph_as_caption(tokens: list[Token], first: int, level: int) -> None:
    blocks = [i for i in range(first, len(tokens)) if tokens[i].level == level and tokens[i].nesting >= 0]
    if len(blocks) < 2 or tokens[blocks[-1]].type != "paragraph_open":
        return
    start = blocks[-1]
    if LONE_IMAGE.match(tokens[start + 1].content.strip()):
        return  # a sub-figure, not a caption
    tokens[start].type, tokens[start].tag = "figcaption_open", "figcaption"
    tokens[start + 2].type, tokens[start + 2].tag = "figcaption_close", "figcaption"


# Core rules.


def callouts(language: str, labels: Labels = ()) -> Callable[[StateCore], None]:
    """markdown-it's alerts and MyST's ```` ```{note} ```` fences, as callouts."""
    table = words(language, labels)

    def rule(state: StateCore) -> None:
        tokens = state.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "alert_open":
                kind = str(token.meta.get("kind", "note")).lower()
                _alert(token, tokens, i, kind, table[kind], state.env)
            elif token.type == "fence" and (myst := MYST.match(token.info.strip())):
                name = myst.group(1).lower()
                if name in KINDS or name in ALIASES or name == "admonition":
                    made = _fenced_directive(state, token, name, myst.group(2), language)
                    tokens[i:i + 1] = made
                    i += len(made) - 1
            i += 1

    return rule


def _alert(token: Token, tokens: list[Token], i: int, kind: str, word: str, env: Any) -> None:
    role, epub_type = ROLES[kind]
    token.type = "fenced_div_open"
    token.attrs = {"class": f"callout callout-{kind}", "role": role}
    if epub_type:
        token.attrs["epub:type"] = epub_type
    if token.map and isinstance(env, dict):
        token.attrs["data-line"] = str(int(env.get("first_line", 1)) + token.map[0])
    depth = 0
    for j in range(i, len(tokens)):
        other = tokens[j]
        if other.type == "alert_title_open" and depth == 1:
            other.type, other.attrs = "callout_title_open", {"class": "callout-title"}
            tokens[j + 1].content = word
        elif other.type == "alert_title_close" and depth == 1:
            other.type = "callout_title_close"
        depth += other.nesting
        if depth == 0:
            other.type = "fenced_div_close"
            return


def _fenced_directive(state: StateCore, fence: Token, name: str, argument: str | None,
                      language: str) -> list[Token]:
    """A MyST directive fence (```` ```{warning} ````) parsed again as the callout it is."""
    div = _directive(name, argument)
    lines = fence.content.split("\n")
    skipped = 0
    while skipped < len(lines) and (option := MYST_OPTION.match(lines[skipped].strip())):
        if option.group(1) == "class":
            div.classes += (option.group(2) or "").split()
        elif option.group(1) == "name":
            div.ident = (option.group(2) or "").strip()
        skipped += 1
    _check_names(div)
    inner: list[Token] = []
    state.md.block.parse("\n".join(lines[skipped:]), state.md, state.env, inner)
    start = (fence.map[0] if fence.map else 0)
    offset = start + 1 + skipped
    for token in inner:
        token.level += fence.level + 1
        if token.map:
            token.map = [token.map[0] + offset, token.map[1] + offset]
    opening = _opening(div, start, fence.map[1] if fence.map else start, language, state.env, fence.level, True)
    made = [opening, *inner]
    _finish(made, 1, div)
    return [*made, Token("fenced_div_close", "div", -1, level=fence.level, block=True)]


def table_captions(state: StateCore) -> None:
    """A ``Table: …`` or ``: …`` paragraph next to a table becomes its caption (after wins).

    Runs right after inline parsing, before typography, so a caption's text, parsed again without
    its ``Table:`` and its ``{#tbl-name}``, gets its quotes and dashes like any other.
    """
    tokens = state.tokens
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        if tokens[i].type != "table_open":
            i += 1
            continue
        opening = tokens[i]
        close = next(j for j in range(i + 1, len(tokens)) if tokens[j].type == "table_close"
                     and tokens[j].level == opening.level)
        if opening.map:
            opening.attrSet("data-line", str(int(state.env.get("first_line", 1)) + opening.map[0]))
        after, before = close + 1, i - 3
        caption: Token | None = None
        if _is_caption(tokens, after, opening.level):
            caption = tokens[after + 1]
            del tokens[after:after + 3]
        elif before >= 0 and before not in used and _is_caption(tokens, before, opening.level):
            caption = tokens[before + 1]
            del tokens[before:before + 3]
            i -= 3
        else:
            caption = _caption_row(tokens, i, close)
        if caption is not None:
            _caption_text(state, caption, opening)
            tokens[i + 1:i + 1] = [Token("caption_open", "caption", 1, level=opening.level + 1, block=True),
                                   caption, Token("caption_close", "caption", -1, level=opening.level + 1, block=True)]
        used.add(i)
        i += 1


def _is_caption(tokens: Sequence[Token], at: int, level: int) -> bool:
    return (at + 2 < len(tokens) and tokens[at].type == "paragraph_open" and tokens[at].level == level
            and CAPTION.match(tokens[at + 1].content) is not None)


def _caption_row(tokens: list[Token], start: int, close: int) -> Token | None:
    """``Table: …`` written on the line right after the table's last row, which markdown-it reads
    as one more row: taken back out as the caption."""
    row_open = max((j for j in range(start, close) if tokens[j].type == "tr_open"), default=None)
    if row_open is None or tokens[row_open - 1].type == "thead_open":
        return None
    row_close = next(j for j in range(row_open, close) if tokens[j].type == "tr_close")
    cells = [tokens[j] for j in range(row_open, row_close) if tokens[j].type == "inline"]
    if not cells or not re.match(r"^[Tt]able:\s", cells[0].content) or any(c.content.strip() for c in cells[1:]):
        return None
    del tokens[row_open:row_close + 1]
    body_open = row_open - 1
    if tokens[body_open].type == "tbody_open" and tokens[body_open + 1].type == "tbody_close":
        del tokens[body_open:body_open + 2]
    return cells[0]


def _caption_text(state: StateCore, inline: Token, table: Token) -> None:
    """The caption without its ``Table:``; ``{#tbl-name .class}`` at its end goes to the table."""
    text = CAPTION.sub("", inline.content, count=1)
    match = TRAILING_ATTRS.search(text)
    if match is not None:
        try:
            _, attrs = parse_attrs(match.group(1))
        except ParseError:
            attrs = None
        if attrs is not None:
            text = text[:match.start()]
            if attrs.get("id") and SAFE_ID.match(attrs["id"]):
                table.attrSet("id", attrs["id"])
            classes = [c for c in attrs.get("class", "").split() if SAFE_CLASS.match(c)]
            if classes:
                table.attrJoin("class", " ".join(classes))
    inline.content = text
    inline.children = []
    state.md.inline.parse(text, state.md, state.env, inline.children)

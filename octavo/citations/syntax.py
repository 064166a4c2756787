"""Citations in Markdown, as pandoc writes them, read by a markdown-it plugin.

``[@key]``, ``[see @a, p. 33; @b]``, ``[-@key]`` (the year only), ``@key`` in running text and
``@key [p. 33]`` become placeholders that the book-wide citation stage fills once every chapter is
rendered (formatting needs the whole book: disambiguation, "ibid."), so a chapter's rendering,
and its cache entry, never depend on the bibliography. Cross-references (``@fig-…``, ``@tbl-…``,
``@sec-…``, ``@eq-…``, ``@lst-…``, and ``@fig:…`` of pandoc-crossref) are never citations: they
stay text for the cross-reference stage. ``::: {#refs}`` marks where the references list goes.

With a note style (``citation_notes`` in the env), a citation outside a footnote also makes a
footnote of its own, numbered with the chapter's other notes, as pandoc does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from octavo.model import Citation, CiteItem

CROSSREF = re.compile(r"(?:fig|tbl|sec|eq|lst)[-:]")
# pandoc's key: a letter, digit or _, then those and punctuation that is followed by one of them.
BARE_KEY = r"\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*"
KEY = re.compile(r"@(?:\{([^{}\n]+)\}|(" + BARE_KEY + "))")
ITEM = re.compile(r"^(?P<prefix>.*?)(?P<minus>-?)@(?:\{(?P<braced>[^{}\n]+)\}|(?P<key>" + BARE_KEY + r"))"
                  r"(?P<suffix>.*)$", re.S)
NOTE_PUNCTUATION = ".,;:!?"
REFS_OPEN = re.compile(r"^ {0,3}(:{3,})\s*\{#refs\}\s*$")
REFS_CLOSE = re.compile(r"^ {0,3}(:{3,})\s*$")
PLACEHOLDER_CLASS = "citation"


def citations_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("fence", "citation_refs", refs_block, {"alt": ["paragraph"]})
    md.core.ruler.before("inline", "citation_in_notes", mark_notes)
    md.inline.ruler.before("link", "citation_bracketed", bracketed)
    md.inline.ruler.before("link", "citation_in_text", in_text)
    md.core.ruler.push("citation_records", records)
    md.add_render_rule("citation", render_citation)
    md.add_render_rule("citation_refs_open", render_refs_open)
    md.add_render_rule("citation_refs_close", render_refs_close)


def is_crossref(key: str) -> bool:
    return CROSSREF.match(key) is not None


# Block: ::: {#refs}


def refs_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """pandoc's ``::: {#refs}`` … ``:::``: the references list goes there."""
    line = state.src[state.bMarks[start]:state.eMarks[start]]
    opening = REFS_OPEN.match(line)
    if opening is None or state.sCount[start] - state.blkIndent >= 4:
        return False
    close = start + 1
    while close < end:
        text = state.src[state.bMarks[close]:state.eMarks[close]]
        found = REFS_CLOSE.match(text)
        if found and len(found.group(1)) >= 3:
            break
        close += 1
    if close >= end:
        return False  # never closed: not a div, pandoc leaves it as text too
    if silent:
        return True
    token = state.push("citation_refs_open", "div", 1)
    token.map = [start, close + 1]
    old_max = state.lineMax
    state.lineMax = close
    state.md.block.tokenize(state, start + 1, close)
    state.lineMax = old_max
    state.push("citation_refs_close", "div", -1)
    state.line = close + 1
    return True


def render_refs_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return '<div id="refs">\n'


def render_refs_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</div>\n"


# Inline: the citations.


def mark_notes(state: StateCore) -> None:
    """Note which inline tokens are inside a footnote, by the list their children go into:
    the inline rules see only that list (see :func:`_in_note`)."""
    inside = 0
    lists: set[int] = set()
    for token in state.tokens:
        if token.type == "footnote_reference_open":
            inside += 1
        elif token.type == "footnote_reference_close":
            inside -= 1
        elif token.type == "inline" and inside:
            if token.children is None:
                token.children = []
            lists.add(id(token.children))
    state.env["citation_note_lists"] = lists


def _in_note(state: StateInline) -> bool:
    if id(state.tokens) in state.env.get("citation_note_lists", ()):
        return True
    notes = state.env.get("footnotes", {}).get("list", {})
    return any(note.get("tokens") is state.tokens for note in notes.values())  # an inline note ^[…]


def _closing_bracket(src: str, start: int, limit: int) -> int:
    """The index of the ``]`` that closes the ``[`` at ``start``, or -1."""
    depth = 0
    pos = start
    while pos < limit:
        char = src[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1


def parse_items(text: str) -> list[CiteItem] | None:
    """``see @a, p. 3; @b`` -> its items; None unless every part cites one key, none a cross-reference."""
    items: list[CiteItem] = []
    for part in text.split(";"):
        match = ITEM.match(part.strip())
        if match is None:
            return None
        key = match.group("braced") or match.group("key")
        if is_crossref(key):
            return None
        items.append(CiteItem(key, match.group("prefix").strip(), match.group("suffix").rstrip(),
                              bool(match.group("minus"))))
    return items


def _mixed(text: str) -> bool:
    """``[@fig-a; @smith]``: a bracket of keys of which some, not all, are cross-references."""
    keys = [m.group(1) or m.group(2) for m in KEY.finditer(text)]
    return any(map(is_crossref, keys)) and not all(map(is_crossref, keys))


def bracketed(state: StateInline, silent: bool) -> bool:
    """``[see @a, p. 3; -@b]``; a bracket followed by ``(`` or ``[`` is a link, not a citation."""
    start = state.pos
    if state.src[start] != "[" or (start + 1 < state.posMax and state.src[start + 1] == "^"):
        return False
    end = _closing_bracket(state.src, start, state.posMax)
    if end < 0 or "@" not in state.src[start:end]:
        return False
    if end + 1 < state.posMax and state.src[end + 1] in "([":
        return False
    items = parse_items(state.src[start + 1:end])
    if items is None and _mixed(state.src[start + 1:end]):
        if not silent:  # a cross-reference beside a key: all of it stays text, for the cross-reference stage
            state.push("text", "", 0).content = state.src[start:end + 1]
        state.pos = end + 1
        return True
    if not items:
        return False
    if not silent:
        _push(state, items, state.src[start:end + 1], author_in_text=False, after=end + 1)
        return True
    state.pos = end + 1
    return True


def in_text(state: StateInline, silent: bool) -> bool:
    """``@key`` not after a word character (so e-mail addresses stay text), with an optional
    ``[locator]`` after it."""
    start = state.pos
    if state.src[start] != "@" or (start > 0 and (state.src[start - 1].isalnum() or state.src[start - 1] == "_")):
        return False
    match = KEY.match(state.src, start, state.posMax)
    if match is None:
        return False
    key = match.group(1) or match.group(2)
    if is_crossref(key) or CROSSREF.match(state.src, start + 1):  # "@fig-" alone is a broken cross-reference
        return False
    end = match.end()
    suffix = ""
    bracket = re.compile(r"[ \t]*\[").match(state.src, end, state.posMax)
    if bracket:
        close = _closing_bracket(state.src, bracket.end() - 1, state.posMax)
        inner = state.src[bracket.end():close] if close > 0 else ""
        if close > 0 and "@" not in inner and not (close + 1 < state.posMax and state.src[close + 1] in "(["):
            suffix = inner.strip()
            end = close + 1
    if not silent:
        item = CiteItem(key, "", suffix)
        _push(state, [item], state.src[start:end], author_in_text=True, after=end)
        return True
    state.pos = end
    return True


def _push(state: StateInline, items: list[CiteItem], source: str, author_in_text: bool, after: int) -> None:
    """The citation's token; with a note style, outside a footnote, a footnote of its own after it
    (after the punctuation that follows, as pandoc places it)."""
    env = state.env
    counter = env.setdefault("citation_tokens", [])
    in_note = _in_note(state)
    meta = {"items": tuple(items), "source": source, "author_in_text": author_in_text, "in_note": in_note,
            "index": len(counter), "part": "text"}
    token = state.push("citation", "span", 0)
    token.meta = dict(meta)
    counter.append(token)
    state.pos = after
    if not env.get("citation_notes") or in_note:
        return
    if not author_in_text and len(state.tokens) > 1:
        previous = state.tokens[-2]
        if previous.type == "text":
            previous.content = previous.content.rstrip(" \t")
    punctuation = ""
    while state.pos < state.posMax and state.src[state.pos] in NOTE_PUNCTUATION:
        punctuation += state.src[state.pos]
        state.pos += 1
    if punctuation:
        state.push("text", "", 0).content = punctuation
    notes = env.setdefault("footnotes", {}).setdefault("list", {})
    env["footnotes"].setdefault("refs", {})
    note = Token("citation", "span", 0)
    note.meta = {**meta, "part": "note"}
    number = len(notes)
    notes[number] = {"content": source, "tokens": [note]}
    state.push("footnote_ref", "", 0).meta = {"id": number}


def records(state: StateCore) -> None:
    """The chapter's citations, with their lines (known only once the inline rules have run)."""
    tokens: list[Token] = state.env.get("citation_tokens", [])
    first = state.env.get("first_line", 1)
    state.env["citations"] = [
        Citation(t.meta["index"], t.meta["items"], t.meta["source"], first + int(t.meta.get("line", 0)),
                 t.meta["author_in_text"], t.meta["in_note"]) for t in tokens]


def render_citation(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A placeholder holding the citation as written, which is what stays if nothing fills it."""
    meta = tokens[idx].meta
    part = ' data-cite-part="note"' if meta["part"] == "note" else ""
    return (f'<span class="{PLACEHOLDER_CLASS}" data-cite="{meta["index"]}"{part}>'
            f'{escape(meta["source"], quote=False)}</span>')

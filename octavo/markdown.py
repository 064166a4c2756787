"""One configured markdown-it parser; ebook markup comes from its render rules.

CommonMark plus tables, footnotes, attributes, definition lists, smart punctuation in the
book's language, and ``{#id .class}`` after a heading. Footnotes become EPUB 3 noterefs and
``aside`` notes, a paragraph holding one image becomes a ``figure``, and links and images carry
their source line (``data-line``) so that later checks can point at ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.smartquotes import QUOTE_RE, process_inlines
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from octavo import highlight, leftovers, sanitize
from octavo.blocks import blocks_plugin
from octavo.citations.syntax import citations_plugin
from octavo.i18n import messages
from octavo.labels import Labels
from octavo.math import math_plugin, mathjax_plugin
from octavo.paths import slugify
from octavo.projects.syntax import syntax_plugin
from octavo.refs import refs_plugin

QUOTES: dict[str, str | list[str]] = {
    "en": "“”‘’",
    "de": "„“‚‘",
    "fr": ["«\u202f", "\u202f»", "‹\u202f", "\u202f›"],
    "es": "«»“”",
    "it": "«»“”",
    "nl": "“”‘’",
    "pt": "«»“”",
    "ru": "«»„“",
    "sv": "””’’",
    "pl": "„”«»",
    "cs": "„“‚‘",
    "da": "»«›‹",
}
SAFE_ATTR = re.compile(r"^(?:epub:)?[A-Za-z_][A-Za-z0-9_.-]*$")
HEADING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")
LINE_SPANNING = frozenset({"html_inline", "text", "math_inline", "math_inline_double"})  # may hold line breaks
Env = dict[str, Any]


class Renderer(RendererHTML):
    """markdown-it's renderer, with raw HTML in a paragraph closed within that paragraph."""

    def renderInline(self, tokens: Sequence[Token], options: Any, env: Any) -> str:
        html = str(super().renderInline(tokens, options, env))
        raw = [t for t in tokens if t.type == "html_inline"]
        if not raw:
            return html
        balanced, unwrapped = sanitize.balance(html)
        tags = list(dict.fromkeys(unwrapped))
        blocks = [tag for tag in tags if not sanitize.unknown_element(tag)]
        unknown = [tag for tag in tags if sanitize.unknown_element(tag)]
        if blocks:
            _problem(env, raw[0], "html.block-in-text", f"removed block tags inside a paragraph ({_tags(blocks)}); "
                     "their text is kept: put block HTML on lines of its own")
        if unknown:
            _problem(env, raw[0], "html.unknown", f"unwrapped {_tags(unknown)}, which HTML does not have; the "
                     "text is kept: style a <span> with a class in styles/book.css instead")
        return balanced


def _tags(names: list[str]) -> str:
    return ", ".join(f"<{name}>" for name in names)


@lru_cache(maxsize=8)
def parser(language: str, smart: bool = True, math_syntax: str = "tex", labels: Labels = ()) -> MarkdownIt:
    """The parser for a book language; built once per process and never changed after.

    An mdBook project is read as mdBook reads it: ``smart`` punctuation only with its
    ``smart-punctuation``, and math (``math_syntax``) only with ``mathjax-support``, written in
    MathJax's delimiters ("mathjax"; "none" without it); octavo's own books get both always ("tex").
    ``labels`` are the book's own words for callouts and numbered things (octavo.labels).
    """
    quotes = QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])
    md = MarkdownIt("commonmark", {"typographer": True, "xhtmlOut": True, "html": True, "quotes": quotes,
                                   "alerts": True}, renderer_cls=Renderer)
    # markdown-it's "replacements" would also turn (c), (r) and (tm) into symbols, which breaks
    # list markers like "(c)" and old spellings like "M^(r)"; octavo does only dashes and ellipses.
    md.enable(["table", "strikethrough", *(["smartquotes"] if smart else [])])
    md.use(footnote_plugin).use(deflist_plugin).use(attrs_plugin, spans=True).use(attrs_block_plugin)
    md.use(highlight.code_plugin)
    if math_syntax != "none":
        md.use(mathjax_plugin if math_syntax == "mathjax" else math_plugin)
    md.core.ruler.at("smartquotes", quotes_by_language(language))  # enabled with ``smart`` as before
    if smart:
        md.core.ruler.before("smartquotes", "octavo_dashes", dashes)
    md.core.ruler.push("octavo_heading_attrs", heading_attrs)
    md.core.ruler.push("octavo_safe_attrs", safe_attrs)
    md.core.ruler.push("octavo_lines", inline_lines)
    md.core.ruler.push("octavo_figures", figures)
    md.core.ruler.push("octavo_table_headers", table_headers)
    md.use(syntax_plugin)
    md.use(blocks_plugin, language, labels).use(refs_plugin, language, labels).use(leftovers.leftovers_plugin)
    md.use(citations_plugin)
    for name, rule in RENDER_RULES.items():
        md.add_render_rule(name, rule)
    return md


def to_xhtml(text: str, language: str, first_line: int = 1, citation_notes: bool = False, smart: bool = True,
             math_syntax: str = "tex", labels: Labels = ()) -> tuple[str, Env]:
    """Render Markdown to an XHTML fragment; ``env`` carries what the rules noticed.

    ``citation_notes``: the book's citation style puts citations in footnotes; ``smart`` and
    ``math_syntax``: see :func:`parser`.
    """
    env: Env = {"first_line": first_line, "problems": [], "raw_html": False, "citation_notes": citation_notes,
                "words": messages(language, dict(labels)), "labels": labels}
    md = parser(language, smart, math_syntax, labels)
    tokens = md.parse(text, env)
    leftovers.report(tokens, env)
    html = md.renderer.render(tokens, md.options, env)
    return html, env


# Core rules: shape the token stream before rendering.


DASHES = ((re.compile(r"(?<!-)---(?!-)"), "\u2014"), (re.compile(r"(?<!-)--(?!-)"), "\u2013"),
          (re.compile(r"\.\.\."), "\u2026"))


def dashes(state: StateCore) -> None:
    """``---`` to an em dash, ``--`` to an en dash, ``...`` to an ellipsis, in text only (never in code)."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type == "text" and ("--" in child.content or "..." in child.content):
                for pattern, char in DASHES:
                    child.content = pattern.sub(char, child.content)


def quotes_of(language: str) -> str | list[str]:
    """The quotes of a language (English's for one octavo has none for)."""
    return QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])


class _Quoting:
    """All markdown-it's quote pass reads of its state: the four quotes to put in."""

    def __init__(self, quotes: str | list[str]) -> None:
        self.md = SimpleNamespace(options=SimpleNamespace(quotes=quotes))


def quotes_by_language(language: str) -> Callable[[StateCore], None]:
    """markdown-it's smart quotes, in the language of the element the quotes stand in: the book's
    or chapter's, a ``::: {lang=de}`` div's or a ``[text]{lang=fr}`` span's. Each run of text in
    a language with other quotes is paired on its own, so a quote cannot open in one and close
    in the other."""

    def rule(state: StateCore) -> None:
        blocks = [language]
        for i, token in enumerate(state.tokens):
            if token.nesting == 1:
                own = token.attrGet("lang") or (_heading_lang(state.tokens[i + 1]) if token.type == "heading_open"
                                                 and i + 1 < len(state.tokens) else None)
                blocks.append(str(own or blocks[-1]))
            elif token.nesting == -1 and len(blocks) > 1:
                blocks.pop()
            elif token.type == "inline" and token.children and QUOTE_RE.search(token.content):
                for quotes, tokens in _runs(token.children, quotes_of(blocks[-1])):
                    process_inlines(tokens, cast(StateCore, _Quoting(quotes)))

    return rule


def _heading_lang(inline: Token) -> str | None:
    """The ``lang`` of a heading's ``{lang=fr}``, which :func:`heading_attrs` moves later on."""
    last = inline.children[-1] if inline.children else None
    match = HEADING_ATTRS.search(last.content) if last is not None and last.type == "text" else None
    if match is None:
        return None
    try:
        return parse_attrs(match.group(1))[1].get("lang")
    except ParseError:
        return None


def _runs(children: list[Token], quotes: str | list[str]) -> list[tuple[str | list[str], list[Token]]]:
    """An inline's tokens, grouped by the quotes of the span they are in (the outer ones first)."""
    runs = [(quotes, list[Token]())]
    open_runs = [0]
    for child in children:
        if child.nesting == -1 and len(open_runs) > 1:
            open_runs.pop()
        runs[open_runs[-1]][1].append(child)
        if child.nesting == 1:
            inner = quotes_of(str(child.attrGet("lang"))) if child.attrGet("lang") else runs[open_runs[-1]][0]
            if inner != runs[open_runs[-1]][0]:
                runs.append((inner, []))
                open_runs.append(len(runs) - 1)
            else:
                open_runs.append(open_runs[-1])
    return runs


def heading_attrs(state: StateCore) -> None:
    """``## Title {#id .class}``: pandoc's heading attributes, which markdown-it lacks."""
    for i, token in enumerate(state.tokens):
        if token.type != "heading_open" or i + 1 >= len(state.tokens):
            continue
        inline = state.tokens[i + 1]
        if token.map:
            token.attrSet("data-line", str(state.env.get("first_line", 1) + token.map[0]))
        last = inline.children[-1] if inline.children else None
        if last is None or last.type != "text":
            continue
        match = HEADING_ATTRS.search(last.content)
        if not match:
            continue
        try:
            _, attrs = parse_attrs(match.group(1))
        except ParseError:
            continue
        last.content = last.content[: match.start()]
        for key, value in attrs.items():
            token.attrSet(key, value)


def safe_attrs(state: StateCore) -> None:
    """Drop attribute names that are not well-formed XML or that run script (``on*``)."""
    for token in _all_tokens(state.tokens):
        if not token.attrs:
            continue
        for key in list(token.attrs):
            name = str(key)
            if not SAFE_ATTR.match(name) or name.lower().startswith(("on", "xmlns")):
                del token.attrs[key]
                if name.lower().startswith("on"):
                    _problem(state.env, token, "html.script", f"removed the script attribute '{name}'")


def inline_lines(state: StateCore) -> None:
    """Give each inline child the source line it sits on, counting the breaks before it."""
    for token in state.tokens:
        if token.type != "inline" or not token.map or not token.children:
            continue
        line = token.map[0]
        for child in token.children:
            child.meta["line"] = line
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type in LINE_SPANNING:
                line += child.content.count("\n")


def figures(state: StateCore) -> None:
    """A paragraph whose only content is an image is a figure. Its caption is the image's title,
    or else its alt text (pandoc's and Quarto's rule); ``{#fig-name}`` on the image names the
    figure, and ``fig-alt="…"`` gives the image an alt text of its own."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        opening, inline, closing = tokens[i], tokens[i + 1], tokens[i + 2]
        if opening.type != "paragraph_open" or closing.type != "paragraph_close" or opening.hidden:
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        if len(children) == 1 and children[0].type == "image":
            image = children[0]
            image.meta["figure"] = True
            opening.meta["figure"] = image
            closing.meta["figure"] = image
            closing.meta["caption"] = image.attrGet("title")
            ident = image.attrs.pop("id", None)
            if ident is not None:
                opening.meta["id"] = ident
            if opening.map:
                opening.meta["line"] = state.env.get("first_line", 1) + opening.map[0]


def table_headers(state: StateCore) -> None:
    """Header rows as screen readers (and Ace) want them. Markdown cannot write a table without a
    header row, so an empty one stands for none and is left out; an empty cell of a header row
    (a corner above row labels) is a data cell, not a header a reader would announce as blank."""
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        if tokens[i].type != "thead_open":
            i += 1
            continue
        close = next(j for j in range(i, len(tokens)) if tokens[j].type == "thead_close")
        if not any(t.content.strip() for t in tokens[i:close] if t.type == "inline"):
            del tokens[i:close + 1]
            continue
        for j in range(i, close - 2):
            if tokens[j].type == "th_open" and tokens[j + 1].type == "inline" and not tokens[j + 1].content.strip():
                tokens[j].type, tokens[j].tag = "td_open", "td"
                tokens[j + 2].type, tokens[j + 2].tag = "td_close", "td"
        i = close + 1


def _all_tokens(tokens: Sequence[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_all_tokens(token.children))
    return found


def _problem(env: MutableMapping[str, Any], token: Token, code: str, message: str) -> None:
    line = token.meta.get("line", token.map[0] if token.map else 0)
    env["problems"].append((code, message, env["first_line"] + line))


# Render rules: the ebook markup.

Rule = Any


def render_link_open(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    token.attrSet("data-line", str(env["first_line"] + token.meta.get("line", 0)))
    return str(self.renderToken(tokens, idx, options, env))


def render_image(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    alt = token.attrs.pop("fig-alt", "")  # Quarto's alt text for a figure whose alt text is its caption
    token.attrs["alt"] = alt or self.renderInlineAsText(token.children or [], options, env)
    token.attrSet("data-line", str(env["first_line"] + token.meta.get("line", 0)))
    if "figure" in token.meta:
        token.attrs.pop("title", None)
    return str(self.renderToken(tokens, idx, options, env))


def render_paragraph_open(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    image = tokens[idx].meta.get("figure")
    if image is None:
        return str(self.renderToken(tokens, idx, options, env))
    ident, line = tokens[idx].meta.get("id"), tokens[idx].meta.get("line")
    attributes = (f' id="{escapeHtml(str(ident))}"' if ident else "") + (f' data-line="{line}"' if line else "")
    return f"<figure{attributes}>\n"


def render_paragraph_close(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    image = tokens[idx].meta.get("figure")
    if image is None:
        return str(self.renderToken(tokens, idx, options, env))
    title = tokens[idx].meta.get("caption")
    text = escapeHtml(str(title)) if title else self.renderInline(image.children or [], options, env).strip()
    caption = f"\n<figcaption>{text}</figcaption>" if text else ""
    return f"{caption}\n</figure>\n"


def _note_label(token: Token) -> str:
    label = token.meta.get("label")
    return slugify(str(label), "") or str(token.meta["id"] + 1) if label is not None else str(token.meta["id"] + 1)


def render_footnote_ref(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    label = _note_label(token)
    number = token.meta["id"] + 1
    ref_id = f"noteref-{label}" + (f"-{token.meta['subId'] + 1}" if token.meta.get("subId", 0) else "")
    # A word joiner keeps the call on the word's line yet apart from it in extracted text ("Scott 40").
    return (f'\u2060<sup class="noteref"><a href="#note-{label}" id="{ref_id}" epub:type="noteref" '
            f'role="doc-noteref">{number}</a></sup>')


def render_footnote_block_open(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    label = escapeHtml(env["words"].label("notes") if "words" in env else "Notes")
    return f'<section class="footnotes" epub:type="footnotes" role="doc-endnotes" aria-label="{label}">\n'


def render_footnote_block_close(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    return "</section>\n"


def render_footnote_open(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    label = _note_label(token)
    env["note"] = (label, token.meta["id"] + 1)
    return f'<aside id="note-{label}" class="footnote" epub:type="footnote" role="doc-footnote">\n'


def render_footnote_close(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    env.pop("note", None)
    return "</aside>\n"


def render_footnote_anchor(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    """The way back to the call: the note's number, placed at the start of its first paragraph."""
    return ""


def render_note_paragraph(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    html = render_paragraph_open(self, tokens, idx, options, env)
    note = env.pop("note", None)
    if note is None:
        return html
    label, number = note
    return (f'{html}<a class="note-number" href="#noteref-{label}" role="doc-backlink" '
            f'title="{escapeHtml(env["words"].label("back-to-text") if "words" in env else "Back to the text")}">'
            f'{number}.</a> ')


SUSPECT = re.compile(r"(?i)<\s*(script|style|iframe|object|embed|applet|frame|base|meta|link|form|input|"
                     r"button|select|textarea|template|noscript)\b|\son\w+\s*=|javascript:|vbscript:|data:text")


START_TAG = re.compile(r"^(\s*<[A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")


def render_html(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    """Raw HTML passes through to the sanitizer; pieces that look unsafe are noted with their line."""
    token = tokens[idx]
    env["raw_html"] = True
    if token.type == "html_block":
        line = token.map[0] if token.map else 0
        env.setdefault("raw_blocks", []).append((env["first_line"] + line, token.content))
    line = env["first_line"] + token.meta.get("line", token.map[0] if token.map else 0)
    if SUSPECT.search(token.content):
        env.setdefault("raw_suspects", []).append((line, token.content))
    return START_TAG.sub(rf'\1 data-line="{line}"', token.content, count=1)


RENDER_RULES: dict[str, Rule] = {
    "link_open": render_link_open,
    "image": render_image,
    "paragraph_open": render_note_paragraph,
    "paragraph_close": render_paragraph_close,
    "footnote_ref": render_footnote_ref,
    "footnote_block_open": render_footnote_block_open,
    "footnote_block_close": render_footnote_block_close,
    "footnote_open": render_footnote_open,
    "footnote_close": render_footnote_close,
    "footnote_anchor": render_footnote_anchor,
    "html_block": render_html,
    "html_inline": render_html,
}

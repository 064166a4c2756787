"""Code blocks: the fence's info string read as authors of mdBook, pandoc, Quarto and MyST write
it, and the code highlighted at build time with Pygments, so no output needs JavaScript.

The language is the first word (```` ```rust,ignore ````, ```` ```{.python .numberLines} ````,
```` ```{r} ````, MyST's ```` ```{code-block} python ````); the rest are attributes: classes
(``ignore``, ``no_run``…), an id, a title that becomes the caption of a listing figure, line
numbers. A block comes out as ``<pre class="highlight">`` with one ``span.line`` a line and
Pygments' token classes inside; octavo.codestyle gives the classes their colours. A language
Pygments does not know is plain text, with a notice.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import pygments
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

from octavo.paths import slugify

ENGINE = f"pygments {pygments.__version__}"  # part of the render cache's key: another version, other tokens
# Names authors use for "no highlighting", and names Pygments spells otherwise.
PLAIN = frozenset({"", "text", "txt", "plain", "plaintext", "none", "nohighlight", "no-highlight", "output",
                   "raw", "default"})
ALIASES = {"hbs": "handlebars", "rs": "rust", "py3": "python", "jsonc": "json", "shell-session": "console",
           "sh-session": "console", "golang": "go", "c++": "cpp"}
# MyST directives whose argument is the language: ```{code-block} python
MYST_CODE = frozenset({"code-block", "code", "sourcecode", "code-cell"})
CAPTION_KEYS = ("lst-cap", "caption", "title", "filename")  # the first one given is the caption
ID_KEYS = ("id", "lst-label", "name", "label")  # Quarto's label names a cell's output: taken only if lst-
NUMBER_KEYS = frozenset({"numberlines", "number-lines", "linenos", "linenums", "line-numbers", "code-line-numbers",
                         "linenumbers", "numbered"})
START_KEYS = ("startfrom", "start-from", "lineno-start", "linenostart", "start-line", "firstnumber")
TRUE = frozenset({"", "true", "yes", "on", "1", "table", "inline"})
CLASS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# One piece of an info string: key=value (value quoted or bare), or a word (.class, #id, bare).
PIECE = re.compile(r"""([^\s,{}="']+)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,{}]*)|([^\s,{}="']+)""")
# Options at the top of a block: Quarto's cell options (#| key: value), MyST's (:key: value).
QUARTO_OPTION = re.compile(r"^\s*(?:#|//|--)\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
MYST_OPTION = re.compile(r"^:([\w-]+):\s*(.*?)\s*$")
# mdBook hides lines of Rust code starting with "#" (but not "#!" or "#["); "##" shows as "#".
RUST_HIDDEN = re.compile(r"^(\s*)#(.?)")


@dataclass(frozen=True)
class Fence:
    """What a fence's info string (and block attributes) ask for."""

    language: str = ""  # as written, lower-case; "" for none
    classes: tuple[str, ...] = ()
    id: str = ""
    caption: str = ""
    numbered: bool = False
    start: int = 1
    hide: str | None = None  # lines starting with this prefix are hidden ("#" in Rust, mdBook's rule)
    options: str = ""  # "quarto" or "myst": option lines at the top of the code are read, then dropped
    attrs: dict[str, str] = field(default_factory=dict)


def parse_info(info: str, block_attrs: Mapping[str, Any] | None = None) -> Fence:
    """The language and attributes of a fence, from its info string and any ``{…}`` line above it."""
    text = info.strip()
    language, options, pieces = "", "", []
    if text.startswith("{"):
        inner, _, rest = text[1:].partition("}")
        pieces = _pieces(inner)
        first = pieces[0] if pieces else ("", None)
        if first[1] is None and not first[0].startswith((".", "#")):
            pieces = pieces[1:]
            if first[0].lower() in MYST_CODE:
                options = "myst"
                rest_pieces = _pieces(rest)
                language = rest_pieces[0][0] if rest_pieces and rest_pieces[0][1] is None else ""
                pieces += rest_pieces[1:] if language else rest_pieces
            else:
                language, options = first[0], "quarto"
                pieces += _pieces(rest)
        else:
            pieces += _pieces(rest)
            language = next((word[1:] for word, value in pieces if value is None and word.startswith(".")
                             and word[1:].lower() not in NUMBER_KEYS), "")
            pieces = [p for p in pieces if p != ("." + language, None)]
    else:
        pieces = _pieces(text)
        if pieces and pieces[0][1] is None and not pieces[0][0].startswith("#"):
            language = pieces.pop(0)[0].removeprefix(".")
    attrs = {key.lower(): value for key, value in pieces if value is not None}
    for key, value in (block_attrs or {}).items():
        if key != "class":
            attrs[str(key).lower()] = str(value)
    words = [word for word, value in pieces if value is None]
    words += [f".{name}" for name in str((block_attrs or {}).get("class", "")).split()]
    return _fence(language.lower(), words, attrs, options)


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """``rust,ignore`` → [("rust", None), ("ignore", None)]; ``title="a b"`` → [("title", "a b")]."""
    found: list[tuple[str, str | None]] = []
    for match in PIECE.finditer(text):
        if match.group(3) is not None:
            found.append((match.group(3), None))
        else:
            found.append((match.group(1), _unquote(match.group(2))))
    return found


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
        return re.sub(r"\\(.)", r"\1", value) if value and "\\" in value else value
    return value


def _fence(language: str, words: list[str], attrs: dict[str, str], options: str) -> Fence:
    classes: list[str] = []
    ident = ""
    numbered = any(attrs.get(key, "no").lower() in TRUE for key in NUMBER_KEYS)
    for word in words:
        name = word[1:] if word.startswith((".", "#")) else word
        if word.startswith("#"):
            ident = ident or name
        elif name.lower() in NUMBER_KEYS:
            numbered = True
        elif CLASS.match(name) and name not in classes:
            classes.append(name)
    classes += [c for c in attrs.get("class", "").split() if CLASS.match(c) and c not in classes]
    caption = next((attrs[key] for key in CAPTION_KEYS if attrs.get(key)), "")
    ident = next((attrs[key] for key in ID_KEYS if attrs.get(key) and (key != "label" or attrs[key].startswith(
        ("lst-", "lst:")))), ident)
    numbered = numbered or "lineno-start" in attrs
    hide = attrs.get("hidelines") or ("#" if language == "rust" else None)
    return Fence(language=language, classes=tuple(classes), id=_clean_id(ident), caption=caption, numbered=numbered,
                 start=_start(attrs), hide=hide, options=options, attrs=attrs)


def _start(attrs: Mapping[str, str]) -> int:
    for key in START_KEYS:
        value = attrs.get(key, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return 1


def _clean_id(ident: str) -> str:
    """An id as XHTML takes it; pandoc-crossref's ``lst:name`` is spelled ``lst-name`` as Quarto does."""
    if not ident:
        return ""
    if ident.startswith("lst:"):
        ident = "lst-" + ident[4:]
    return ident if ID.match(ident) else slugify(ident, "listing")


def with_options(fence: Fence, code: str) -> tuple[Fence, str]:
    """Quarto's ``#| key: value`` lines atop a ``{python}`` cell, or MyST's ``:key: value`` atop
    a ``{code-block}``: read as attributes and removed from the code, as those tools do."""
    if not fence.options:
        return fence, code
    pattern = QUARTO_OPTION if fence.options == "quarto" else MYST_OPTION
    lines = code.split("\n")
    taken = 0
    attrs = dict(fence.attrs)
    while taken < len(lines) and (match := pattern.match(lines[taken])):
        attrs.setdefault(match.group(1).lower(), _unquote(match.group(2)))
        taken += 1
    if not taken:
        return fence, code
    if fence.options == "myst" and taken < len(lines) and not lines[taken].strip():
        taken += 1  # the blank line that ends MyST's options
    words = [f".{c}" for c in fence.classes] + ([f"#{fence.id}"] if fence.id else [])
    words += ["numbered"] if fence.numbered else []
    if attrs.get("code-line-numbers", "").lower() == "false":
        words = [w for w in words if w != "numbered"]
    return _fence(fence.language, words, attrs, ""), "\n".join(lines[taken:])


def hidden_lines(code: str, prefix: str | None, rust: bool) -> tuple[str, frozenset[int]]:
    """mdBook's hidden lines: in Rust a line whose first non-blank is ``#`` (not ``#!``, ``#[``;
    ``##`` shows one ``#``), elsewhere a line starting with the ``hidelines`` prefix. Returns the
    code with the marks taken off (as mdBook shows a hidden line once revealed) and which lines
    are hidden: the web edition hides them behind a toggle, EPUB and PDF leave them out."""
    if not prefix:
        return code, frozenset()
    lines: list[str] = []
    hidden: set[int] = set()
    for number, line in enumerate(code.split("\n")):
        if rust and prefix == "#":
            match = RUST_HIDDEN.match(line)
            if match and match.group(2) == "#":
                line = match.group(1) + line[match.end() - 1:]
            elif match and match.group(2) not in ("!", "["):
                hidden.add(number)
                rest = line[match.end() - len(match.group(2)):]
                line = match.group(1) + (rest[1:] if rest.startswith(" ") else rest)
        elif line.lstrip().startswith(prefix):
            hidden.add(number)
            line = line[:len(line) - len(line.lstrip())] + line.lstrip()[len(prefix):]
        lines.append(line)
    return "\n".join(lines), frozenset(hidden)


HIDDEN_LINE = re.compile(r'<span class="line boring">[^\n]*\n</span>')


def without_hidden(html: str) -> str:
    """A chapter's XHTML without the hidden lines of its code (``span.line.boring``: one line each,
    its line break last), for the outputs that have no toggle to show them: EPUB and PDF."""
    return HIDDEN_LINE.sub("", html) if 'class="line boring"' in html else html


# Lexing.


def canonical(language: str) -> str:
    return ALIASES.get(language, language)


@lru_cache(maxsize=512)
def lexer_for(language: str) -> Lexer | None:
    """Pygments' lexer for a language name, made once per process; None for plain text and for a
    name Pygments does not know."""
    name = canonical(language)
    if name in PLAIN:
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


# A fence's first word, as lexer_ahead reads it from a chapter's text: ```rust, ~~~ {.python
FENCE_WORD = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*\{?[ \t]*\.?([A-Za-z][\w+#.-]*)", re.MULTILINE)


def lexers_ahead(texts: Iterable[str]) -> None:
    """Make the lexers these texts' code blocks will want now: Pygments compiles a lexer's rules on
    its first use (some 40 ms a language), and workers forked after this inherit them instead of
    each compiling its own."""
    for word in sorted({match.group(1).lower() for text in texts for match in FENCE_WORD.finditer(text)}):
        known(word)


def known(language: str) -> bool:
    return canonical(language) in PLAIN or lexer_for(language) is not None


@lru_cache(maxsize=1)
def _all_names() -> tuple[str, ...]:
    return tuple(sorted({alias for _, aliases, _, _ in get_all_lexers() for alias in aliases} | set(ALIASES)))


def suggestion(language: str) -> str | None:
    close = difflib.get_close_matches(language, _all_names(), n=1, cutoff=0.75)
    return close[0] if close else None


@cache
def token_class(ttype: _TokenType) -> str:
    """Pygments' short class for a token type (``k`` for Keyword), or that of its nearest standard
    ancestor; "" for plain text and whitespace, which need no span."""
    found: _TokenType | None = ttype
    while found is not None and found not in STANDARD_TYPES:
        found = found.parent
    name = STANDARD_TYPES[found] if found is not None else ""
    return "" if name == "w" else name


def _runs(tokens: Iterable[tuple[_TokenType, str]]) -> Iterator[tuple[str, str]]:
    """Tokens as (class, text), neighbours of one class joined: fewer spans, the same look."""
    current = ""
    parts: list[str] = []
    for ttype, value in tokens:
        name = token_class(ttype)
        if name != current and parts:
            yield current, "".join(parts)
            parts = []
        current = name
        parts.append(value)
    if parts:
        yield current, "".join(parts)


# Control characters XML cannot hold (an ESC of terminal colours, a form feed) are shown as their
# Unicode pictures: "␛[31m" is what the code holds, and lxml would refuse the raw character.
CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def lines_html(code: str, language: str) -> list[str]:
    """The code's lines as highlighted XHTML, without their line breaks."""
    lexer = lexer_for(language)
    runs: Iterable[tuple[str, str]] = _runs(lexer.get_tokens(code)) if lexer is not None else (("", code),)
    lines: list[str] = []
    current: list[str] = []
    for name, value in runs:
        for number, part in enumerate(value.split("\n")):
            if number:
                lines.append("".join(current))
                current = []
            if part:
                current.append(f'<span class="{name}">{_escape(part)}</span>' if name else _escape(part))
    if current:
        lines.append("".join(current))
    return lines


# Markup.


def block_html(code: str, fence: Fence, line: int | None = None) -> str:
    """The XHTML of one code block: ``pre.highlight``, in a listing figure when it has a caption
    or an ``lst-`` id."""
    code, hidden = hidden_lines(code, fence.hide, fence.language == "rust")
    code = code.translate(CONTROL_PICTURES)
    lines = lines_html(code, fence.language) if code else []
    classes = ["highlight", *fence.classes]
    numbers: list[str] = [""] * len(lines)
    shown = len(lines) - len(hidden)
    if fence.numbered and shown:
        last = fence.start + shown - 1
        width = min(max(len(str(last)), len(str(fence.start)), 2), 5)
        classes += ["numbered", f"ln-{width}"]
        visible = [i for i in range(len(lines)) if i not in hidden]
        for n, i in enumerate(visible):
            numbers[i] = f'<span class="ln" aria-hidden="true">{fence.start + n}</span>'
    body = "".join(f'<span class="line{" boring" if i in hidden else ""}">{number}{html}\n</span>'
                   for i, (number, html) in enumerate(zip(numbers, lines, strict=True)))
    language = slugify(fence.language, "") if fence.language else ""
    code_class = f' class="language-{language}"' if language else ""
    at = f' data-line="{line}"' if line is not None else ""
    figure = bool(fence.caption) or fence.id.startswith("lst-")
    pre_id = f' id="{fence.id}"' if fence.id and not figure else ""
    pre = f'<pre class="{" ".join(classes)}"{pre_id}{"" if figure else at}><code{code_class}>{body}</code></pre>\n'
    if not figure:
        return pre
    ident = f' id="{fence.id}"' if fence.id else ""
    caption = f"<figcaption>{_escape(fence.caption.translate(CONTROL_PICTURES))}</figcaption>\n" \
        if fence.caption else ""
    return f'<figure class="listing"{ident}{at}>\n{caption}{pre}</figure>\n'


def render_code(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """markdown-it's render rule for fenced and indented code."""
    token = tokens[idx]
    fence = parse_info(token.info if token.type == "fence" else "", token.attrs)
    fence, code = with_options(fence, token.content)
    line = env.get("first_line", 1) + token.map[0] if token.map else None
    if fence.language and not known(fence.language):
        _notice_language(env, fence.language, line)
    return block_html(code, fence, line)


def _notice_language(env: Any, language: str, line: int | None) -> None:
    """One notice for each unknown language of a chapter, at its first block."""
    seen = env.setdefault("code_languages", set())
    if language in seen:
        return
    seen.add(language)
    close = suggestion(language)
    hint = f"did you mean '{close}'?" if close else "name a language Pygments knows, or 'text' for none"
    env.setdefault("notices", []).append(
        ("code.language", f"no highlighting for the unknown language '{language}': shown as plain text", line, hint))


RAW = re.compile(r"^\{=([\w-]+)\}$")  # pandoc's raw blocks: ```{=html}
HTML_FORMATS = frozenset({"html", "html4", "html5", "xhtml", "epub", "epub2", "epub3"})


def raw_blocks(state: StateCore) -> None:
    """pandoc's raw blocks: ```` ```{=html} ```` is raw HTML (checked like any other, by the
    HTML rules), a block for another format (``{=latex}``, ``{=openxml}``) is left out, with a
    warning (pandoc leaves it out of HTML and EPUB silently; the author may expect it in print)."""
    kept: list[Token] = []
    for token in state.tokens:
        match = RAW.match(token.info.strip()) if token.type == "fence" else None
        if match is None:
            kept.append(token)
        elif match.group(1).lower() in HTML_FORMATS:
            token.type = "html_block"
            kept.append(token)
        else:
            line = state.env.get("first_line", 1) + token.map[0] if token.map else None
            state.env["problems"].append(
                ("code.raw", f"left out a raw '{match.group(1)}' block: only raw HTML reaches the book (write "
                 "its content in Markdown or HTML, or drop the block)", line))
    state.tokens = kept


def code_plugin(md: MarkdownIt) -> None:
    """Fenced and indented code rendered by :func:`render_code`; pandoc's raw blocks first."""
    md.core.ruler.after("block", "octavo_raw_blocks", raw_blocks)
    md.add_render_rule("fence", render_code)
    md.add_render_rule("code_block", render_code)

"""The colours of highlighted code: octavo's two Pygments styles, the pair ``[style] code-theme``
chooses, and the style sheet each output gets for it.

Chapters carry only Pygments' short token classes (``k``, ``s2``, ``c1``…); the colours live in
this generated sheet, so choosing another theme re-renders no chapter. Every rule is a plain
colour, never a custom property: Calibre and older reading systems drop ``var()``. The web
edition also gets the dark variant, for a reader whose system prefers dark and for a page
marked ``data-theme="dark"``.

octavo's own styles are made for paper and e-ink: every token colour has a contrast of at
least 7:1 with the shaded block (WCAG AAA; contrast is computed from luminance, so it is the
same once an e-reader turns the colours to grey), and keywords are bold and comments italic,
so the structure survives where colours are all one grey.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import (
    STANDARD_TYPES,
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Token,
    _TokenType,
)
from pygments.util import ClassNotFound

SCOPE = ".highlight"
HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


# Each token's look: a weight or slant (kept in grey) and a role, whose colour each palette gives.
LOOKS: dict[_TokenType, tuple[str, str]] = {
    Token: ("", "text"),
    Comment: ("italic", "comment"),
    Comment.Preproc: ("noitalic", "preproc"),
    Comment.PreprocFile: ("noitalic", "string"),
    Keyword: ("bold", "keyword"),
    Keyword.Type: ("nobold", "type"),
    Operator.Word: ("bold", "keyword"),
    Name.Builtin: ("", "type"),
    Name.Builtin.Pseudo: ("", "keyword"),
    Name.Function: ("", "function"),
    Name.Class: ("bold", "function"),
    Name.Namespace: ("", "function"),
    Name.Exception: ("bold", "keyword"),
    Name.Decorator: ("", "preproc"),
    Name.Variable: ("", "variable"),
    Name.Constant: ("", "number"),
    Name.Attribute: ("", "preproc"),
    Name.Tag: ("bold", "function"),
    Name.Label: ("", "preproc"),
    Name.Entity: ("", "number"),
    String: ("", "string"),
    String.Doc: ("italic", ""),
    String.Escape: ("bold", "number"),
    String.Interpol: ("", "number"),
    String.Regex: ("", "preproc"),
    Number: ("", "number"),
    Generic.Heading: ("bold", ""),
    Generic.Subheading: ("bold", ""),
    Generic.Deleted: ("", "error"),
    Generic.Inserted: ("", "string"),
    Generic.Error: ("", "error"),
    Generic.Emph: ("italic", ""),
    Generic.Strong: ("bold", ""),
    Generic.EmphStrong: ("bold italic", ""),
    Generic.Prompt: ("bold", ""),
    Generic.Output: ("", "output"),
    Generic.Traceback: ("", "error"),
    Error: ("", "error"),
}
LIGHT = {"text": "#1f1f1f", "comment": "#4a554a", "preproc": "#6e4a00", "keyword": "#8b1a56", "type": "#005a70",
         "function": "#1b4b9c", "variable": "#4b2a7a", "number": "#8a3b00", "string": "#1a5e14", "error": "#a0001a",
         "output": "#4e4e4e"}
DARK = {"text": "#e6e3dc", "comment": "#b3b9b3", "preproc": "#e6c97a", "keyword": "#f2a6cf", "type": "#7fd4e6",
        "function": "#9cc2ff", "variable": "#d2b8ff", "number": "#f5b884", "string": "#a8dc9a", "error": "#ff9aa2",
        "output": "#c4c1ba"}


def _styles(palette: dict[str, str]) -> dict[_TokenType, str]:
    """Pygments' style strings ("bold #8b1a56") for the looks in ``palette``'s colours."""
    return {token: " ".join(part for part in (look, palette.get(role, "")) if part)
            for token, (look, role) in LOOKS.items()}


class OctavoStyle(Style):
    """Light, for print, e-ink and the web's light mode: dark inks on a faint grey."""

    name = "octavo"
    background_color = "#f6f6f3"
    line_number_color = "#5c5c5c"
    styles: ClassVar[dict[_TokenType, str]] = _styles(LIGHT)


class OctavoDarkStyle(Style):
    """Dark, for the web edition's dark mode: the same looks in light inks on near black."""

    name = "octavo-dark"
    background_color = "#1c1f24"
    line_number_color = "#a3a6ab"
    styles: ClassVar[dict[_TokenType, str]] = _styles(DARK)


OWN: dict[str, type[Style]] = {"octavo": OctavoStyle, "octavo-dark": OctavoDarkStyle}


def style(name: str) -> type[Style]:
    """The Pygments style of that name (config has checked that it exists)."""
    return OWN[name] if name in OWN else get_style_by_name(name)


def dark_of(light: str, dark: str = "") -> str:
    """The web edition's dark theme: the one named, else the light theme's ``-dark`` sibling
    (``solarized-light`` → ``solarized-dark``), else the light theme itself when it is dark
    already, else octavo's."""
    if dark:
        return dark
    if light == "octavo":
        return "octavo-dark"
    if light.endswith("-light"):
        sibling = light.removesuffix("-light") + "-dark"
        try:
            style(sibling)
            return sibling
        except ClassNotFound:
            pass
    if luminance(_hex(style(light).background_color) or "#ffffff") < 0.2:
        return light
    return "octavo-dark"


@lru_cache(maxsize=16)
def sheet(light: str, dark: str | None = None, marks: bool = False) -> str:
    """The code sheet: ``light`` for every output; with ``dark``, the web's dark variant too;
    with ``marks``, the arrow that marks the continuation of a wrapped line (print and web)."""
    names = f"'{light}'" + (f" and, in dark mode, '{dark}'" if dark else "")
    rules = _rules(style(light), None, marks)
    if dark is None:
        return f"/* Highlighted code, generated by octavo from the Pygments style {names}. */\n{rules}"
    dark_rules = _rules(style(dark), style(light), marks)
    return (f"/* Highlighted code, generated by octavo from the Pygments styles {names}. */\n{rules}"
            "@media (prefers-color-scheme: dark) {\n" + _prefixed(dark_rules, ':root:not([data-theme="light"]) ')
            + "}\n" + _prefixed(dark_rules, '[data-theme="dark"] '))


def _prefixed(rules: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" if line.startswith(SCOPE) else line + "\n" for line in rules.splitlines())


def _mark(colour: str) -> str:
    """A data: URL of the continuation arrow, 1.2em x 1.4em (one line), drawn in ``colour``."""
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 12 14'><path d='M3 2v6h6M7 5.5 9.5 8 7 10.5' "
           f"fill='none' stroke='{colour}' stroke-width='1.2'/></svg>")
    encoded = svg.replace("%", "%25").replace("#", "%23").replace("<", "%3C").replace(">", "%3E")
    return f'url("data:image/svg+xml,{encoded}")'


Declarations = dict[str, str]


def _rules(chosen: type[Style], under: type[Style] | None, marks: bool) -> str:
    """One rule per token class whose look differs from the block's text. ``under`` is the style
    these rules override (the light one, for the dark variant): a property it set is set again
    here, to this style's value, so nothing of the light look shows through."""
    base = _declarations(chosen, Token)
    background = _hex(chosen.background_color) or "#ffffff"
    text = base.get("color", "#000000")
    numbers = _hex(chosen.line_number_color) or _mix(text, background, 0.6)
    border = _mix(text, background, 0.2)
    lines = [f"{SCOPE} {{ color: {text}; background-color: {background}; border-color: {border}; }}",
             f"{SCOPE} .ln {{ color: {numbers}; }}"]
    if marks:
        lines.append(f"{SCOPE} .line::after {{ background: {_mark(numbers)} repeat-y 0 0 / 1.2em 1.4em; }}")
    defaults = {"color": text, "font-weight": "normal", "font-style": "normal", "text-decoration": "none",
                "background-color": "transparent"}
    under_base = _declarations(under, Token) if under is not None else {}
    for ttype, name in _classes():
        own = _declarations(chosen, ttype)
        wanted = _own_look(chosen, ttype, base)
        if under is not None:
            theirs = _declarations(under, ttype)
            for key, value in theirs.items():
                if value != under_base.get(key):
                    wanted.setdefault(key, own.get(key, defaults[key]))
        if wanted:
            body = "; ".join(f"{key}: {value}" for key, value in sorted(wanted.items()))
            lines.append(f"{SCOPE} .{name} {{ {body}; }}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=4)
def plain_classes(name: str) -> frozenset[str]:
    """The token classes the theme gives no look of their own: they look like the block's text."""
    chosen = style(name)
    base = _declarations(chosen, Token)
    return frozenset(name for ttype, name in _classes() if not _own_look(chosen, ttype, base))


@lru_cache(maxsize=1)
def _classes() -> tuple[tuple[_TokenType, str], ...]:
    """Pygments' standard token types with a class of their own, in a fixed order."""
    return tuple(sorted(((t, c) for t, c in STANDARD_TYPES.items() if c and c != "w"), key=lambda tc: tc[1]))


def _own_look(chosen: type[Style], ttype: _TokenType, base: Declarations) -> Declarations:
    """What the token's look adds to the block's text (``base``)."""
    return {key: value for key, value in _declarations(chosen, ttype).items() if value != base.get(key)}


def _declarations(chosen: type[Style], ttype: _TokenType) -> Declarations:
    found = chosen.style_for_token(ttype)
    result: Declarations = {"color": _hex(found["color"]) or ""}
    if found["bold"]:
        result["font-weight"] = "bold"
    if found["italic"]:
        result["font-style"] = "italic"
    if found["underline"]:
        result["text-decoration"] = "underline"
    if found["bgcolor"] and _hex(found["bgcolor"]):
        result["background-color"] = _hex(found["bgcolor"]) or ""
    if not result["color"]:
        del result["color"]
    return result


def _hex(value: str | None) -> str | None:
    """``#rrggbb`` for a Pygments colour (``"f8f8f8"``, ``"#fff"``); None for none or a name."""
    match = HEX.match(value or "")
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.lower()


def _rgb(colour: str) -> tuple[float, float, float]:
    digits = colour.lstrip("#")
    return int(digits[0:2], 16) / 255, int(digits[2:4], 16) / 255, int(digits[4:6], 16) / 255


def _mix(a: str, b: str, share: float) -> str:
    """``share`` of colour ``a`` over colour ``b``."""
    return "#" + "".join(f"{round(255 * (x * share + y * (1 - share))):02x}" for x, y in zip(_rgb(a), _rgb(b),
                                                                                          strict=True))


def luminance(colour: str) -> float:
    """WCAG relative luminance: what an e-ink screen or a greyscale print keeps of a colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)

"""The EPUB as e-readers read it: style sheets with custom properties and translucent colours
resolved when the book is built, chapter labels kept with their headings, and heading levels
without gaps.

Calibre (behind many Kindle and Kobo workflows), Kindle's own converter and older Kobo and
Adobe engines drop every declaration that holds ``var()``: the book would lose its faces,
colours and line height there. So the sheets are read with tinycss2, every custom property
defined on ``:root`` or ``html`` (in layer order, a later sheet winning, as in a browser) is
substituted into the declarations that use it, with ``var()``'s fallback when it is not defined,
and the definitions themselves are left out. A declaration whose value cannot be resolved is left
out too, which is what a browser does with it. ``rgba()`` and ``rgb()`` with an alpha become the
opaque colour they make on a white page (Kindle's KF8 drops alpha colours), so a callout keeps
its tint. A property defined on another selector (a scoped override) cannot be resolved without
the document, so its global value is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import tinycss2
from tinycss2 import ast

ROOTS = (":root", "html")
Tokens = list[ast.Node]


def for_ereaders(sheets: Iterable[str]) -> list[str]:
    """Each sheet's text with ``var()`` and translucent colours resolved across all of them."""
    parsed = [tinycss2.parse_stylesheet(text, skip_comments=True) for text in sheets]
    defined: dict[str, Tokens] = {}
    for rules in parsed:
        defined.update(_definitions(rules))
    return [_serialize(rules, defined) for rules in parsed]


def _definitions(rules: Iterable[ast.Node]) -> dict[str, Tokens]:
    found: dict[str, Tokens] = {}
    for rule in rules:
        if isinstance(rule, ast.QualifiedRule) and tinycss2.serialize(rule.prelude).strip() in ROOTS:
            for item in _declarations(rule.content):
                if isinstance(item, ast.Declaration) and item.name.startswith("--"):
                    found[item.name] = list(item.value)
    return found


def _declarations(content: list[ast.Node] | None) -> list[ast.Node]:
    return list(tinycss2.parse_blocks_contents(content or [], skip_comments=True, skip_whitespace=True))


def _serialize(rules: Iterable[ast.Node], defined: Mapping[str, Tokens]) -> str:
    out: list[str] = []
    for rule in rules:
        if isinstance(rule, ast.WhitespaceToken):
            continue
        if isinstance(rule, ast.QualifiedRule):
            body = _block(rule.content, defined)
            if body:
                out.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {body} }}")
        elif isinstance(rule, ast.AtRule) and rule.content is not None and rule.lower_at_keyword in (
                "media", "supports"):
            inner = _serialize(tinycss2.parse_rule_list(rule.content, skip_comments=True), defined)
            if inner:
                out.append(f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()} {{\n{inner}}}")
        elif isinstance(rule, ast.AtRule) and rule.content is not None:  # @font-face, @page
            body = _block(rule.content, defined)
            if body:
                out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude).rstrip()} {{ {body} }}")
        else:
            out.append(tinycss2.serialize([rule]).strip())
    return "".join(line + "\n" for line in out)


def _block(content: list[ast.Node] | None, defined: Mapping[str, Tokens]) -> str:
    kept: list[str] = []
    for item in _declarations(content):
        if isinstance(item, ast.Declaration):
            if item.name.startswith("--"):
                continue
            value = _resolve(list(item.value), defined, ())
            if value is None:
                continue
            text = tinycss2.serialize(_opaque(value)).strip()
            kept.append(f"{item.name}: {text}" + (" !important" if item.important else ""))
        elif isinstance(item, ast.QualifiedRule | ast.AtRule):  # nested rules: kept as written
            kept.append(tinycss2.serialize([item]).strip())
    return "; ".join(kept) + (";" if kept else "")


def _resolve(tokens: Tokens, defined: Mapping[str, Tokens], seen: tuple[str, ...]) -> Tokens | None:
    """``tokens`` with each ``var()`` replaced; None when one has neither a value nor a fallback
    (or refers to itself)."""
    result: Tokens = []
    for token in tokens:
        if isinstance(token, ast.FunctionBlock) and token.lower_name == "var":
            replaced = _variable(token, defined, seen)
            if replaced is None:
                return None
            result += replaced
        elif isinstance(token, ast.FunctionBlock):
            arguments = _resolve(list(token.arguments), defined, seen)
            if arguments is None:
                return None
            result.append(ast.FunctionBlock(token.source_line, token.source_column, token.name, arguments))
        else:
            result.append(token)
    return result


def _variable(token: ast.FunctionBlock, defined: Mapping[str, Tokens], seen: tuple[str, ...]) -> Tokens | None:
    arguments = [t for t in token.arguments if not isinstance(t, ast.WhitespaceToken | ast.Comment)]
    if not arguments or not isinstance(arguments[0], ast.IdentToken):
        return None
    name = arguments[0].value
    if name in defined and name not in seen:
        return _resolve(_strip(defined[name]), defined, (*seen, name))
    commas = [i for i, t in enumerate(token.arguments) if isinstance(t, ast.LiteralToken) and t.value == ","]
    if commas:
        return _resolve(_strip(list(token.arguments[commas[0] + 1:])), defined, (*seen, name))
    return None


def _strip(tokens: Tokens) -> Tokens:
    while tokens and isinstance(tokens[0], ast.WhitespaceToken):
        tokens = tokens[1:]
    while tokens and isinstance(tokens[-1], ast.WhitespaceToken):
        tokens = tokens[:-1]
    return tokens


def _opaque(tokens: Tokens) -> Tokens:
    """``rgba(r, g, b, a)`` (and ``rgb`` with an alpha) as the hex colour it gives over white."""
    result: Tokens = []
    for token in tokens:
        if isinstance(token, ast.FunctionBlock) and token.lower_name in ("rgb", "rgba"):
            numbers = [t for t in token.arguments if isinstance(t, ast.NumberToken | ast.PercentageToken)]
            if len(numbers) == 4 and all(isinstance(t, ast.NumberToken) for t in numbers[:3]):
                alpha = numbers[3].value / 100 if isinstance(numbers[3], ast.PercentageToken) else numbers[3].value
                alpha = min(max(alpha, 0.0), 1.0)
                channels = [round(255 - (255 - min(max(n.value, 0), 255)) * alpha) for n in numbers[:3]]
                result.append(ast.HashToken(token.source_line, token.source_column,
                                            "".join(f"{c:02x}" for c in channels), True))
                continue
        result.append(token)
    return result


# A chapter label just before the chapter's heading: <p class="chapter-number …">Chapter 5</p> <h1 …>
LABEL = re.compile(r'<p class="(chapter-number(?: [^"]*)?)"([^>]*)>((?:(?!</p>).)*)</p>\s*<h1([^>]*)>', re.S)


def label_in_heading(page: str) -> str:
    """The chapter label moved into the heading it announces, as a ``span`` the sheet sets on a
    line of its own. Calibre (and the Kindle and Kobo files made with it) starts a new page before
    every ``h1``, which left "Chapter 5" alone on the page before its chapter; inside the heading
    it stays with it, and a screen reader hears "Chapter 5, Technique 2: …" as one heading."""
    return LABEL.sub(r'<h1\4><span class="\1"\2>\3</span> ', page, count=1)


HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>/])")


def close_heading_gaps(page: str) -> str:
    """Headings renumbered so that none goes down more than one level (``h1`` then ``h4`` becomes
    ``h1`` then ``h2``), as screen readers' heading lists and Ace want. The source keeps its levels
    (the mdBook guide goes from ``#`` to ``####``): only the page's tags change, never the text,
    the ids or the contents."""
    stack: list[tuple[int, int]] = []  # (level written, level given) of the headings above
    given = 0

    def renumber(match: re.Match[str]) -> str:
        nonlocal given
        if match.group(1):
            return f"</h{given or match.group(2)}"
        level = int(match.group(2))
        while stack and stack[-1][0] >= level:
            stack.pop()
        given = stack[-1][1] + 1 if stack else level
        stack.append((level, given))
        return f"<h{given}"

    return HEADING_TAG.sub(renumber, page)

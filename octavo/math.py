"""TeX math: parsed as pandoc parses it, written as MathML, typeset as SVG for print.

- Parsing is mdit-py-plugins' work: dollarmath's rules for ``$…$`` and ``$$…$$``, texmath's bracket
  rules for ``\\(…\\)`` and ``\\[…\\]``, amsmath's for a bare ``\\begin{align}…\\end{align}``. They are
  wrapped only where pandoc's rules differ: a digit straight after the closing ``$`` makes it
  text (``$5 and $10``) though one before the opening ``$`` does not, a formula never spans a blank
  line, and ``$$ … $$ {#eq-name}`` gives a display equation an id. Math is a token of its own, so
  emphasis, smart quotes, dashes and escapes never reach inside it.
- Conversion is latex2mathml's, with the fixes that measuring it against pandoc called for
  (``tests/fixtures/formulas.toml``, ``docs/book-format.md``): environments it does not know are
  rewritten into ones it does or refused, and what it would let pass silently (an unknown command,
  a brace left open, a stray ``&``) is an error at the formula's line.
- Print: WeasyPrint has no MathML, so :func:`for_print` puts an SVG drawn by ziamath from the same
  MathML in its place, sized in ``em`` and set on the baseline, with the TeX as its alternative
  text. Typesetting costs some 20 ms a formula (converting, under 1 ms), so it is done only for
  the PDF, and kept in the build's cache, one entry per chapter.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from html import escape
from itertools import pairwise
from typing import Any

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.amsmath import amsmath_block
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.dollarmath.index import math_block_dollar, math_inline_dollar
from mdit_py_plugins.texmath.index import RuleDictType, make_block_func, make_inline_func
from mdit_py_plugins.texmath.index import rules as texmath_rules

from octavo.diagnostics import Diagnostic, error
from octavo.memo import Memo, code_digest, digest

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SVG_NS = "http://www.w3.org/2000/svg"
M = f"{{{MATHML_NS}}}"
MO, MTABLE = f"{M}mo", f"{M}mtable"
INLINE = "math_inline"  # $x$ and \(x\)
DISPLAY_INLINE = "math_inline_double"  # $$x$$ and \[x\] inside a paragraph
BLOCK = "math_block"  # $$x$$ and \[x\] on lines of their own
AMSMATH = "amsmath"  # \begin{align} … \end{align} on lines of their own
Env = dict[str, Any]
Rule = Any

# --- Parsing ---------------------------------------------------------------------------------


def math_plugin(md: MarkdownIt) -> None:
    """Register the math rules and their rendering on a parser."""
    dollar = math_inline_dollar(allow_space=False, allow_digits=True, allow_double=True)
    md.inline.ruler.before("escape", "math_inline", _pandoc_dollar(dollar))
    brackets = texmath_rules["brackets"]
    md.inline.ruler.before("escape", "math_inline_paren", make_inline_func(brackets["inline"][0]))
    display_bracket: RuleDictType = {"name": DISPLAY_INLINE, "rex": re.compile(r"^\\\[(.+?)\\\]", re.DOTALL),
                                     "tmpl": "", "tag": "\\["}
    md.inline.ruler.before("escape", "math_inline_bracket", make_inline_func(display_bracket))
    md.block.ruler.before("fence", "math_block", _closed_by(math_block_dollar(allow_labels=False,
                                                                                allow_blank_lines=False), "$$"))
    md.block.ruler.before("fence", "math_block_bracket", _closed_by(make_block_func(brackets["block"][1]), "\\]"))
    md.block.ruler.before("blockquote", "amsmath", amsmath_block,
                          {"alt": ["paragraph", "reference", "blockquote", "list", "footnote_def"]})
    md.core.ruler.after("inline", "octavo_math", display_paragraphs)
    md.add_render_rule(INLINE, render_inline)
    md.add_render_rule(DISPLAY_INLINE, render_display_inline)
    md.add_render_rule(BLOCK, render_block)
    md.add_render_rule(AMSMATH, render_block)


# mdBook's MathJax delimiters, \\( \\) and \\[ \\], as written in the Markdown (the second backslash
# is Markdown's escape, which mdBook leaves to MathJax to see through).
MATHJAX = ((re.compile(r"\\\\\((.+?)\\\\\)", re.S), INLINE), (re.compile(r"\\\\\[(.+?)\\\\\]", re.S), DISPLAY_INLINE))
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def mathjax_plugin(md: MarkdownIt) -> None:
    """mdBook's math (``[output.html] mathjax-support``): ``\\(…\\)`` inline and ``\\[…\\]`` display,
    and no ``$``, which mdBook leaves as text. The formula is what MathJax would read after
    Markdown: ``\\\\`` in it is one backslash pair, ``\\_`` an underscore."""
    md.inline.ruler.before("escape", "math_mathjax", _mathjax)
    md.core.ruler.after("inline", "octavo_math", display_paragraphs)
    md.add_render_rule(INLINE, render_inline)
    md.add_render_rule(DISPLAY_INLINE, render_display_inline)
    md.add_render_rule(BLOCK, render_block)


def _mathjax(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("\\\\", state.pos):
        return False
    for pattern, kind in MATHJAX:
        found = pattern.match(state.src, state.pos)
        if found and "\n\n" not in found.group(1):
            if not silent:
                token = state.push(kind, "math", 0)
                token.content = MARKDOWN_ESCAPE.sub(r"\1", found.group(1)).strip()
                token.markup = found.group(0)[:3]
            state.pos = found.end()
            return True
    return False


def _pandoc_dollar(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """dollarmath's inline rule with pandoc's digit rule: ``$x$5`` is text, ``5$x$`` is math,
    ``$$x$$5`` is display math."""

    def dollar(state: StateInline, silent: bool) -> bool:
        start = state.pos
        if not rule(state, True):
            return False
        end, state.pos = state.pos, start
        double = state.src.startswith("$$", start)
        if not double and end < state.posMax and state.src[end].isdigit():
            return False
        if silent:
            state.pos = end
            return True
        return rule(state, False)

    return dollar


ATTRS = re.compile(r"\s*(\{[^{}\n]*\})[ \t]*$")


def _closed_by(rule: Callable[[StateBlock, int, int, bool], bool], closing: str
               ) -> Callable[[StateBlock, int, int, bool], bool]:
    """A display-math block rule that also takes attributes after the closing delimiter
    (``$$ … $$ {#eq-name}``), stops at a blank line, and leaves the lines alone when text follows
    the closing delimiter on its line (``\\[x\\] is…`` is a paragraph, with display math in it)."""

    def block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        last = _closing_line(state, start, end, closing)
        if last is None:
            return False
        line_end = state.eMarks[last]
        text = state.src[state.bMarks[last] + state.tShift[last]:line_end]
        attrs = None if text.rstrip().endswith(closing) else ATTRS.search(text)
        if attrs is not None:
            if not text[: attrs.start()].rstrip().endswith(closing):
                return False
            state.eMarks[last] = line_end - len(attrs.group(0))
        elif not text.rstrip().endswith(closing):
            return False
        count = len(state.tokens)
        try:
            found = rule(state, start, last + 1, silent)
        finally:
            state.eMarks[last] = line_end
        if not found or silent:
            return found
        token = state.tokens[-1]
        if len(state.tokens) == count or state.line != last + 1 or closing in token.content:
            # read more or fewer lines than these, or two formulas as one ($$a$$ and $$b$$)
            del state.tokens[count:]
            state.line = start
            return False
        token.type = BLOCK
        token.map = [start, last + 1]
        if attrs is not None:
            token.meta["attrs"] = attrs.group(1)
        return True

    return block


def _closing_line(state: StateBlock, start: int, end: int, closing: str) -> int | None:
    """The line that closes a display formula opened at ``start``: the first, up to a blank line,
    holding ``closing`` (after the opening delimiter on the first line)."""
    for line in range(start, end):
        begin = state.bMarks[line] + state.tShift[line]
        text = state.src[begin:state.eMarks[line]]
        if line > start and not text.strip():
            return None
        if closing in (text[2:] if line == start else text):
            return line
    return None


def display_paragraphs(state: StateCore) -> None:
    """``$$x$$ {#eq-a}`` inside a paragraph: the attributes go to the equation; a paragraph that
    holds nothing but one display formula becomes an equation block, like ``$$`` on its own lines."""
    tokens = state.tokens
    for token in tokens:
        if token.type == "inline" and token.children:
            _take_attributes(token.children)
    for i in range(len(tokens) - 3, -1, -1):
        opening, inline, closing = tokens[i:i + 3]
        if opening.type != "paragraph_open" or closing.type != "paragraph_close" or opening.hidden:
            continue
        parts = [c for c in inline.children or [] if not (c.type in ("text", "softbreak") and not c.content.strip())]
        if len(parts) == 1 and parts[0].type == DISPLAY_INLINE:
            block = Token(BLOCK, "math", 0, content=parts[0].content, block=True, map=opening.map,
                          meta=dict(parts[0].meta))
            tokens[i:i + 3] = [block]


def _take_attributes(children: list[Token]) -> None:
    for math, after in pairwise(children):
        if math.type != DISPLAY_INLINE or after.type != "text":
            continue
        match = re.match(r"[ \t]*(\{[^{}]*\})", after.content)
        if match:
            math.meta["attrs"] = match.group(1)
            after.content = after.content[match.end():]


# --- Rendering --------------------------------------------------------------------------------


def render_inline(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    return _math(token.content, False, env, _line(env, token))


def render_display_inline(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    line = _line(env, token)
    return _equation("span", _math(token.content, True, env, line), token, env, line)


def render_block(self: Rule, tokens: Sequence[Token], idx: int, options: Any, env: Env) -> str:
    token = tokens[idx]
    line = _line(env, token)
    return _equation("div", _math(token.content, True, env, line), token, env, line) + "\n"


def _line(env: Env, token: Token) -> int:
    line = token.meta.get("line", token.map[0] if token.map else 0)
    return int(env.get("first_line", 1)) + int(line)


def _equation(tag: str, math: str, token: Token, env: Env, line: int) -> str:
    """A display equation: its own element, with the id of ``{#eq-name}`` and an empty
    ``eq-number`` slot that the cross-reference transform fills with the equation's number."""
    ident, classes = "", ["equation"]
    if "attrs" in token.meta:
        try:
            _, attrs = parse_attrs(str(token.meta["attrs"]))
        except ParseError:
            attrs = {}
            _note(env, line, f"cannot read the attributes {token.meta['attrs']}",
                  "write them as {#eq-name}, an id that starts with a letter")
        ident = str(attrs.get("id", ""))
        classes += str(attrs.get("class", "")).split()
    attributes = f' class="{escape(" ".join(classes))}" data-line="{line}"'
    if ident:
        attributes = f' id="{escape(ident)}"{attributes}'
    number = '<span class="eq-number"></span>' if ident else ""
    return f"<{tag}{attributes}>{math}{number}</{tag}>"


def _math(tex: str, display: bool, env: Env, line: int) -> str:
    try:
        return to_mathml(tex, display)
    except MathError as problem:
        _note(env, line, f"cannot read the TeX math '{_short(tex)}': {problem}", problem.hint)
        return f'<code class="math-error">{escape(tex)}</code>'


def _note(env: Env, line: int, message: str, hint: str) -> None:
    env.setdefault("math_errors", []).append((line, message, hint))


def _short(tex: str, width: int = 60) -> str:
    flat = " ".join(tex.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def diagnostics(source: str, env: Env) -> list[Diagnostic]:
    """The formulas of a chapter that could not be converted, as errors at their lines."""
    return [error("math.tex", message, source, line, hint=hint) for line, message, hint in env.get("math_errors", [])]


# --- Conversion -------------------------------------------------------------------------------


class MathError(ValueError):
    """A formula latex2mathml cannot read, or would turn into something else than was written."""

    def __init__(self, message: str, hint: str = "check the formula's TeX; see docs/book-format.md, Math") -> None:
        super().__init__(message)
        self.hint = hint


# latex2mathml has no aligned, gather, equation...: each becomes an environment it does have that
# lays out the same; the rest of amsmath's are refused by name rather than dropped.
ENVIRONMENTS = {
    "aligned": "align*", "alignat": "align*", "alignat*": "align*", "alignedat": "align*",
    "flalign": "align*", "flalign*": "align*", "align": "align*",
    "gather": "array}{c", "gather*": "array}{c", "gathered": "array}{c",
    "multline": "array}{c", "multline*": "array}{c", "eqnarray": "array}{rcl", "eqnarray*": "array}{rcl",
    "dcases": "cases", "equation": "", "equation*": "",
}
KNOWN = {"align*", "split", "cases", "matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix",
         "smallmatrix", "array"}
BEGIN_END = re.compile(r"\\(begin|end)\s*\{([A-Za-z]+\*?)\}(\{\d+\})?")
REWRITES = (
    (re.compile(r"\\mathrm\{"), r"\\mathrm {"),  # latex2mathml leaves \mathrm{d} (one letter) italic
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\operatorname{arg}"),  # missing from its functions
    (re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])"), ""),  # octavo numbers only {#eq-name} equations
)
# Operators whose limits TeX sets below and above in display style (and beside them inline).
LIMITS = frozenset("∑∏∐⋃⋂⨀⨁⨂⨄⨆⋁⋀") | {"lim", "max", "min", "sup", "inf", "det", "gcd", "Pr"}
SCRIPTS = {"msub": "munder", "msup": "mover", "msubsup": "munderover"}
# Big operators keep their size whatever is beside them (ziamath would stretch them to the row).
UNSTRETCHED = frozenset("∑∏∐⋃⋂⨀⨁⨂⨄⨆⋁⋀∫∬∭∮∯∰⨌")
ENTITY = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")
COMMAND = re.compile(r"^\\[A-Za-z]+$")


@lru_cache(maxsize=4096)
def to_mathml(tex: str, display: bool) -> str:
    """The MathML of a formula, with the TeX as its ``alttext``; raises :class:`MathError`."""
    from latex2mathml.converter import convert  # loaded by the first chapter with math, not before

    source = _prepared(tex)
    try:
        markup = convert(source, display="block" if display else "inline")
    except Exception as problem:  # its exceptions are its own classes, or Python's on odd input
        raise MathError(_reason(problem)) from None
    try:
        root = etree.fromstring(ENTITY.sub("&amp;", markup))
    except etree.XMLSyntaxError as problem:
        raise MathError(f"the converter wrote broken MathML ({problem})") from None
    _check(root)
    _fix(root)
    _annotate(root, tex)
    return str(etree.tostring(root, encoding="unicode"))


def _annotate(root: etree._Element, tex: str) -> None:
    """The TeX kept twice, as pandoc and MathJax keep it: as ``alttext``, which EPUB 3 asks for,
    and as an ``application/x-tex`` annotation, the text a reader copies or searches."""
    root.set("alttext", " ".join(tex.split()))
    content = list(root)
    semantics = etree.SubElement(root, f"{M}semantics")
    if len(content) == 1:
        semantics.append(content[0])
    else:
        etree.SubElement(semantics, f"{M}mrow").extend(content)
    annotation = etree.SubElement(semantics, f"{M}annotation", encoding="application/x-tex")
    annotation.text = tex.strip()


def _prepared(tex: str) -> str:
    """The TeX with the rewrites latex2mathml needs; refused if its braces or environments are wrong."""
    _check_braces(tex)
    stack: list[str] = []

    def environment(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise MathError(f"\\end{{{name}}} does not close the environment opened before it")
        if name in KNOWN:
            return match.group(0)
        if name not in ENVIRONMENTS:
            raise MathError(f"the environment '{name}' is not supported",
                            "use align, aligned, gather, cases, array or a matrix environment")
        target = ENVIRONMENTS[name]
        return f"\\{kind}{{{target}}}" if target and kind == "begin" else (f"\\end{{{target.split('}')[0]}}}"
                                                                           if target else "")

    source = BEGIN_END.sub(environment, tex)
    if stack:
        raise MathError(f"\\begin{{{stack[-1]}}} is never closed with \\end{{{stack[-1]}}}")
    for pattern, replacement in REWRITES:
        source = pattern.sub(replacement, source)
    return source


def _check_braces(tex: str) -> None:
    depth, i = 0, 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise MathError("a '}' closes a brace that was never opened")
        i += 1
    if depth:
        raise MathError(f"{depth} '{{' never closed" if depth > 1 else "a '{' is never closed")


REASONS = {  # latex2mathml's exceptions, most without a message, in words
    "ExtraLeftOrMissingRightError": "a \\left has no \\right",
    "MissingSuperScriptOrSubscriptError": "^ or _ has nothing after it",
    "DoubleSubscriptsError": "two subscripts in a row: write x_{a_b} or {x_a}_b",
    "DoubleSuperscriptsError": "two superscripts in a row: write x^{a^b} or {x^a}^b",
    "NoAvailableTokensError": "a command is missing its argument",
    "NumeratorNotFoundError": "\\frac has no numerator",
    "DenominatorNotFoundError": "\\frac has no denominator",
    "MissingEndError": "an environment is never closed",
    "LimitsMustFollowMathOperatorError": "\\limits must follow an operator such as \\sum",
}


def _reason(problem: Exception) -> str:
    """The converter's exception in words, with its own name and message for reference."""
    name = type(problem).__name__
    detail = str(problem).strip()
    said = f"latex2mathml: {name}: {detail}" if detail else f"latex2mathml: {name}"
    return f"{REASONS[name]} ({said})" if name in REASONS else f"the converter stopped ({said})"


ARGUMENTS = {  # elements latex2mathml can leave short of a part, given a command without its argument
    "mfrac": (2, "\\frac has no denominator"), "mroot": (2, "\\sqrt[n] has nothing under its root"),
    "msub": (2, "_ has nothing after it"), "msup": (2, "^ has nothing after it"),
    "msubsup": (3, "_ or ^ has nothing after it"), "munder": (2, "a limit or brace below has nothing to go under"),
    "mover": (2, "an accent or brace above has nothing to go over"),
    "munderover": (3, "limits below and above are missing a part"),
}


def _check(root: etree._Element) -> None:
    for element in root.iter(*(f"{M}{name}" for name in ARGUMENTS)):
        parts, reason = ARGUMENTS[element.tag.rpartition("}")[2]]
        if len(element) != parts:
            raise MathError(f"{reason} (a command is missing an argument)")
    for element in root.iter(f"{{{MATHML_NS}}}mi", f"{{{MATHML_NS}}}mo", f"{{{MATHML_NS}}}mn"):
        text = (element.text or "").strip()
        if COMMAND.match(text):
            hint = ("give the equation an id with {#eq-name} after its closing $$" if text == "\\label"
                    else "check its spelling; octavo's converter (latex2mathml) knows LaTeX's and amsmath's "
                         "usual commands")
            raise MathError(f"unknown command {text}", hint)
        if text == "&":
            raise MathError("'&' outside an environment that aligns",
                            "put the lines in \\begin{aligned} … \\end{aligned}, or write \\& for an ampersand")


def _fix(root: etree._Element) -> None:
    """Where latex2mathml's MathML differs from TeX's look: upright capital Greek, big operators
    of one size, with their limits below and above (in display style; inline, MathML's
    ``movablelimits`` puts them beside, as TeX does)."""
    for element in root.iter(f"{{{MATHML_NS}}}mi"):
        text = element.text or ""
        if len(text) == 1 and "\u0391" <= text <= "\u03a9" and "mathvariant" not in element.attrib:
            element.set("mathvariant", "normal")
    for element in root.iter(f"{{{MATHML_NS}}}mo"):
        if (element.text or "").strip() in UNSTRETCHED:
            element.set("stretchy", "false")
    limited: set[etree._Element] = set()
    for kind, target in SCRIPTS.items():
        for element in list(root.iter(f"{{{MATHML_NS}}}{kind}")):
            base = element[0] if len(element) else None
            if base is None or base.tag != MO:
                continue
            if (base.text or "").strip() in LIMITS or base.get("movablelimits") == "true":
                element.tag = f"{{{MATHML_NS}}}{target}"
                base.set("movablelimits", "true")
                limited.add(base)
    for element in list(root.iter(f"{{{MATHML_NS}}}mo")):
        text = (element.text or "").strip()
        if len(text) > 1 and text.isalpha() and element not in limited:
            element.tag = f"{{{MATHML_NS}}}mi"  # \operatorname{Var}: a name, without an operator's spacing
            for name in [n for n in element.attrib if n != "mathvariant"]:
                del element.attrib[name]  # an operator's attributes (movablelimits...) are not an mi's
    _forms(root)
    _align_cells(root)
    for accent in root.iter(f"{{{MATHML_NS}}}mover"):  # \widehat: a stretchy accent, not a small ^ above
        mark = accent[-1] if len(accent) == 2 else None
        if mark is not None and accent.get("accent") is None and mark.text == "^" and len(mark) == 0:
            mark.text, mark.attrib["accent"] = "\u0302", "true"


FENCES = frozenset("()[]{}|‖⟨⟩⌊⌋⌈⌉")
BARS = frozenset("|‖")
OPENS = frozenset("([{⟨⌊⌈=<>≤≥≠≈≡∼≃≅∝∈∉∋⊂⊃⊆⊇≪≫→←↔⇒⇐⇔↦:+−±∓×÷·∗∘∧∨∩∪⊕⊗,;")
SIGNS = frozenset("−+±∓")


def _forms(root: etree._Element) -> None:
    """The ``form`` of the operators whose role TeX knows from its source and MathML Core guesses
    from the position (and gets wrong, with the wrong spacing or no stretching): a matrix's
    delimiters, paired bars ``|x|``, and a sign that opens a term, ``(-x)``."""
    rows: dict[etree._Element, list[etree._Element]] = {}
    for operator in root.iter(MO):
        rows.setdefault(operator.getparent(), []).append(operator)
    for operators in rows.values():
        for child in operators:
            text = (child.text or "").strip()
            before, after = child.getprevious(), child.getnext()
            if text in FENCES and after is not None and after.tag == MTABLE:
                child.attrib.update({"form": "prefix", "stretchy": "true"})
            elif text in FENCES and before is not None and before.tag == MTABLE:
                child.attrib.update({"form": "postfix", "stretchy": "true"})
        bars = [child for child in operators if (child.text or "").strip() in BARS and "form" not in child.attrib]
        if len(bars) % 2 == 0:
            for index, bar in enumerate(bars):
                bar.set("form", "postfix" if index % 2 else "prefix")
        for child in operators:
            if (child.text or "").strip() in SIGNS and _opens_term(child.getprevious()):
                child.set("form", "prefix")


def _opens_term(before: etree._Element | None) -> bool:
    """Whether a sign after ``before`` is unary, as TeX decides: first in its row, or after an
    opening fence, a relation, a binary operator, punctuation or a big operator."""
    if before is None:
        return True
    if before.tag != MO:
        return False
    text = (before.text or "").strip()
    return text in OPENS or text in UNSTRETCHED or (text in BARS and before.get("form") == "prefix")


def _align_cells(root: etree._Element) -> None:
    """Table cells aligned by CSS as well as ``columnalign``, which MathML Core (Chromium) lacks;
    in align and split, the two columns of a pair touch, as in TeX."""
    for table in root.iter(f"{{{MATHML_NS}}}mtable"):
        tight = table.get("columnspacing", "").startswith("0em")
        for row in table:
            for index, cell in enumerate(row):
                styles = [f"text-align: {cell.get('columnalign')}"] if cell.get("columnalign") else []
                if tight:
                    styles.append("padding-left: 0" if index % 2 else "padding-right: 0")
                if styles:
                    cell.set("style", "; ".join(styles))


# --- Print ------------------------------------------------------------------------------------

SIZE = 20.0  # the size ziamath draws at; the SVG is then scaled to the text's em
PRINT_CODE = ("math.py",)


def for_print(root: etree._Element, memo: Memo) -> list[str]:
    """Replace each ``math`` element of a chapter by its SVG (see the module's docstring); return
    the TeX of the formulas ziamath could not draw, which are printed as TeX instead."""
    formulas = [m for m in root.iter(f"{{{MATHML_NS}}}math") if m.getparent() is not None]
    if not formulas:
        return []
    sources = [etree.tostring(m, encoding="unicode", with_tail=False) for m in formulas]
    key = digest(code_digest(*PRINT_CODE), _ziamath_version(), sources)
    kept = memo.load_object(key)
    drawn: list[str] = kept if _is_drawing(kept, len(sources)) else [_drawn(source) for source in sources]
    if drawn is not kept:
        memo.store_object(key, drawn)
    undrawn: list[str] = []
    for element, svg in zip(formulas, drawn, strict=True):
        if svg:
            _replace(element, svg)
        else:
            undrawn.append(element.get("alttext", ""))
            _replace_with_tex(element)
    return undrawn


@lru_cache(maxsize=4096)  # within a process (octavo serve), an edit redraws only what changed
def _drawn(mathml: str) -> str:
    """The drawing, or "" when ziamath fails on MathML that is valid (an empty \\text{}, an empty
    aligned environment, commands missing arguments in ways TeX would refuse too...)."""
    try:
        return draw(mathml)
    except Exception:  # ziamath asserts and indexes its way through the tree: any of its errors
        return ""


def _is_drawing(kept: object, count: int) -> bool:
    return isinstance(kept, list) and len(kept) == count and all(isinstance(s, str) for s in kept)


@lru_cache(maxsize=1)
def _ziamath_version() -> str:
    from importlib.metadata import version

    return version("ziamath")


def draw(mathml: str) -> str:
    """One formula as an SVG element, ``vertical-align``-ed so its baseline is the text's."""
    import xml.etree.ElementTree as ET

    with warnings.catch_warnings():  # its font is found with importlib.resources.path, deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from ziamath.config import config
        from ziamath.zmath import Math

    config.svg2 = False  # plain paths: no <symbol> ids to clash between formulas
    element = ET.fromstring(mathml)  # an element, not markup: ziamath unescapes markup, breaking "&lt;"
    for semantics in element.findall(f"{M}semantics"):  # ziamath draws all it is given: the
        element.remove(semantics)  # presentation alone, not the TeX annotation
        element.append(semantics[0])
    _text_style(element, element.get("display") == "block")
    alt = element.get("alttext", "")
    drawing = Math(element, size=SIZE, margin=0)
    width, height = drawing.getsize()
    svg = drawing.svgxml()
    for name in ("width", "height"):
        svg.attrib.pop(name, None)
    svg.set("style", f"width:{width / SIZE:.3f}em;height:{height / SIZE:.3f}em;"
                     f"vertical-align:{drawing.getyofst() / SIZE:.3f}em")
    svg.set("role", "img")
    svg.set("aria-label", alt)
    return ET.tostring(svg, encoding="unicode")


BESIDE = {target: kind for kind, target in SCRIPTS.items()}
SCRIPTED = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover", "mroot"})


def _text_style(element: Any, display: bool) -> None:
    """What MathML Core does and ziamath does not, on the ElementTree ziamath is given: a
    fraction's parts, scripts and a matrix's cells are in text style, and there an operator with
    movable limits has them beside it (``munder`` becomes ``msub``)."""
    name = element.tag.rpartition("}")[2]
    explicit = element.get("displaystyle")
    if explicit in ("true", "false"):
        display = explicit == "true"
    elif not display:
        element.set("displaystyle", "false")  # said outright: ziamath would inherit display style
    base = element[0] if len(element) else None
    if (name in BESIDE and not display and base is not None and base.tag.endswith("}mo")
            and base.get("movablelimits") == "true"):
        element.tag = element.tag.replace(name, BESIDE[name])
        name = BESIDE[name]
    for index, child in enumerate(element):
        if name == "mfrac" or (name in SCRIPTED and index > 0):
            inner = False
        elif name == "mtable":
            inner = explicit == "true"  # align's cells are in display style, a matrix's are not
        else:
            inner = display
        _text_style(child, inner)


def _replace_with_tex(element: etree._Element) -> None:
    wrapper = etree.Element("code", {"class": "math-undrawn"})
    wrapper.text, wrapper.tail = element.get("alttext", ""), element.tail
    parent = element.getparent()
    assert parent is not None
    parent.replace(element, wrapper)


def _replace(element: etree._Element, svg: str) -> None:
    """``<span class="math">`` holding the drawing and, invisible, the TeX: what a PDF reader
    copies or searches, and what text extraction finds."""
    display = element.get("display") == "block"
    wrapper = etree.Element("span", {"class": "math display" if display else "math"})
    wrapper.append(etree.fromstring(svg))
    tex = etree.SubElement(wrapper, "span", {"class": "math-tex"})
    tex.text = element.get("alttext", "")
    wrapper.tail = element.tail
    parent = element.getparent()
    assert parent is not None
    parent.replace(element, wrapper)

"""Cross-references as Quarto and pandoc-crossref write them, read while a chapter is rendered.

``@fig-name``, ``@tbl-…``, ``@sec-…``, ``@eq-…``, ``@lst-…`` (and ``@fig:name``) become a
placeholder ``<a class="xref" data-xref="fig-name">``; ``[@fig-a; @fig-b]`` a list of them,
``[-@fig-name]`` the bare number, ``[@fig-name]{.page}`` one that adds "on page N" in print. What
they say ("Figure 3.2") is known only once every chapter is rendered, so
:mod:`octavo.transforms.crossrefs` fills them in; a chapter's render, and its cache entry, stay its
own. An ``@`` after a letter or a dot (an e-mail address) or before another word (a citation key,
left for citations) is text.

:func:`targets` lists what a chapter has that can be referred to: the elements whose id starts
with one of the prefixes (the contract with the code and math renderers: a ``figure``, a ``table``
or the figure around it, a ``figure.listing``, a display equation, a heading).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from octavo import sanitize
from octavo.labels import Labels, separators
from octavo.model import Target

KINDS = ("fig", "tbl", "sec", "eq", "lst")
NAME = r"\w(?:[\w:.-]*\w)?"
REF = re.compile(rf"(-?)@([Ff]ig|[Tt]bl|[Ss]ec|[Ee]q|[Ll]st)([-:])({NAME})")
GROUP = re.compile(rf"\[\s*(-?@(?:{'|'.join(KINDS)})[-:]{NAME}(?:\s*[;,]\s*-?@(?:{'|'.join(KINDS)})[-:]{NAME})*)"
                   r"\s*\](\{\s*\.page\s*\})?", re.IGNORECASE)
FOREIGN = frozenset({sanitize.SVG_NS, sanitize.MATHML_NS})  # their ids are their own business
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
NOT_BEFORE = frozenset("._-+%/&=")  # an '@' after these (or a letter or digit) is an address, not a reference
PREFIXED = etree.XPath("descendant-or-self::*[@id][" + " or ".join(
    f"starts-with(@id, '{kind}{sep}')" for kind in KINDS for sep in "-:") + "]")


def refs_plugin(md: MarkdownIt, language: str, labels: Labels = ()) -> None:
    md.inline.ruler.before("link", "octavo_xref_group", group_rule(language, labels))
    md.inline.ruler.before("emphasis", "octavo_xref", single_rule)
    md.add_render_rule("xref", render_xref)


def single_rule(state: StateInline, silent: bool) -> bool:
    """``@fig-name`` in running text."""
    pos = state.pos
    if state.src[pos] != "@":
        return False
    before = state.src[pos - 1] if pos > 0 else " "
    if before.isalnum() or before in NOT_BEFORE:
        return False
    match = REF.match(state.src, pos)
    if match is None:
        return False
    if not silent:
        _push(state, match, page=False)
    state.pos = match.end()
    return True


def group_rule(language: str, labels: Labels = ()) -> Any:

    def rule(state: StateInline, silent: bool) -> bool:
        """``[@fig-a; @fig-b]``, ``[-@fig-a]``, ``[@fig-a]{.page}``: brackets holding references only."""
        if state.src[state.pos] != "[":
            return False
        match = GROUP.match(state.src, state.pos)
        if match is None or state.src[match.end():match.end() + 1] in ("(", "["):
            return False  # [@fig-a](url) is a link, whose text the link rule reads
        if not silent:
            items = [m for m in REF.finditer(match.group(1))]
            between = separators(language, len(items), labels)
            for number, item in enumerate(items):
                if number:
                    text = state.push("text", "", 0)
                    text.content = between[number - 1]
                _push(state, item, page=match.group(2) is not None)
        state.pos = match.end()
        return True

    return rule


def _push(state: StateInline, match: re.Match[str], page: bool) -> None:
    token = state.push("xref", "", 0)
    token.content = match.group(0)
    token.meta = {"label": f"{match.group(2).lower()}{match.group(3)}{match.group(4)}", "bare": bool(match.group(1)),
                  "page": page, "link": state.linkLevel == 0}


def render_xref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A placeholder the book-wide step fills in; its text is the source until then."""
    token = tokens[idx]
    line = int(env.get("first_line", 1)) + int(token.meta.get("line", 0))
    label = str(token.meta["label"])
    env.setdefault("crossrefs", []).append((label, line))
    tag = "a" if token.meta["link"] else "span"
    extra = (' data-xref-form="bare"' if token.meta["bare"] else "") + (
        ' data-xref-page="yes"' if token.meta["page"] else "")
    return (f'<{tag} class="xref" data-xref="{escapeHtml(label)}"{extra} data-line="{line}">'
            f"{escapeHtml(token.content)}</{tag}>")


def kind_of(ident: str) -> str | None:
    """The kind of thing an id labels ("fig" for ``fig-map`` or ``fig:map``), if any."""
    head = re.match(r"^([a-z]+)[-:]", ident)
    return head.group(1) if head and head.group(1) in KINDS else None


def targets(root: etree._Element) -> tuple[Target, ...]:
    """Every element a cross-reference can name, in document order, with its source line and the
    figure it is a sub-figure of (Quarto's figure divs holding figures of their own)."""
    found: list[Target] = []
    for element in PREFIXED(root):
        ident = str(element.get("id"))
        kind = kind_of(ident)
        if kind is None or not _can_be(kind, etree.QName(element)):
            continue
        within = ""
        if kind == "fig":
            outer = next((a for a in element.iterancestors() if kind_of(str(a.get("id", ""))) == "fig"), None)
            within = str(outer.get("id")) if outer is not None else ""
        found.append(Target(ident, kind, sanitize.line_of(element), within))
    return tuple(found)


def _can_be(kind: str, name: etree.QName) -> bool:
    """Whether an element of this name is a thing of that kind: a heading "Fig-trees" has the id
    fig-trees but is no figure, and the ids inside SVG and MathML are their own (but for a ``math``
    element labelled as an equation)."""
    tag = str(name.localname)
    if name.namespace in FOREIGN:
        return (kind, tag) == ("eq", "math")
    if (tag in HEADINGS) != (kind == "sec"):
        return False
    return {"fig": tag == "figure", "tbl": tag in ("table", "figure")}.get(kind, True)

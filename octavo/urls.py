"""The one rule for every attribute that holds a URL, in HTML, SVG and MathML alike.

A URL can hide in many places besides ``src``: each candidate of a ``srcset``, a ``poster``, an
``xlink:href``, a ``url()`` in a ``style`` attribute or in an SVG ``fill``. Every stage that
checks, rewrites or removes URLs (:mod:`octavo.sanitize`, :mod:`octavo.render`,
:mod:`octavo.svg`) asks :func:`kind` which attributes hold one and what they do, and reads and
rewrites the URLs in them with :func:`urls` and :func:`rewrite`, so a URL-bearing attribute
cannot be checked in one place and missed in another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from functools import lru_cache

import tinycss2
from lxml import etree
from tinycss2.ast import FunctionBlock, Node, StringToken, URLToken
from tinycss2.serializer import serialize_url

SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


class Kind(StrEnum):
    LINK = "link"  # followed when the reader chooses it: a chapter, a fragment or a web page
    RESOURCE = "resource"  # loaded to show the page: a file of the book (an image) or a fragment
    CITATION = "citation"  # names a source and is never loaded: a web address or a fragment
    STYLE = "style"  # CSS whose url()s are resources
    DROPPED = "dropped"  # nothing a book uses (forms, pings, obsolete HTML, xml:base): removed


# Every attribute HTML, SVG and MathML define as holding URLs (the test suite lists them from the
# specifications and checks each is here). Names as lxml spells them.
RESOURCES = frozenset({"src", "poster", "altimg"})  # altimg: MathML's fallback image
RESOURCE_LISTS = frozenset({"srcset", "imagesrcset"})  # comma-separated candidates
CITATIONS = frozenset({"cite", "itemid", "definitionURL", "definitionurl"})
CITATION_LISTS = frozenset({"itemtype"})  # space-separated
DROPPED = frozenset({"ping", "action", "formaction", "background", "longdesc", "lowsrc", "dynsrc", "codebase",
                     "classid", "archive", "profile", "manifest", "icon", "srcdoc", XML_BASE})
HREFS = frozenset({"href", XLINK_HREF})
# SVG properties that take a url() as presentation attributes, besides any attribute of an SVG
# element whose value has one (an animation's ``values``, say), which is read as CSS too.
SVG_CSS = frozenset({"fill", "stroke", "clip-path", "mask", "filter", "marker", "marker-start", "marker-mid",
                     "marker-end", "cursor"})
IMAGE_SETS = frozenset({"image-set", "-webkit-image-set"})  # their bare strings are URLs


# The elements that may hold a URL (those with any attribute, and every <img>, which must have
# alt text), found by lxml in document order; :func:`attributes` picks the attributes out. An
# XPath that names the attributes instead is four times as slow (0.27 s for Pepys's chapters).
BEARING = etree.XPath("descendant-or-self::*[@* or local-name()='img']")


@lru_cache(maxsize=4096)
def kind(tag: str, name: str) -> Kind | None:
    """What the attribute ``name`` of an element ``tag`` holds, or None if it holds no URL.

    ``href`` links on HTML's and SVG's ``<a>`` and ``<area>`` and anywhere in MathML, and loads a
    resource on every other SVG element (``<image>``, ``<use>``, ``<feImage>``, gradients...).
    """
    namespace, local = (tag[1:].split("}", 1) if tag.startswith("{") else ("", tag))
    if name in HREFS:
        if namespace == SVG_NS and local not in ("a", "area"):
            return Kind.RESOURCE
        return Kind.LINK
    if name in RESOURCES or name in RESOURCE_LISTS or (name == "data" and local.lower() == "object"):
        return Kind.RESOURCE
    if name in CITATIONS or name in CITATION_LISTS:
        return Kind.CITATION
    if name == "style" or (namespace == SVG_NS and name in SVG_CSS):
        return Kind.STYLE
    if name in DROPPED:
        return Kind.DROPPED
    return None


def attributes(element: etree._Element) -> Iterator[tuple[str, str, Kind]]:
    """Each URL-bearing attribute of an element: (name, value, kind). Any attribute of an SVG
    element whose value has a ``url(`` (or a CSS escape that could spell one) counts as CSS."""
    tag = element.tag
    if not isinstance(tag, str):
        return
    svg = tag.startswith("{" + SVG_NS)
    for name, value in element.items():  # a list: the caller may change the attributes meanwhile
        found = kind(tag, name) or (Kind.STYLE if svg else None)
        if found is not None and (found is not Kind.STYLE or might_hold_url(value)):
            yield name, value, found


def might_hold_url(css: str) -> bool:
    """Whether CSS can have a URL in it: a cheap test before it is parsed (a CSS escape can
    spell ``url`` in other letters, so a backslash counts too)."""
    lower = css.lower()
    return "url" in lower or "image-set" in lower or "src" in lower or "\\" in css


def urls(name: str, value: str, found: Kind) -> list[str]:
    """The URLs in an attribute's value: one, each candidate of a list, each url() of CSS."""
    if found is Kind.STYLE:
        return [token.value for token, _, _ in _css_urls(tinycss2.parse_component_value_list(value))]
    if name in RESOURCE_LISTS:
        return [url for url, _ in srcset(value)]
    if name in CITATION_LISTS:
        return value.split()
    return [value.strip()]


def rewrite(name: str, value: str, found: Kind, place: Callable[[str], str | None]) -> str | None:
    """The value with each URL replaced by ``place(url)``; a URL ``place`` maps to None is left
    out (a candidate of a list), or takes the whole attribute with it (None) where it cannot be."""
    if found is Kind.STYLE:
        tokens = tinycss2.parse_component_value_list(value)
        changed = False
        for token, siblings, index in _css_urls(tokens):
            placed = place(token.value)
            if placed is None:
                return None
            if placed != token.value:
                changed = True
                siblings[index] = URLToken(token.source_line, token.source_column, placed,
                                           f"url({serialize_url(placed)})")
        return tinycss2.serialize(tokens) if changed else value
    if name in RESOURCE_LISTS:
        kept = [(placed, descriptor) for url, descriptor in srcset(value) if (placed := place(url)) is not None]
        return ", ".join(f"{url} {descriptor}".strip() for url, descriptor in kept) or None
    if name in CITATION_LISTS:
        kept_urls = [placed for url in value.split() if (placed := place(url)) is not None]
        return " ".join(kept_urls) or None
    return place(value.strip())


def srcset(value: str) -> list[tuple[str, str]]:
    """The (URL, descriptor) candidates of a ``srcset``, split as HTML's parser splits them: a
    URL runs to the next space (a comma at its end ends the candidate), a descriptor to the next
    comma outside parentheses."""
    candidates: list[tuple[str, str]] = []
    position, size = 0, len(value)
    while position < size:
        while position < size and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < size and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            candidates.append((url.rstrip(","), ""))
            continue
        start, depth = position, 0
        while position < size and (value[position] != "," or depth):
            depth += {"(": 1, ")": -1}.get(value[position], 0)
            position += 1
        if url:
            candidates.append((url, " ".join(value[start:position].split())))
    return candidates


def css_urls(tokens: list[Node]) -> list[str]:
    """The URLs of parsed CSS (component values, a rule's prelude or its content)."""
    return [found.value for found, _, _ in _css_urls(tokens)]


def sheet_urls(text: str) -> list[tuple[str, int]]:
    """Each URL a style sheet loads, with its line: every url() (however it is written or
    escaped), and each ``@import``, whether of a url() or a bare string."""
    found: list[tuple[str, int]] = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        prelude = getattr(rule, "prelude", None) or []
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            found += [(token.value, token.source_line) for token in prelude if isinstance(token, StringToken)]
        for part in (prelude, getattr(rule, "content", None) or []):
            found += [(url.value, url.source_line) for url, _, _ in _css_urls(part)]
    return sorted(found, key=lambda pair: pair[1])


class _Url:
    """A url() found in CSS, whichever way it was written: ``url(x)``, ``url("x")``, a string in
    ``image-set()`` or ``src("x")``."""

    def __init__(self, value: str, line: int, column: int) -> None:
        self.value, self.source_line, self.source_column = value, line, column


def _css_urls(tokens: list[Node]) -> list[tuple[_Url, list[Node], int]]:
    """Each URL in parsed CSS, with the list that holds it and its index there, at any depth."""
    found: list[tuple[_Url, list[Node], int]] = []
    for index, token in enumerate(tokens):
        if isinstance(token, URLToken):
            found.append((_Url(token.value, token.source_line, token.source_column), tokens, index))
        elif isinstance(token, FunctionBlock):
            if token.lower_name in ("url", "src"):
                string = next((t for t in token.arguments if isinstance(t, StringToken)), None)
                found.append((_Url(string.value if string else "", token.source_line, token.source_column),
                              tokens, index))
                continue
            if token.lower_name in IMAGE_SETS:
                found += [(_Url(t.value, t.source_line, t.source_column), token.arguments, i)
                          for i, t in enumerate(token.arguments) if isinstance(t, StringToken)]
            found += _css_urls(token.arguments)
        elif getattr(token, "content", None) is not None and isinstance(token.content, list):
            found += _css_urls(token.content)
    return found

"""Chapter HTML -> a well-formed, script-free element tree.

Markdown output is already well-formed and is parsed as XML; a chapter with raw HTML is parsed
with html5lib, the HTML5 algorithm browsers use, so unclosed tags, stray ``</b>`` and inline SVG
come out as the browser would see them. Then anything that can run code is removed, and each
removal is reported, never silent.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from lxml import etree

from octavo import urls

T = TypeVar("T")

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XLINK_NS = "http://www.w3.org/1999/xlink"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
DROPPED = {"script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "base", "meta",
           "link", "noscript", "template", "form", "input", "button", "select", "textarea",
           "foreignobject", "handler", "listener"}  # the last three: SVG's HTML and script holders
# SVG animations, which can set an attribute to a URL (a javascript: href) or a handler.
ANIMATIONS = frozenset({"animate", "set", "animatemotion", "animatetransform", "animatecolor"})
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application")
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CHILDLESS = etree.XPath("descendant-or-self::*[not(*)]")
# The HTML elements an EPUB may contain (its XHTML schema, which EPUBCheck applies): anything else
# in raw HTML (<center>, <font>, <blink>, <my-widget>, a typo) is unwrapped, its content kept.
HTML_ELEMENTS = frozenset({
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "bdi", "bdo", "blockquote", "body",
    "br", "button", "canvas", "caption", "cite", "code", "col", "colgroup", "data", "datalist", "dd", "del",
    "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
    "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark", "menu",
    "meta", "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "picture",
    "pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "script", "section", "select",
    "small", "source", "span", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td",
    "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "u", "ul", "var",
    "video", "wbr"
})


@dataclass(frozen=True)
class Removal:
    what: str
    line: int | None
    kept: bool = False  # the element was unwrapped: its content stays


def parse(html: str, raw: bool) -> etree._Element:
    """A ``<div>`` holding the chapter; raw HTML goes through the HTML5 parser."""
    if not raw:
        try:
            return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{html}</div>'.encode())
        except etree.XMLSyntaxError:
            pass
    parsed = _html5_fragment(html)
    # A fresh root that declares the epub prefix, so epub:type keeps its name when serialised.
    root = etree.Element("div", nsmap={"epub": EPUB_NS})
    root.text = parsed.text
    root.extend(list(parsed))
    _restore_prefixed(root)
    _wrap_orphan_items(root)
    return _with_default_namespaces(root)


def _html5_fragment(html: str) -> etree._Element:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import html5lib  # only for raw HTML that is not XML: most books never load it

        def fragment(text: str) -> Any:
            return html5lib.parseFragment(f"<div>{text}</div>", treebuilder="lxml", namespaceHTMLElements=False)

        nodes = _astral_safe(fragment, html)
    return next(n for n in nodes if not isinstance(n, str))


ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _astral_safe(parse: Callable[[str], T], html: str) -> T:
    """``parse(html)``; should html5lib make a tag name lxml refuses (it leaves characters beyond
    U+FFFF in names as they are), parse it again with those characters as references: text and
    attribute values read the same, and the odd name becomes an ordinary escaped one."""
    try:
        return parse(html)
    except ValueError:
        return parse(ASTRAL.sub(lambda m: f"&#x{ord(m.group()):x};", html))


PHRASING = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img", "ins",
            "kbd", "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
            "u", "var", "wbr", "picture", "source", "audio", "video", "track", "label", "script", "style"}


def balance(html: str) -> tuple[str, list[str]]:
    """Raw HTML inside one paragraph, closed within it, with block elements unwrapped.

    An unclosed ``<table>`` or ``<div>`` in a sentence must not swallow the rest of the chapter
    (as it would in a browser), and a block inside a paragraph is not valid XHTML: its tags go,
    its text stays, and the names of the removed tags are returned for a warning.
    """
    parsed = _html5_fragment(html)
    root = etree.Element("div", nsmap={"epub": EPUB_NS})
    root.text = parsed.text
    root.extend(list(parsed))
    _restore_prefixed(root)
    unwrapped: list[str] = []
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str) or etree.QName(element).namespace:
            continue
        if element.tag not in PHRASING:
            unwrapped.append(element.tag)
            unwrap(element)
    return serialize(_with_default_namespaces(root)), unwrapped


def unwrap(element: etree._Element) -> None:
    """Replace an element by its content."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    children = list(element)
    text, tail = element.text or "", element.tail or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif index == 0:
        parent.text = (parent.text or "") + tail
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + tail


def _wrap_orphan_items(root: etree._Element) -> None:
    """An ``li`` outside a list (valid to the parser, not to EPUBCheck) gets a ``ul`` of its own."""
    for item in list(root.iter("li")):
        parent = item.getparent()
        if parent is not None and parent.tag not in ("ul", "ol", "menu"):
            wrapper = etree.Element("ul")
            parent.replace(item, wrapper)
            wrapper.tail, item.tail = item.tail, None
            wrapper.append(item)


def repairs(html: str) -> list[tuple[int, str]]:
    """What the HTML5 parser had to repair in raw HTML (unclosed or stray tags), by line."""
    import html5lib  # see _html5_fragment

    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("lxml"), namespaceHTMLElements=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _astral_safe(parser.parseFragment, html)
    return [(position[0], str(code).replace("-", " ")) for position, code, _ in parser.errors]


def _restore_prefixed(root: etree._Element) -> None:
    """html5lib spells ``epub:type`` as ``epubU0003Atype``; give it its namespace back."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in [n for n in element.attrib if "U0003A" in n]:
            value = element.attrib.pop(name)
            prefix, local = name.split("U0003A", 1)
            if prefix == "epub":
                element.set(f"{{{EPUB_NS}}}{local}", value)


def _with_default_namespaces(root: etree._Element) -> etree._Element:
    """Rebuild SVG and MathML so they are written ``<svg xmlns=…>``, not ``<ns0:svg>``."""
    for foreign in [e for e in root.iter() if isinstance(e.tag, str) and e.tag in
                    (f"{{{SVG_NS}}}svg", f"{{{MATHML_NS}}}math")]:
        namespace = etree.QName(foreign).namespace
        copy = _copy_tree(foreign, {None: namespace, "xlink": XLINK_NS})
        parent = foreign.getparent()
        if parent is not None:
            copy.tail = foreign.tail
            parent.replace(foreign, copy)
    return root


def _copy_tree(element: etree._Element, nsmap: dict[str | None, str]) -> etree._Element:
    attributes = {k: v for k, v in element.attrib.items() if not k.startswith("{http://www.w3.org/2000/xmlns/}")}
    copy = etree.Element(element.tag, attributes, nsmap=nsmap)
    copy.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            new = _copy_tree(child, nsmap)
            new.tail = child.tail
            copy.append(new)
    return copy


def line_of(element: etree._Element) -> int | None:
    """The source line the Markdown renderer marked on the element or its nearest marked ancestor."""
    for node in (element, *element.iterancestors()):
        if node.get("data-line"):
            return int(node.get("data-line", "0"))
    return None


def clean(root: etree._Element) -> list[Removal]:
    """Remove elements and attributes that run code, unwrap elements HTML does not have; return
    what was removed or unwrapped."""
    removed: list[Removal] = []
    for element in list(root.iter()):
        tag = element.tag
        if not isinstance(tag, str):
            if isinstance(element, etree._ProcessingInstruction | etree._Comment):
                drop(element)
            continue
        dropped = _dropped(tag) or (_foreign(element) if _may_be_foreign(tag) else "")
        if dropped:
            removed.append(Removal(f"<{dropped}> element", line_of(element)))
            drop(element)
            continue
        if unknown_element(tag):
            removed.append(Removal(f"<{tag}>", line_of(element), kept=True))
            unwrap(element)
            continue
        for name, value in element.items():  # a list: attributes can be deleted meanwhile
            handler = _handler(name)
            kind = urls.kind(tag, name)
            if handler or kind is urls.Kind.DROPPED:
                removed.append(Removal(f"'{handler or _attribute_name(name)}' attribute", line_of(element)))
                del element.attrib[name]
            elif kind is not None and ":" in value and value.strip().lower().replace(" ", "").startswith(
                    SCRIPT_SCHEMES):  # every scheme has a colon
                removed.append(Removal(f"'{value.split(':', 1)[0]}:' link", line_of(element)))
                del element.attrib[name]
    return removed


def _foreign(element: etree._Element) -> str:
    """The element's name if it is foreign content that can carry HTML or change a URL: a MathML
    ``<annotation-xml>`` holding HTML, or an SVG animation of a link, a handler or a style."""
    local = _local(element.tag).lower()
    if local in ANIMATIONS and element.tag.startswith(f"{{{SVG_NS}}}"):
        target = element.get("attributeName", "").rpartition(":")[2].lower()
        return local if target in ("href", "style") or target.startswith("on") else ""
    if local == "annotation-xml" and element.tag.startswith(f"{{{MATHML_NS}}}"):
        html = element.get("encoding", "").lower() in ("text/html", "application/xhtml+xml")
        return local if html or any(isinstance(child.tag, str) and not child.tag.startswith(f"{{{MATHML_NS}}}")
                                    for child in element.iterdescendants()) else ""
    return ""


@lru_cache(maxsize=1024)
def _may_be_foreign(tag: str) -> bool:
    return tag.startswith((f"{{{SVG_NS}}}", f"{{{MATHML_NS}}}")) and (
        _local(tag).lower() in ANIMATIONS or _local(tag) == "annotation-xml")


def _attribute_name(name: str) -> str:
    return "xml:base" if name == urls.XML_BASE else _local(name)


# A chapter has tens of thousands of elements but a few dozen names: each name is judged once.


@lru_cache(maxsize=1024)
def _dropped(tag: str) -> str:
    """The element's lower-case local name if such elements are removed, else ""."""
    local = _local(tag).lower()
    return local if local in DROPPED else ""


@lru_cache(maxsize=1024)
def unknown_element(tag: str) -> bool:
    """Whether the element is in no namespace (HTML) and not an element HTML has."""
    return not tag.startswith("{") and tag.lower() not in HTML_ELEMENTS


@lru_cache(maxsize=1024)
def _handler(name: str) -> str:
    """The attribute's lower-case local name if it is an event handler (on...), else ""."""
    plain = _local(name).lower()
    return plain if plain.startswith("on") else ""


def _local(name: str) -> str:
    """``etree.QName(name).localname``, without making a QName object."""
    return name.rpartition("}")[2] if name.startswith("{") else name


def drop(element: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def serialize(root: etree._Element) -> str:
    """The children of ``root`` as polyglot XHTML: valid XML, and safe to serve as HTML too.

    Empty non-void elements are written ``<a></a>``, because ``<a/>`` in an HTML page opens a
    tag that never closes.
    """
    for element in CHILDLESS(root):
        if element.text is None and len(element) == 0:
            namespace = etree.QName(element).namespace
            if namespace is None and element.tag not in VOID:
                element.text = ""
    markup = etree.tostring(root, encoding="unicode")
    start = markup.index(">") + 1
    return "" if markup.endswith("/>") else markup[start : markup.rindex("</div>")]

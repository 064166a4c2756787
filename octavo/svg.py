"""SVG files, parsed safely: no DTD, no entities, no scripts, nothing loaded from outside the book.

An SVG is XML, and an XML parser that honours a document type declaration can be made to read the
reader's own files (``<!ENTITY x SYSTEM "file:///etc/passwd">``), fetch a DTD from anywhere, or
expand a few hundred bytes into gigabytes (the "billion laughs"). So the prolog is read first
by expat with every declaration refused as it starts: a DOCTYPE with an internal subset (entity,
attribute or any other declaration) is an error before a single entity is defined; a plain one
(``<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "…svg11.dtd">``, which matplotlib, Graphviz and
older Illustrators write) declares nothing, so it is only reported, and the outputs carry the SVG
without it (:func:`without_doctype`). Only then is the file parsed into a tree, by an lxml parser
that loads no DTD and resolves no entity, and checked element by element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

import tinycss2
from lxml import etree

from octavo import urls
from octavo.paths import is_url

SVG_NS = urls.SVG_NS
XHTML_NS = "http://www.w3.org/1999/xhtml"
SVG_TAG = f"{{{SVG_NS}}}svg"
# Elements that run code or embed another document; whatever their namespace.
FORBIDDEN = frozenset({"script", "foreignObject", "handler", "listener", "iframe", "object", "embed"})
ANIMATIONS = frozenset({"animate", "set", "animateMotion", "animateTransform", "animateColor"})
EXPANSION_LIMIT = 100_000  # elements <use> may add to a drawing, past which it is a "use bomb"

DTD_HINT = ("delete the <!DOCTYPE …> from the file and write out what its entities stood for; "
            "SVG needs no DTD")
Resource = Callable[[str], "str | None"]  # a URL the SVG uses -> what is wrong with it, or None


@dataclass(frozen=True)
class Checked:
    doctype: bool  # a plain DOCTYPE the outputs leave out


class Refused(ValueError):
    """The SVG cannot be used; the message says why, and the hint what to do, for the user."""

    def __init__(self, message: str, hint: str = "remove that from the SVG, or export the drawing again as "
                                                 "plain SVG (Inkscape: Save As > Plain SVG)") -> None:
        super().__init__(message)
        self.hint = hint


def check(data: bytes, resource: Resource) -> Checked:
    """Whether ``data`` is an SVG octavo can carry; :class:`Refused` with the reason if not.

    ``resource`` judges each URL the SVG uses that is not one of its own fragments: a ``data:``
    image or a path, relative to the SVG, of a file in the book.
    """
    doctype = _prolog(data)
    root = _parse(data)
    if root.tag != SVG_TAG:
        raise Refused("the file is not an SVG image (its root element is not <svg> in the SVG namespace)")
    for element in root.iter():
        if isinstance(element, etree._Entity):
            raise Refused(f"the SVG uses the entity {element.text}, which octavo never expands", DTD_HINT)
        if isinstance(element.tag, str):
            _check_element(element, resource)
    _check_expansion(root)
    return Checked(doctype)


def without_doctype(data: bytes) -> bytes:
    """The SVG as the outputs carry it: the same tree, written without its (plain) DOCTYPE."""
    root = _parse(data)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def has_doctype(data: bytes) -> bool:
    """Whether a sound SVG starts with a plain DOCTYPE; False for one that :func:`check` refuses."""
    try:
        return _prolog(data)
    except Refused:
        return False


def root_tag(data: bytes) -> str | None:
    """The root element's ``{namespace}name``, read by expat up to its start tag; "" if ``data``
    is not XML, None if its DOCTYPE declares anything (which is not read)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(name: str, attributes: Any) -> None:
        raise _Root("{" + name if "}" in name else name)

    def declared(name: str, system: str | None, public: str | None, internal: int) -> None:
        if internal:
            raise _Root(None)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = declared
    try:
        parser.Parse(data, True)
    except _Root as root:
        return root.tag
    except expat.ExpatError:
        pass
    return ""


class _Root(Exception):
    def __init__(self, tag: str | None) -> None:
        super().__init__(tag)
        self.tag = tag


def _prolog(data: bytes) -> bool:
    """Read the document with expat, refusing each declaration the moment it starts; True if it
    has a plain DOCTYPE."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    seen: list[bool] = []

    def doctype(name: str, system: str | None, public: str | None, internal: int) -> None:
        if internal:
            raise Refused("the SVG declares entities or other DTD content in its <!DOCTYPE>, "
                          "which octavo never reads", DTD_HINT)
        seen.append(True)

    def refuse(*args: Any) -> int:  # an int for expat's ExternalEntityRefHandler, which it never gets
        raise Refused("the SVG declares or uses entities, which octavo never expands", DTD_HINT)

    def instruction(target: str, text: str) -> None:
        if target.lower() == "xml-stylesheet":
            raise Refused("the SVG loads a style sheet (<?xml-stylesheet?>)")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SkippedEntityHandler = refuse
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Refused(f"the SVG is not well-formed XML ({expat.ErrorString(exc.code)}, "
                      f"line {exc.lineno})") from None
    return bool(seen)


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused(f"the SVG is not well-formed XML ({exc.msg})") from None


def _check_element(element: etree._Element, resource: Resource) -> None:
    qname = etree.QName(element)
    if qname.localname in FORBIDDEN or qname.namespace == XHTML_NS:
        raise Refused("the SVG contains a script or foreign content")
    if qname.localname in ANIMATIONS:
        target = element.get("attributeName", "").rpartition(":")[2].lower()
        if target == "href" or target.startswith("on") or target == "style":
            raise Refused(f"the SVG animates its '{target}' attribute")
    if any(_local(name).lower().startswith("on") for name in element.attrib):
        raise Refused("the SVG contains script attributes")
    for name, value, kind in urls.attributes(element):
        if kind is urls.Kind.DROPPED:
            shown = "xml:base" if name == urls.XML_BASE else _local(name)
            raise Refused(f"the SVG has the attribute '{shown}', which could make it load other files")
        for url in urls.urls(name, value, kind):
            _check_url(url, resource)
    if qname.localname == "style" and qname.namespace == SVG_NS:
        _check_style(element.text or "", resource)


def _check_url(url: str, resource: Resource) -> None:
    if url.startswith("#"):
        return
    if not url.lower().startswith("data:") and is_url(url):
        raise Refused(f"the SVG refers to another file ({url})")
    problem = resource(url)
    if problem is not None:
        raise Refused(problem)


def _check_style(text: str, resource: Resource) -> None:
    """A ``<style>`` element: no ``@import``; each url() a fragment or a file of the book."""
    for rule in tinycss2.parse_stylesheet(text):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            raise Refused("the SVG imports a style sheet (@import)")
        for part in (getattr(rule, "prelude", None), getattr(rule, "content", None)):
            for url in urls.css_urls(part or []):
                _check_url(url, resource)


def _check_expansion(root: etree._Element) -> None:
    """Refuse a drawing whose ``<use>`` elements copy copies of copies (a "use bomb": a few
    kilobytes a renderer draws as billions of shapes), or refer to their own ancestors."""
    nodes = [e for e in root.iter() if isinstance(e.tag, str)]  # kept, so each node keeps one proxy
    index = {id(node): number for number, node in enumerate(nodes)}
    named = {str(node.get("id")): number for number, node in enumerate(nodes) if node.get("id")}
    cap = len(nodes) + EXPANSION_LIMIT + 1

    def edges(number: int) -> list[int]:
        node = nodes[number]
        found = [index[id(child)] for child in node if isinstance(child.tag, str)]
        href = node.get("href") or node.get(urls.XLINK_HREF) or ""
        if _local(str(node.tag)) == "use" and href.startswith("#") and href[1:] in named:
            found.append(named[href[1:]])
        return found

    size, state = [0] * len(nodes), [0] * len(nodes)  # state: 0 unseen, 1 being counted, 2 counted
    stack = [(0, iter(edges(0)))]
    state[0] = 1
    while stack:
        number, pending = stack[-1]
        for child in pending:
            if state[child] == 1:
                raise Refused("the SVG's <use> elements refer to themselves")
            if state[child] == 0:
                state[child] = 1
                stack.append((child, iter(edges(child))))
                break
        else:
            stack.pop()
            state[number] = 2
            size[number] = min(cap, 1 + sum(size[child] for child in edges(number)))
    if size[0] >= cap:
        raise Refused(f"the SVG's <use> elements make it draw more than {EXPANSION_LIMIT:,} extra shapes")


def _local(name: str) -> str:
    return name.rpartition("}")[2]

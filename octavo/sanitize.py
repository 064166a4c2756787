"""Chapter HTML -> a well-formed, script-free element tree.

Markdown output is already well-formed and is parsed as XML; a chapter with raw HTML is parsed
with html5lib, the HTML5 algorithm browsers use, so unclosed tags, stray ``</b>`` and inline SVG
come out as the browser would see them. Then anything that can run code is removed, and each
removal is reported, never silent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import html5lib
from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XLINK_NS = "http://www.w3.org/1999/xlink"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
DROPPED = {"script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "base", "meta",
           "link", "noscript", "template", "form", "input", "button", "select", "textarea"}
URL_ATTRS = {"href", "src", "action", "formaction", "poster", "cite", "background", f"{{{XLINK_NS}}}href"}
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application")
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(frozen=True)
class Removal:
    what: str
    line: int | None


def parse(html: str, raw: bool) -> etree._Element:
    """A ``<div>`` holding the chapter; raw HTML goes through the HTML5 parser."""
    if not raw:
        try:
            return etree.fromstring(f'<div xmlns:epub="{EPUB_NS}">{html}</div>'.encode())
        except etree.XMLSyntaxError:
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes = html5lib.parseFragment(f"<div>{html}</div>", treebuilder="lxml", namespaceHTMLElements=False)
    root = next(n for n in nodes if not isinstance(n, str))
    _restore_prefixed(root)
    return _with_default_namespaces(root)


def repairs(html: str) -> list[str]:
    """What the HTML5 parser had to repair in a block of raw HTML (unclosed or stray tags)."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("lxml"), namespaceHTMLElements=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser.parseFragment(html)
    return [str(code).replace("-", " ") for _, code, _ in parser.errors]


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
    copy = etree.Element(element.tag, dict(element.attrib), nsmap=nsmap)
    copy.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            new = _copy_tree(child, nsmap)
            new.tail = child.tail
            copy.append(new)
    return copy


def _line_of(element: etree._Element) -> int | None:
    for node in element.iterancestors():
        if node.get("data-line"):
            return int(node.get("data-line", "0"))
    return int(element.get("data-line", "0")) or None


def clean(root: etree._Element) -> list[Removal]:
    """Remove elements and attributes that run code; return what was removed."""
    removed: list[Removal] = []
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            if isinstance(element, etree._ProcessingInstruction | etree._Comment):
                drop(element)
            continue
        local = etree.QName(element).localname.lower()
        if local in DROPPED:
            removed.append(Removal(f"<{local}> element", _line_of(element)))
            drop(element)
            continue
        for name, value in list(element.attrib.items()):
            plain = etree.QName(name).localname.lower()
            if plain.startswith("on"):
                removed.append(Removal(f"'{plain}' attribute", _line_of(element)))
                del element.attrib[name]
            elif name in URL_ATTRS and value.strip().lower().replace(" ", "").startswith(SCRIPT_SCHEMES):
                removed.append(Removal(f"'{value.split(':', 1)[0]}:' link", _line_of(element)))
                del element.attrib[name]
    return removed


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
    for element in root.iter():
        if isinstance(element.tag, str) and element.text is None and len(element) == 0:
            namespace = etree.QName(element).namespace
            if namespace is None and element.tag not in VOID:
                element.text = ""
    markup = etree.tostring(root, encoding="unicode")
    start = markup.index(">") + 1
    return "" if markup.endswith("/>") else markup[start : markup.rindex("</div>")]

"""Every attribute HTML, SVG and MathML define as holding a URL goes through octavo's one rule.

The table below is written from the specifications, not from octavo's code: HTML's attribute
index (the attributes whose value is a "valid URL", a list of them, or a srcset), the attributes
HTML lists as obsolete but browsers still load (``background``, ``longdesc``...), SVG 1.1 and
SVG 2 (every ``href``/``xlink:href``, the properties that take a ``<url>`` or ``<funciri>``, and
``xml:base``), and MathML (``href``, ``altimg``, ``src``, ``definitionURL``). Each is rendered
in a chapter with a hostile value: it must not reach the output, and the chapter's line must
say why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from octavo import sanitize, urls
from octavo.diagnostics import Severity
from octavo.model import Chapter
from octavo.render import OUTSIDE, RenderContext, render_chapter

SVG = "{http://www.w3.org/2000/svg}"
MATH = "{http://www.w3.org/1998/Math/MathML}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

HTML_URL_ATTRIBUTES = [  # HTML Living Standard, "Attributes" index, and "Obsolete features"
    ("a", "href"), ("a", "ping"), ("area", "href"), ("area", "ping"), ("audio", "src"), ("base", "href"),
    ("blockquote", "cite"), ("button", "formaction"), ("del", "cite"), ("embed", "src"), ("form", "action"),
    ("iframe", "src"), ("img", "src"), ("img", "srcset"), ("input", "formaction"), ("input", "src"),
    ("ins", "cite"), ("link", "href"), ("link", "imagesrcset"), ("object", "data"), ("q", "cite"),
    ("script", "src"), ("source", "src"), ("source", "srcset"), ("track", "src"), ("video", "poster"),
    ("video", "src"), ("div", "itemid"), ("div", "itemtype"),
    # obsolete, and still loaded or followed by browsers
    ("body", "background"), ("table", "background"), ("td", "background"), ("th", "background"),
    ("img", "longdesc"), ("iframe", "longdesc"), ("frame", "longdesc"), ("frame", "src"), ("img", "lowsrc"),
    ("img", "dynsrc"), ("object", "codebase"), ("object", "classid"), ("object", "archive"),
    ("applet", "codebase"), ("applet", "archive"), ("head", "profile"), ("html", "manifest"), ("menuitem", "icon"),
    ("iframe", "srcdoc"), ("span", "style"),
]
SVG_HREF_ELEMENTS = ["a", "animate", "animateColor", "animateMotion", "animateTransform", "set", "discard",
                     "feImage", "filter", "linearGradient", "radialGradient", "image", "mpath", "pattern", "script",
                     "textPath", "use", "altGlyph", "glyphRef", "tref", "cursor", "color-profile", "font-face-uri"]
SVG_URL_PROPERTIES = ["fill", "stroke", "clip-path", "mask", "filter", "marker", "marker-start", "marker-mid",
                      "marker-end", "cursor", "style"]
SVG_URL_ATTRIBUTES = ([(f"{SVG}{tag}", name) for tag in SVG_HREF_ELEMENTS for name in ("href", XLINK_HREF)]
                      + [(f"{SVG}rect", name) for name in SVG_URL_PROPERTIES]
                      + [(f"{SVG}g", "{http://www.w3.org/XML/1998/namespace}base")])
MATHML_URL_ATTRIBUTES = [(f"{MATH}mi", "href"), (f"{MATH}mrow", "href"), (f"{MATH}math", "altimg"),
                         (f"{MATH}mglyph", "src"), (f"{MATH}csymbol", "definitionURL")]
EVERY = HTML_URL_ATTRIBUTES + SVG_URL_ATTRIBUTES + MATHML_URL_ATTRIBUTES


@pytest.mark.parametrize(("tag", "name"), EVERY)
def test_the_rule_knows_every_url_attribute(tag: str, name: str) -> None:
    assert urls.kind(tag, name) is not None


HOSTILE = ["file:///etc/passwd", "../../outside/secret.png", "https://tracker.example/pixel.png"]
VOID = {"img", "source", "track", "embed", "input", "link", "base", "area", "frame"}
INSIDE = {"source": "picture", "track": "video", "area": "map", "td": "table><tr", "th": "table><tr",
          "menuitem": "menu"}


def markup(tag: str, name: str, value: str) -> str:
    """The element in a chapter, as an author would write it; raw HTML is parsed as a browser would."""
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}")
        attribute = {XLINK_HREF: "xlink:href", urls.XML_BASE: "xml:base"}.get(name, name)
        if name in SVG_URL_PROPERTIES and name != "style":
            value = f"url({value})"
        if name == "style":
            value = f"fill: url({value})"
        root = "svg" if "svg" in namespace else "math"
        inner = f'<{local} {attribute}="{value}"></{local}>' if local != root else ""
        opened = f'<{root} {attribute}="{value}">' if local == root else f"<{root}>"
        return f"{opened}{inner}</{root}>"
    if name == "style":
        value = f"background: url({value})"
    element = f'<{tag} {name}="{value}">' + ("" if tag in VOID else f"x</{tag}>")
    outer = INSIDE.get(tag)
    return f"<{outer}>{element}</{outer.split('>')[0]}>" if outer else element


def render(tmp_path: Path, text: str) -> tuple[str, list[tuple[Severity, str, int | None]]]:
    (tmp_path / "images").mkdir(exist_ok=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "images" / "ok.png")
    (tmp_path / "images" / "icons.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><g id="star"/></svg>',
                                                   encoding="utf-8")
    chapter = Chapter(id="one", source="one.md", text=f"# One\n\n{text}\n\nAfter.\n")
    rendered = render_chapter(chapter, RenderContext(str(tmp_path), "en", {"one.md": "one"}))
    return rendered.html, [(d.severity, d.code, d.line) for d in rendered.diagnostics]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(("tag", "name"), EVERY)
def test_a_hostile_url_in_any_url_attribute_never_reaches_the_output(tmp_path: Path, tag: str, name: str,
                                                                     value: str) -> None:
    html, problems = render(tmp_path, markup(tag, name, value))
    if value.startswith("https:") and urls.kind(tag, name) in (urls.Kind.LINK, urls.Kind.CITATION):
        return  # a link or a citation may name a web page: nothing loads it (see test_sound_urls_are_kept)
    if (tag, name, value) == ("a", "href", "../../outside/secret.png"):
        # a link out of the book, to a page served beside it: only the web edition may keep it (it loads
        # nothing), the EPUB and PDF keep its text (tests/test_mdbook_web.py), and the author is told
        assert f'href="{OUTSIDE}../../outside/secret.png"' in html, html
        assert (Severity.WARNING, "link.outside", 3) in problems
        return
    assert value not in html and "file:" not in html and "../outside" not in html
    assert any(line == 3 for _, _, line in problems), problems
    kind = urls.kind(tag, name)
    if kind in (urls.Kind.RESOURCE, urls.Kind.STYLE) and not sanitize._dropped(tag):
        assert (Severity.ERROR, "image.remote" if ":" in value else "image.outside", 3) in problems


@pytest.mark.parametrize(("text", "kept"), [
    ('<img src="images/ok.png" srcset="images/ok.png 1x, ./images/ok.png 2x" alt="a">',
     'srcset="images/ok.png 1x, images/ok.png 2x"'),
    ('<picture><source srcset="images/ok.png 600w" sizes="50vw"><img src="images/ok.png" alt="a"></picture>',
     'srcset="images/ok.png 600w"'),
    ('<span style="background: image-set(\'./images/ok.png\' 1x)">x</span>', "image-set(url(images/ok.png) 1x)"),
    ('<svg><rect fill="url(#g)"/><use href="#g"/><linearGradient id="g"/></svg>', 'fill="url(#g)"'),
    ('<svg><use href="./images/icons.svg#star"/></svg>', 'href="images/icons.svg#star"'),
    ('<q cite="https://example.org/source">x</q>', 'cite="https://example.org/source"'),
    ('<a href="https://example.org/page">x</a>', 'href="https://example.org/page"'),
])
def test_sound_urls_are_kept_and_placed(tmp_path: Path, text: str, kept: str) -> None:
    html, problems = render(tmp_path, text)
    assert kept in html and not [p for p in problems if p[0] is Severity.ERROR], problems


@pytest.mark.parametrize(("value", "candidates"), [
    ("a.png 1x, b.png 2x", [("a.png", "1x"), ("b.png", "2x")]),
    ("a.png,b.png", [("a.png,b.png", "")]),  # a comma inside a URL belongs to it
    ("a.png, b.png 2x,c.png 3x", [("a.png", ""), ("b.png", "2x"), ("c.png", "3x")]),
    ("  a.png   100w ,  data:image/png;base64,AAA= 200w", [("a.png", "100w"), ("data:image/png;base64,AAA=", "200w")]),
    ("a.png (max-width: 1px, 2px) 1x, b.png", [("a.png", "(max-width: 1px, 2px) 1x"), ("b.png", "")]),
])
def test_srcset_is_split_as_html_splits_it(value: str, candidates: list[tuple[str, str]]) -> None:
    assert urls.srcset(value) == candidates


def test_css_urls_are_found_however_written() -> None:
    css = (r'background: url( "a b.png" ), u\72l(c.png) image-set("d.png" 1x, url(e.png) 2x); '
           r"fill: URL(#g); mask: src('f.svg')")
    found = urls.urls("style", css, urls.Kind.STYLE)
    assert sorted(found) == ["#g", "a b.png", "c.png", "d.png", "e.png", "f.svg"]

"""Generated Markdown and front matter: the build succeeds with a parseable EPUB or fails with
diagnostics, never with a traceback. A few of the successful EPUBs also go through EPUBCheck.
Generated soups of URL-bearing attributes and SVG files: whatever they hold, no output refers to
anything outside the book."""

from __future__ import annotations

import posixpath
import shutil
import tempfile
import zipfile
from html import escape
from pathlib import Path
from urllib.parse import unquote

import tinycss2
from conftest import build_into, epubcheck_messages
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image
from unit.test_urls import EVERY, markup

from octavo import sanitize
from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.paths import is_url
from octavo.pipeline import build

WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
RAW_HTML = st.sampled_from([
    "<b>bold", "</i>", "<div><p>unclosed", "<span onclick='x()'>hi</span>", "<script>alert(1)</script>",
    "<img src='x.png'>", "<a href='javascript:x'>j</a>", "<svg viewBox='0 0 1 1'><circle r='1'/></svg>",
    "<table><td>cell", "<!-- comment -->", "&nbsp;&copy;&#x1F600;", "<br>", "<p epub:type='x'>e</p>", "<?pi x?>",
    "<center>centred", "<font color='red'>f</font>", "<my-widget>w</my-widget>", "<o:p></o:p>",
])
INLINE = st.one_of(
    WORDS,
    WORDS.map(lambda w: f"*{w}*"),
    WORDS.map(lambda w: f"**{w}**"),
    WORDS.map(lambda w: f"[{w}](two.md#{w})"),
    WORDS.map(lambda w: f"[{w}](https://example.org/{w})"),
    st.integers(1, 3).map(lambda n: f"[^{n}]"),
    RAW_HTML,
)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
BLOCK = st.one_of(
    LINE,
    LINE.map(lambda s: f"## {s}"),
    LINE.map(lambda s: f"> {s}"),
    st.lists(LINE, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}\n  - {i}" for i in items)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"1. {i}" for i in items)),
    st.integers(1, 3).flatmap(lambda n: LINE.map(lambda s: f"[^{n}]: {s}")),
    LINE.map(lambda s: f"| a | b |\n|---|---|\n| {s} | x |"),
    RAW_HTML,
)
FRONT = st.one_of(
    st.just(""),
    WORDS.map(lambda w: f"---\ntitle: {w!r}\n---\n"),
    st.sampled_from(["---\ntitle: [open\n---\n", "---\nid: Bad Id\n---\n", "---\nnever closed: x\n",
                     "---\nnumber: 3\n---\n", "---\n- a list\n---\n"]),
)
CHAPTER = st.tuples(FRONT, st.lists(BLOCK, min_size=0, max_size=8)).map(lambda t: t[0] + "\n\n".join(t[1]) + "\n")
CHECKED: list[int] = []


def build_once(one: str, two: str) -> Path | None:
    work = Path(tempfile.mkdtemp(prefix="octavo-fuzz-"))
    try:
        root = work / "book"
        root.mkdir()
        (root / "book.toml").write_text('[book]\ntitle = "Fuzz"\nchapters = ["one.md", "two.md"]\n', encoding="utf-8")
        (root / "one.md").write_text(one, encoding="utf-8")
        (root / "two.md").write_text(two, encoding="utf-8")
        try:
            build(root, resolve(root, output=work / "out", formats=["epub"]))
        except BookError as exc:
            assert exc.diagnostics, "a failed build says why"
            return None
        epub = work / "out" / "fuzz.epub"
        with zipfile.ZipFile(epub) as archive:
            for name in archive.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    etree.fromstring(archive.read(name))
        if len(CHECKED) < 2 and "<" in one + two:
            CHECKED.append(1)
            assert epubcheck_messages(epub) == []
        return epub
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHAPTER, CHAPTER)
def test_generated_books_build_or_fail_cleanly(one: str, two: str) -> None:
    build_once(one, two)


# Attribute soups: every URL-bearing attribute, hostile values, SVG files made of the same --------

SECRET = "FUZZ-SECRET-8b1f"
HOSTILE = st.sampled_from([
    "file:///etc/passwd", "FILE:///etc/passwd", "file:secret.txt", "../outside/secret.txt", "../../outside/secret.png",
    "/etc/passwd", "//evil.example/x.png", "http://evil.example/x.png", "https://evil.example/x.svg#a",
    "javascript:alert(1)", " javascript:alert(1)", "vbscript:x", "data:text/html,<b>x</b>",
    "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%3E%3Cscript%2F%3E%3C%2Fsvg%3E",
    "%2e%2e/outside/secret.png", "images/../../outside/secret.png", "images\\..\\..\\outside\\secret.png",
    "images/ok.png", "images/ok.png#frag", "images/ok.png?x=1", "#frag", "", "images/soup.svg", "images/doc.svg",
    "one.md", "one.md#top", "https://example.org/page", "mailto:someone@example.org",
])
WRAPPED = st.one_of(HOSTILE, HOSTILE.map(lambda url: f"url({url})"), HOSTILE.map(lambda url: f"u\\72l('{url}')"),
                    HOSTILE.map(lambda url: f'image-set("{url}" 1x)'),
                    st.lists(HOSTILE, min_size=1, max_size=3).map(lambda us: ", ".join(f"{u} {n + 1}x"
                                                                                       for n, u in enumerate(us))))
SVG_CHILDREN = ["image", "use", "a", "feImage", "pattern", "linearGradient", "rect", "text", "g", "set", "animate",
                "foreignObject", "script", "style", "mpath", "textPath"]
SVG_ATTRIBUTES = ["href", "xlink:href", "fill", "style", "filter", "mask", "clip-path", "xml:base", "onload",
                  "attributeName", "id", "values"]
SVG_FILE = st.tuples(
    st.sampled_from(["", '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
                     '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>', '<!DOCTYPE svg SYSTEM "file:///etc/passwd">',
                     '<?xml-stylesheet href="file:///etc/passwd"?>']),
    st.lists(st.tuples(st.sampled_from(SVG_CHILDREN), st.sampled_from(SVG_ATTRIBUTES), WRAPPED), max_size=5),
).map(lambda t: t[0] + '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
      + "".join(f'<{tag} {name}="{escape(value)}"/>' for tag, name, value in t[1]) + "</svg>")
ELEMENT = st.tuples(st.sampled_from(EVERY), WRAPPED).map(
    lambda t: markup(t[0][0], t[0][1], escape(t[1]).replace("url(url(", "url(")))
SOUP = st.lists(st.one_of(ELEMENT, st.just("![a](images/soup.svg)"), st.just("Plain words.")), min_size=1, max_size=6)
SOUP_CHECKED: list[int] = []
WEB = ("http:", "https:", "mailto:", "tel:", "ftp:")


PLAIN_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'


def referenced(files: dict[str, bytes], links_out: bool = False) -> list[str]:
    """Every reference an output's documents make that is not to one of its own files, a fragment,
    a checked data: image, or (from a link or a citation) a web page; and any secret carried.

    ``links_out``: the web edition keeps a relative link that leaves the book as it was written
    (issue 18: ``../std/index.html`` in an mdBook book is another book of the same site), with a
    warning. It names a page beside the site and brings nothing into it, so it counts as a web
    page: the secret it names must still not be in any file."""
    wrong = [name for name, data in files.items() if SECRET.encode() in data]
    for name, data in files.items():
        if name.endswith((".xhtml", ".svg")):
            tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
            wrong += [f"{name}: DOCTYPE" for _ in [1] if name.endswith(".svg") and tree.getroottree().docinfo.doctype]
        elif name.endswith(".html"):
            tree = sanitize._html5_fragment(data.decode("utf-8").split("<body", 1)[-1].split(">", 1)[-1])
        else:
            continue
        folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        for element in tree.iter():
            for attribute, value in element.items() if isinstance(element.tag, str) else ():
                for url in _urls_in(str(element.tag), attribute, value):
                    followed = _followed(str(element.tag), attribute)
                    if links_out and followed and _relative(url):
                        continue
                    if not _reaches_inside(url, folder, files, followed):
                        wrong.append(f"{name}: {attribute}={value!r}")
    return wrong


# Which attributes hold URLs, read from the specifications' list (tests/unit/test_urls.py), not
# from octavo.urls, which is what is being tested.
NAMED = {name for _, name in EVERY}
SPACED = {"itemtype", "ping", "archive"}


def _urls_in(tag: str, name: str, value: str) -> list[str]:
    svg = tag.startswith("{http://www.w3.org/2000/svg}")
    if name == "style" or (svg and name not in ("href", "{http://www.w3.org/1999/xlink}href")):
        return _css_urls(tinycss2.parse_component_value_list(value))
    if name not in NAMED:
        return []
    if name in ("srcset", "imagesrcset"):
        return [candidate.split()[0] for candidate in value.split(", ") if candidate.split()]
    return value.split() if name in SPACED else [value.strip()]


def _css_urls(tokens: list[object]) -> list[str]:
    found: list[str] = []
    for token in tokens:
        kind = getattr(token, "type", "")
        if kind == "url":
            found.append(str(getattr(token, "value", "")))
        elif kind == "function":
            arguments = list(getattr(token, "arguments", []))
            if str(getattr(token, "lower_name", "")) in ("url", "src", "image-set", "-webkit-image-set"):
                found += [str(getattr(t, "value", "")) for t in arguments if getattr(t, "type", "") == "string"]
            found += _css_urls(arguments)
        elif isinstance(getattr(token, "content", None), list):
            found += _css_urls(list(getattr(token, "content", [])))
    return found


def _followed(tag: str, name: str) -> bool:
    """Whether the attribute is a link or a citation, which may name a web page (nothing loads it)."""
    local = tag.rpartition("}")[2]
    math = tag.startswith("{http://www.w3.org/1998/Math/MathML}")
    return (name.endswith("href") and (local in ("a", "area") or math)) or name in ("cite", "itemid", "itemtype",
                                                                                    "definitionURL")


def _relative(url: str) -> bool:
    return bool(url) and not is_url(url) and not url.startswith(("/", "#")) and "\\" not in url


def _reaches_inside(url: str, folder: str, files: dict[str, bytes], followed: bool) -> bool:
    if url.startswith("#") or not url:
        return True
    if url.lower().startswith("data:image/") and not url.lower().startswith("data:image/svg"):
        return True
    if url.lower().startswith(WEB):
        return followed
    if is_url(url) or url.startswith("/") or "\\" in url:
        return False
    path = posixpath.normpath(folder + unquote(url.split("#", 1)[0].split("?", 1)[0]))
    return not path.startswith("..") and path in files


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SOUP, SVG_FILE, SVG_FILE)
@example(['<a href="../outside/secret.txt">out</a>', "[md](../outside/secret.txt)"], PLAIN_SVG, PLAIN_SVG)
def test_attribute_soups_reference_nothing_outside_the_book(soup: list[str], own: str, other: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="octavo-soup-"))
    try:
        (work / "outside").mkdir()
        (work / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
        (work / "outside" / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + SECRET.encode())
        root = work / "book"
        (root / "images").mkdir(parents=True)
        (root / "book.toml").write_text('[book]\ntitle = "Soup"\nchapters = ["one.md"]\n', encoding="utf-8")
        (root / "one.md").write_text("# One\n\n" + "\n\n".join(soup) + "\n", encoding="utf-8")
        (root / "secret.txt").symlink_to(work / "outside" / "secret.txt")
        Image.new("RGB", (6, 4), "teal").save(root / "images" / "ok.png")
        (root / "images" / "soup.svg").write_text(own, encoding="utf-8")
        (root / "images" / "doc.svg").write_text(other, encoding="utf-8")
        formats = ["epub", "web"] + (["pdf"] if len(SOUP_CHECKED) < 3 else [])
        try:
            build_into(root, work / "out", formats, jobs=1)
        except BookError as exc:
            assert exc.diagnostics and all(d.path and d.message for d in exc.diagnostics), "a failure says where"
            assert not (work / "out" / "soup.epub").exists()
            return
        SOUP_CHECKED.append(1)
        with zipfile.ZipFile(work / "out" / "soup.epub") as archive:
            members = {name.removeprefix("EPUB/"): archive.read(name) for name in archive.namelist()}
        site = {p.relative_to(work / "out" / "site").as_posix(): p.read_bytes()
                for p in (work / "out" / "site").rglob("*") if p.is_file()}
        assert referenced(members) == [] and referenced(site, links_out=True) == []
        if "pdf" in formats:
            assert SECRET.encode() not in (work / "out" / "soup.pdf").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_link_around_dropped_markup_leaves_no_empty_span_in_the_contents(tmp_path: Path) -> None:
    """Found by the fuzzer: a heading's link whose words are only a stray end tag (dropped) became an
    empty ``<span>`` in the navigation document, which EPUBCheck rejects (RSC-005)."""
    root = tmp_path / "book"
    root.mkdir()
    (root / "book.toml").write_text('[book]\ntitle = "Links"\nchapters = ["one.md"]\n', encoding="utf-8")
    chapter = "# One\n\n## Heading [</table>](one.md#x)\n\n## A [linked](https://example.org/) word\n"
    (root / "one.md").write_text(chapter, encoding="utf-8")
    build(root, resolve(root, output=tmp_path / "out", formats=["epub"]))
    epub = tmp_path / "out" / "links.epub"
    assert epubcheck_messages(epub) == []
    with zipfile.ZipFile(epub) as archive:
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
    entries = ["".join(a.itertext()) for a in nav.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "A linked word" in entries and "Heading " in entries
    assert not list(nav.iter("{http://www.w3.org/1999/xhtml}span"))

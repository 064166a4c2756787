"""One chapter, on its own: Markdown -> safe XHTML with ids, resolved references and an index.

:func:`render_chapter` is a plain function of picklable inputs (the chapter and a
:class:`RenderContext`), so chapters can be rendered in any order, in other processes, and cached
by content. What it needs to know about the rest of the book is only which source file is which
chapter; whether a ``#fragment`` in another chapter exists is checked later, book-wide, by
:mod:`octavo.transforms.xrefs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

from lxml import etree

from octavo import markdown, math, sanitize
from octavo.assets import check_image
from octavo.diagnostics import Diagnostic, error, warning
from octavo.memo import digest
from octavo.model import Chapter, Heading, RemoteImage, RenderedChapter, XRef
from octavo.paths import OutsideBook, book_relative, is_url, slugify

XREF = "octavo:"  # internal links are written octavo:<chapter-id>#<fragment> until a writer places them
HEADINGS = {f"h{n}": n for n in range(1, 7)}
ROLE_TO_EPUB_TYPE = {"doc-noteref": "noteref", "doc-footnote": "footnote", "doc-endnotes": "footnotes",
                     "doc-backlink": "backlink"}
WEB_SCHEMES = ("http:", "https:", "mailto:", "tel:", "ftp:")
REMOTE_SCHEMES = ("http:", "https:")
MEDIA = frozenset({"img", "image", "source", "video", "audio", "track", "use"})
MEDIA_ATTRIBUTES = ("src", f"{{{sanitize.XLINK_NS}}}href", "href", "poster")
# The elements each pass works on, found by lxml in document order rather than by visiting every
# element of a long chapter in Python.
LINKS_AND_MEDIA = tuple(f"{{*}}{name}" for name in ("a", *sorted(MEDIA)))  # in any namespace or none
IDS = etree.XPath("descendant-or-self::*/@id")
LINED = etree.XPath("descendant-or-self::*[@data-line]")
WITH_ROLE = etree.XPath("descendant-or-self::*[@role]")


@dataclass(frozen=True)
class RenderContext:
    """What one chapter needs from the book: small, picklable, the same for every chapter."""

    root: str
    language: str
    chapter_ids: Mapping[str, str] = field(default_factory=dict)  # book path -> chapter id
    allow_remote: bool = False


def render_chapter(chapter: Chapter, ctx: RenderContext) -> RenderedChapter:
    html, env = markdown.to_xhtml(chapter.text, ctx.language, chapter.first_line)
    problems = [warning(code, message, chapter.source, line) for code, message, line in env["problems"]]
    problems += math.diagnostics(chapter.source, env)
    root = sanitize.parse(html, raw=env["raw_html"])
    problems += _unsafe_html(chapter.source, env.get("raw_suspects", []), sanitize.clean(root))
    problems += _malformed_html(chapter.source, env.get("raw_blocks", []))
    walker = _Walker(chapter, ctx)
    walker.walk(root)
    problems += walker.problems
    headings = _assign_heading_ids(root)
    _mark_epub_types(root)
    title_heading = next((h for h in headings if h.level == 1), None)
    title = chapter.title or (title_heading.text if title_heading else Path(chapter.source).stem)
    for element in LINED(root):
        del element.attrib["data-line"]
    anchors = frozenset(str(ident) for ident in IDS(root) if ident)
    return RenderedChapter(
        id=chapter.id,
        source=chapter.source,
        html=sanitize.serialize(root),
        title=title,
        title_html=title_heading.html if title_heading and not chapter.title else escape(title, quote=False),
        has_title_heading=title_heading is not None,
        headings=tuple(headings),
        anchors=anchors,
        xrefs=tuple(walker.xrefs),
        images=tuple(dict.fromkeys(walker.images)),
        remote=tuple(walker.remote),
        notes=len(env.get("footnotes", {}).get("list", {})),
        diagnostics=tuple(problems),
    )


def place_remote(chapter: RenderedChapter, names: Mapping[str, str | None]) -> RenderedChapter:
    """The chapter with its remote images' addresses replaced by their book paths.

    ``names`` maps a URL to the book path of its download, or to None when the download failed:
    then the attribute goes, as it does for a broken local image, so no output points at the web.
    A separate step from :func:`render_chapter` so that rendering, and its cache, never depend on
    the network; it edits the lxml tree, like every other change to a chapter's markup.
    """
    if not chapter.remote:
        return chapter
    root = sanitize.parse(chapter.html, raw=False)
    placed: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).localname not in MEDIA:
            continue
        for attribute in MEDIA_ATTRIBUTES:
            value = element.get(attribute)
            if value is None or value not in names:
                continue
            name = names[value]
            if name is None:
                del element.attrib[attribute]
            else:
                element.set(attribute, name)
                placed.append(name)
    return replace(chapter, html=sanitize.serialize(root), images=tuple(dict.fromkeys([*chapter.images, *placed])),
                   digest=digest(chapter.digest, [(image.url, names.get(image.url)) for image in chapter.remote])
                   if chapter.digest else "")


def _unsafe_html(source: str, suspects: list[tuple[int, str]], removed: list[sanitize.Removal]
                 ) -> list[Diagnostic]:
    """One warning per removal, at the line of the raw HTML it came from where that is known."""
    located: list[tuple[int | None, sanitize.Removal]] = []
    for line, content in suspects:
        located += [(line, r) for r in sanitize.clean(sanitize.parse(content, raw=True))]
    unplaced = list(removed)
    for _, found in located:
        same = next((r for r in unplaced if (r.what, r.kept) == (found.what, found.kept)), None)
        if same is not None:
            unplaced.remove(same)
    located += [(removal.line, removal) for removal in unplaced]
    return [_removal_warning(source, line, removal) for line, removal in located]


def _removal_warning(source: str, line: int | None, removal: sanitize.Removal) -> Diagnostic:
    if removal.kept:
        return warning("html.unknown", f"unwrapped {removal.what}, which HTML does not have; its content is kept",
                       source, line, hint="EPUB readers accept only HTML's own elements; style a <span> or <div> "
                                          "with a class in styles/book.css instead")
    return warning("html.unsafe", f"removed {removal.what}", source, line, hint=_removal_hint(removal.what))


def _removal_hint(what: str) -> str:
    if what == "<style> element":
        return "put the rules in the book's styles/book.css, which every output loads"
    return "books cannot run scripts or embed other documents; octavo removes them from every output"


def _malformed_html(source: str, blocks: list[tuple[int, str]]) -> list[Diagnostic]:
    """Raw HTML blocks checked together, so ``<div>`` … Markdown … ``</div>`` is not a problem."""
    joined, starts, line = [], [], 1
    for _, content in blocks:
        starts.append(line)
        joined.append(content)
        line += content.count("\n") + 1
    problems: list[Diagnostic] = []
    if not blocks:  # nothing to repair, and html5lib need not even be loaded
        return problems
    for html_line, what in sanitize.repairs("\n".join(joined))[:10]:
        index = max(i for i, start in enumerate(starts) if start <= html_line) if starts else 0
        at = blocks[index][0] + html_line - starts[index] if blocks else None
        problems.append(warning("html.malformed", f"raw HTML was repaired ({what})", source, at,
                                hint="close every tag you open; octavo writes the repaired markup"))
    return problems


class _Walker:
    """Resolves every link and image of one chapter, collecting problems with their lines."""

    def __init__(self, chapter: Chapter, ctx: RenderContext) -> None:
        self.chapter = chapter
        self.ctx = ctx
        self.root = Path(ctx.root)
        self.base = chapter.source.rsplit("/", 1)[0] if "/" in chapter.source else ""
        self.problems: list[Diagnostic] = []
        self.xrefs: list[XRef] = []
        self.images: list[str] = []
        self.remote: list[RemoteImage] = []

    def walk(self, root: etree._Element) -> None:
        for element in list(root.iter(*LINKS_AND_MEDIA)):
            if etree.QName(element).localname != "a":
                self.media(element)
            elif element.get("href") is not None:
                self.link(element)

    def link(self, element: etree._Element) -> None:
        href = element.get("href", "").strip()
        line = sanitize.line_of(element)
        if href.startswith("#") or not href:
            fragment = href[1:]
            element.set("href", f"{XREF}{self.chapter.id}#{fragment}")
            self.xrefs.append(XRef(self.chapter.id, fragment, line))
            return
        if is_url(href):
            if not href.lower().startswith(WEB_SCHEMES):
                self.problems.append(warning("link.scheme", f"removed a link to '{href}'", self.chapter.source,
                                             line, hint="links may point to web pages and chapters only"))
                del element.attrib["href"]
            return
        target, _, fragment = href.partition("#")
        try:
            path = book_relative(self.root, self.base, target)
        except OutsideBook:
            self.problems.append(error("link.outside", f"link '{href}' leaves the book folder",
                                       self.chapter.source, line, hint="link to chapters inside the book"))
            del element.attrib["href"]
            return
        chapter_id = self._chapter_at(path)
        if chapter_id is None:
            self._unlinked(element, href, path, line)
            return
        element.set("href", f"{XREF}{chapter_id}#{fragment}")
        self.xrefs.append(XRef(chapter_id, fragment, line))

    def _chapter_at(self, path: str) -> str | None:
        """The chapter a path names; mdBook's rendered names (``x.html``, ``dir/index.html`` for
        ``dir/README.md``) are understood, as mdBook projects link that way."""
        candidates = [path]
        if path.endswith(".html"):
            stem = path[: -len(".html")]
            candidates.append(f"{stem}.md")
            if stem == "index" or stem.endswith("/index"):
                candidates.append(f"{stem[: -len('index')]}README.md")
        elif path == "" or path.endswith("/"):
            candidates += [f"{path}README.md", f"{path}index.md"]
        return next((self.ctx.chapter_ids[c] for c in candidates if c in self.ctx.chapter_ids), None)

    def _unlinked(self, element: etree._Element, href: str, path: str, line: int | None) -> None:
        exists = (self.root / path).exists()
        message = (f"link to '{href}', a file that is not a chapter of the book" if exists
                   else f"link to '{href}', which does not exist")
        hint = "add the file to the outline in book.toml" if path.endswith(".md") else \
            "link to a chapter, or to a web address"
        self.problems.append(warning("link.missing", message, self.chapter.source, line, hint=hint))
        del element.attrib["href"]

    def media(self, element: etree._Element) -> None:
        for name in MEDIA_ATTRIBUTES:
            value = element.get(name)
            if value is None:
                continue
            line = sanitize.line_of(element)
            if self.ctx.allow_remote and value.lower().startswith(REMOTE_SCHEMES):
                self.remote.append(RemoteImage(value, line))
                continue
            resolved, problem = _resolve_media(self.root, self.base, value)
            if problem is not None:
                self.problems.append(error(problem[0], problem[1], self.chapter.source, line, hint=problem[2]))
                del element.attrib[name]
                continue
            if resolved is not None:
                element.set(name, resolved)
                self.images.append(resolved)
        if etree.QName(element).localname == "img" and not element.get("alt"):
            element.set("alt", "")
            self.problems.append(warning("image.alt", "image has no alt text", self.chapter.source,
                                         sanitize.line_of(element), hint="describe the image: ![what it shows](path)"))


def _resolve_media(root: Path, base: str, value: str) -> tuple[str | None, tuple[str, str, str] | None]:
    """(book path, None) for a good local image; (None, problem) for anything else."""
    if value.startswith("data:image/"):
        return None, None
    if value.startswith("#"):
        return None, None
    if is_url(value):
        return None, ("image.remote", f"image '{value}' is not a file in the book",
                      "download it into the book folder, or build with --allow-remote")
    try:
        path = book_relative(root, base, value)
    except OutsideBook:
        return None, ("image.outside", f"image '{value}' is outside the book folder",
                      "copy the image into the book folder")
    problem = check_image(root, path)
    if problem is not None:
        return None, ("image.invalid", f"image '{value}': {problem}", "check the path and the file")
    return path, None


def _assign_heading_ids(root: etree._Element) -> list[Heading]:
    """Every heading gets an id: its own, or a slug of its text made unique in the chapter."""
    taken = {str(ident) for ident in IDS(root) if ident}
    headings: list[Heading] = []
    for element in root.iter(*HEADINGS):
        if _inside(element, "aside"):
            continue
        clean = _plain_heading(element)
        text = " ".join("".join(clean.itertext()).split())
        ident = element.get("id")
        if not ident:
            base = slugify(text)
            ident, n = base, 1
            while ident in taken:
                n += 1
                ident = f"{base}-{n}"
            taken.add(ident)
            element.set("id", ident)
        line = element.get("data-line")
        headings.append(Heading(HEADINGS[element.tag], ident, text, sanitize.serialize(clean),
                                int(line) if line else None))
    return headings


def _inside(element: etree._Element, tag: str) -> bool:
    return any(isinstance(a.tag, str) and etree.QName(a).localname == tag for a in element.iterancestors())


def _plain_heading(element: etree._Element) -> etree._Element:
    """A copy of a heading without its note calls, links, ids or TeX annotations, to reuse in a
    contents list."""
    copy = deepcopy(element)
    copy.tail = None  # the text after the heading (raw HTML can put some there) is not part of it
    for note in copy.xpath(".//*[@role='doc-noteref']"):
        parent = note.getparent()
        sanitize.drop(parent if parent is not None and parent.tag == "sup" and len(parent) == 1 else note)
    for anchor in copy.xpath(".//a"):
        anchor.tag = "span"
        anchor.attrib.clear()
    for annotation in list(copy.iter(f"{{{sanitize.MATHML_NS}}}annotation")):
        sanitize.drop(annotation)  # a formula's TeX: its text is what MathML shows (α, not \alpha)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("id", None)
    copy.attrib.clear()
    copy.tag = "div"
    return copy


def _mark_epub_types(root: etree._Element) -> None:
    for element in WITH_ROLE(root):
        kind = ROLE_TO_EPUB_TYPE.get(element.get("role", ""))
        if kind and not element.get(sanitize.EPUB_TYPE):
            element.set(sanitize.EPUB_TYPE, kind)

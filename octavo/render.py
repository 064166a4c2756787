"""One chapter, on its own: Markdown -> safe XHTML with ids, resolved references and an index.

:func:`render_chapter` is a plain function of picklable inputs (the chapter and a
:class:`RenderContext`), so chapters can be rendered in any order, in other processes, and cached
by content. What it needs to know about the rest of the book is only which source file is which
chapter; whether a ``#fragment`` in another chapter exists is checked later, book-wide, by
:mod:`octavo.transforms.xrefs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from functools import cached_property
from html import escape
from pathlib import Path

from lxml import etree

from octavo import markdown, math, refs, sanitize, urls
from octavo.assets import (
    DEFAULT_MEGAPIXELS,
    MEGAPIXEL,
    Inspection,
    Limits,
    data_url,
    inspect_data,
    inspect_file,
    media_type,
    without_doctype,
)
from octavo.diagnostics import Diagnostic, error, notice, warning
from octavo.mdbook import web as mdbook
from octavo.memo import digest
from octavo.model import Chapter, CrossRef, Heading, RemoteImage, RenderedChapter, XRef
from octavo.paths import OutsideBook, book_relative, is_url, slugify

XREF = "octavo:"  # internal links are written octavo:<chapter-id>#<fragment> until a writer places them
# A link out of the book with no web address to resolve it against: octavo-out:<site path>. The
# web edition links the site path; the EPUB and PDF, which cannot, keep the link's text.
OUTSIDE = "octavo-out:"
HEADINGS = {f"h{n}": n for n in range(1, 7)}
ROLE_TO_EPUB_TYPE = {"doc-noteref": "noteref", "doc-footnote": "footnote", "doc-endnotes": "footnotes",
                     "doc-backlink": "backlink"}
WEB_SCHEMES = ("http:", "https:", "mailto:", "tel:", "ftp:")
REMOTE_SCHEMES = ("http:", "https:")
# The elements each pass works on, found by lxml in document order rather than by visiting every
# element of a long chapter in Python.
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
    max_pixels: int = DEFAULT_MEGAPIXELS * MEGAPIXEL  # [build] max-megapixels: larger images are errors
    citation_notes: bool = False  # the citation style is a note style: citations make footnotes
    mdbook_src: str | None = None  # an mdBook project's src folder: mdBook's ids and page paths
    link_base: str | None = None  # the web address the site is served at, for links out of the book
    smart_punctuation: bool = True  # curly quotes and dashes (an mdBook project: its smart-punctuation)
    math_syntax: str = "tex"  # see markdown.parser: "mathjax" or "none" in an mdBook project
    labels: tuple[tuple[str, str], ...] = ()  # the book's [labels]: its own words for octavo's


def render_chapter(chapter: Chapter, ctx: RenderContext) -> RenderedChapter:
    language = chapter.language or ctx.language  # a chapter's front matter may say its own
    html, env = markdown.to_xhtml(chapter.text, language, chapter.first_line, ctx.citation_notes,
                                  ctx.smart_punctuation, ctx.math_syntax, ctx.labels)
    problems = [warning(code, message, chapter.source, line) for code, message, line in env["problems"]]
    problems += [notice(code, message, chapter.source, line, hint=hint)
                 for code, message, line, hint in env.get("notices", [])]
    problems += math.diagnostics(chapter.source, env)
    root = sanitize.parse(html, raw=env["raw_html"])
    problems += _unsafe_html(chapter.source, env.get("raw_suspects", []), sanitize.clean(root))
    problems += _malformed_html(chapter.source, env.get("raw_blocks", []))
    walker = _Walker(chapter, ctx)
    walker.walk(root)
    problems += walker.problems
    headings = _assign_heading_ids(root, ctx.mdbook_src is not None)
    problems += [warning("heading.empty", "this heading has no text, so it is left out of the contents",
                         chapter.source, h.line, hint="write the heading's words, or remove the line")
                 for h in headings if not h.text]
    _mark_epub_types(root)
    _xml_lang(root)
    title_heading = next((h for h in headings if h.level == 1 and h.text), None)
    title = chapter.title or (title_heading.text if title_heading else Path(chapter.source).stem)
    targets = refs.targets(root)
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
        uses=tuple(walker.uses.items()),
        remote=tuple(walker.remote),
        notes=len(env.get("footnotes", {}).get("list", {})),
        citations=tuple(env.get("citations", ())),
        language=chapter.language if chapter.language != ctx.language else None,
        targets=targets,
        crossrefs=tuple(CrossRef(label, line) for label, line in env.get("crossrefs", ())),
        diagnostics=tuple(problems),
        head_title=chapter.head_title,
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

    def place(url: str) -> str | None:
        if url not in names:
            return url
        name = names[url]
        if name is not None:
            placed.append(name)
        return name

    for element in urls.BEARING(root):
        for attribute, value, kind in urls.attributes(element):
            if kind in (urls.Kind.RESOURCE, urls.Kind.STYLE):
                new = urls.rewrite(attribute, value, kind, place)
                if new is None:
                    del element.attrib[attribute]
                elif new != value:
                    element.set(attribute, new)
    uses = dict(chapter.uses)
    for image in chapter.remote:
        if (name := names.get(image.url)) is not None:
            uses.setdefault(name, image.line)
    return replace(chapter, html=sanitize.serialize(root), images=tuple(dict.fromkeys([*chapter.images, *placed])),
                   uses=tuple(uses.items()),
                   digest=digest(chapter.digest, [(image.url, names.get(image.url)) for image in chapter.remote])
                   if chapter.digest else "")


def _unsafe_html(source: str, suspects: list[tuple[int, str]], removed: list[sanitize.Removal]
                 ) -> list[Diagnostic]:
    """One warning per removal, at the line of the raw HTML it came from where that is known."""
    located: list[tuple[int | None, sanitize.Removal]] = []
    unplaced = list(removed)
    for line, content in suspects:  # a piece of raw HTML parsed alone, only to find the lines of removals
        for found in sanitize.clean(sanitize.parse(content, raw=True)):
            same = next((r for r in unplaced if (r.what, r.kept) == (found.what, found.kept)), None)
            if same is not None:
                unplaced.remove(same)
                located.append((line, same))
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
    """Resolves every URL of one chapter (links, images, citations, url()s in styles) by the one
    rule of :mod:`octavo.urls`, collecting problems with their lines."""

    def __init__(self, chapter: Chapter, ctx: RenderContext) -> None:
        self.chapter = chapter
        self.ctx = ctx
        self.root = Path(ctx.root)
        self.base = chapter.source.rsplit("/", 1)[0] if "/" in chapter.source else ""
        self.limits = Limits(ctx.max_pixels)
        self.problems: list[Diagnostic] = []
        self.xrefs: list[XRef] = []
        self.images: list[str] = []
        self.uses: dict[str, int | None] = {}  # each image's first line
        self.remote: list[RemoteImage] = []
        self.inspected: dict[str, Inspection] = {}
        self.noted: set[tuple[str, str]] = set()

    @cached_property
    def real_root(self) -> Path:
        """The book folder with its symlinks resolved, once for all the chapter's paths."""
        return self.root.resolve()

    def walk(self, root: etree._Element) -> None:
        for element in urls.BEARING(root):
            for name, value, kind in urls.attributes(element):
                if kind is urls.Kind.LINK:
                    self.link(element, name)
                elif kind is urls.Kind.CITATION:
                    self.rewrite(element, name, value, kind, self.citation)
                elif kind is not urls.Kind.DROPPED:  # those were removed by sanitize.clean
                    self.rewrite(element, name, value, kind, self.resource)
            if element.tag == "source" and element.get("type") is None:
                self.typed(element)
            if element.tag == "img" and not element.get("alt"):
                element.set("alt", "")
                self.problems.append(warning("image.alt", "image has no alt text", self.chapter.source,
                                             sanitize.line_of(element),
                                             hint="describe the image: ![what it shows](path)"))

    def typed(self, element: etree._Element) -> None:
        """A ``<source>`` says the media type of its files (EPUBCheck wants it), when they share one."""
        found = {media_type(url) for name in ("src", "srcset") if (value := element.get(name)) is not None
                 for url in urls.urls(name, value, urls.Kind.RESOURCE)}
        if len(found) == 1 and None not in found:
            element.set("type", str(found.pop()))

    def rewrite(self, element: etree._Element, name: str, value: str, kind: urls.Kind,
                place: Callable[[str, int | None, str], str | None]) -> None:
        """Each URL of the attribute placed by ``place`` (None: left out, with its attribute if need be)."""
        line = sanitize.line_of(element)
        placed = urls.rewrite(name, value, kind, lambda url: place(url, line, name))
        if placed is None:
            del element.attrib[name]
        elif placed != value:
            element.set(name, placed)

    def link(self, element: etree._Element, name: str) -> None:
        href = element.get(name, "").strip()
        line = sanitize.line_of(element)
        if href.startswith("#") or not href:
            fragment = href[1:]
            element.set(name, f"{XREF}{self.chapter.id}#{fragment}")
            self.xrefs.append(XRef(self.chapter.id, fragment, line))
            return
        if is_url(href):
            if not href.lower().startswith(WEB_SCHEMES):
                self.problems.append(warning("link.scheme", f"removed a link to '{href}'", self.chapter.source,
                                             line, hint="links may point to web pages and chapters only"))
                _unlink(element, name)
            return
        target, _, fragment = href.partition("#")
        try:
            path = book_relative(self.root, self.base, target, self.real_root)
        except OutsideBook:
            if element.tag == "a" and not target.startswith("/") and "\\" not in target:
                self._outside(element, name, href, line)
            else:
                self.problems.append(error("link.outside", f"link '{href}' leaves the book folder",
                                           self.chapter.source, line, hint="link to chapters inside the book"))
                _unlink(element, name)
            return
        chapter_id = self._chapter_at(path)
        src = self.ctx.mdbook_src
        if chapter_id is None and element.tag == "a" and src and src != "." and not path.startswith(src + "/"):
            self._outside(element, name, href, line)  # out of an mdBook's src/: another book of the site
            return
        if chapter_id is None:
            self._unlinked(element, name, href, path, line)
            return
        element.set(name, f"{XREF}{chapter_id}#{fragment}")
        self.xrefs.append(XRef(chapter_id, fragment, line))

    def _chapter_at(self, path: str) -> str | None:
        """The chapter a path names; rendered names (mdBook's ``x.html``, ``dir/index.html`` for
        ``dir/README.md``; Quarto's ``intro.html`` for ``intro.qmd``) are understood, as mdBook
        and Quarto projects link that way."""
        candidates = [path]
        if path.endswith(".html"):
            stem = path[: -len(".html")]
            candidates += [f"{stem}.md", f"{stem}.qmd", f"{stem}.Rmd"]
            if stem == "index" or stem.endswith("/index"):
                candidates.append(f"{stem[: -len('index')]}README.md")
        elif path == "" or path.endswith("/"):
            candidates += [f"{path}README.md", f"{path}index.md"]
        return next((self.ctx.chapter_ids[c] for c in candidates if c in self.ctx.chapter_ids), None)

    def _unlinked(self, element: etree._Element, name: str, href: str, path: str, line: int | None) -> None:
        exists = (self.root / path).exists()
        message = (f"link to '{href}', a file that is not a chapter of the book" if exists
                   else f"link to '{href}', which does not exist")
        hint = "add the file to the outline in book.toml" if path.endswith(".md") else \
            "link to a chapter, or to a web address"
        self.problems.append(warning("link.missing", message, self.chapter.source, line, hint=hint))
        _unlink(element, name)

    def _outside(self, element: etree._Element, name: str, href: str, line: int | None) -> None:
        """A link that leaves the book (``../std/index.html``, to a book served beside it): resolved
        against the site's web address when the book says it, else kept for the web edition as
        written, and as its text in the EPUB and PDF, which cannot carry a link to a file they lack."""
        src = self.ctx.mdbook_src
        page = mdbook.page_path(self.chapter.source, src) if src is not None else self.chapter.source
        if self.ctx.link_base:
            element.set(name, mdbook.outside(self.ctx.link_base, page, href))
            return
        element.set(name, OUTSIDE + mdbook.outside(None, page, href))
        self.problems.append(warning(
            "link.outside", f"link '{href}' leaves the book: the web edition keeps it as written, the EPUB and "
            "PDF keep its text only", self.chapter.source, line,
            hint="say where the book is served (site-url under [output.html], or base-url under [site]) "
                 "and every output links to the page at its web address"))

    def citation(self, url: str, line: int | None, name: str) -> str | None:
        """A URL that names a source (``cite``, ``itemtype``...): kept if it is a web address or a
        fragment, as nothing loads it; a path out of the book is an error like any other, and one
        inside it is removed (no output carries the file it names)."""
        if url.startswith("#") or url.lower().startswith(REMOTE_SCHEMES):
            return url
        if not is_url(url):
            try:
                book_relative(self.root, self.base, url, self.real_root)
            except OutsideBook:
                self.problems.append(error("link.outside", f"{name} '{url}' leaves the book folder",
                                           self.chapter.source, line, hint=f"a {name} may name a web address only"))
                return None
        self.problems.append(warning("link.scheme", f"removed the {name} '{url}'", self.chapter.source, line,
                                     hint=f"a {name} may name a web address only"))
        return None

    def resource(self, url: str, line: int | None, name: str) -> str | None:
        """What a URL the reader loads (an image in ``src``, ``srcset``, ``poster``, a url() of a
        style...) becomes: its book path, the URL itself (a fragment, a ``data:`` image, a web
        address to download with --allow-remote), or None with an error."""
        if self.ctx.allow_remote and url.lower().startswith(REMOTE_SCHEMES):
            self.remote.append(RemoteImage(url, line))
            return url
        if url.startswith("#"):
            return url
        embedded = data_url(url) if url[:11].lower() == "data:image/" else None
        if embedded is not None:
            sound = self.report(url, line, inspect_data(embedded[1], embedded[0], self.limits))
            return without_doctype(url) if sound else None
        if is_url(url):
            self.fail(line, "image.remote", f"image '{url[:100]}' is not a file in the book",
                      "download it into the book folder, or build with --allow-remote")
            return None
        try:
            path = book_relative(self.root, self.base, url, self.real_root)
        except OutsideBook:
            self.fail(line, "image.outside", f"image '{url}' is outside the book folder",
                      "copy the image into the book folder")
            return None
        if path not in self.inspected:
            self.inspected[path] = inspect_file(self.root, path, self.limits)
        if not self.report(url, line, self.inspected[path]):
            return None
        for used in (path, *self.inspected[path].files):
            self.images.append(used)
            self.uses.setdefault(used, line)
        fragment = url.partition("#")[2]  # <use href="sprite.svg#icon"> needs its id; EPUBCheck wants no other
        return f"{path}#{fragment}" if fragment and media_type(path) == "image/svg+xml" else path

    def report(self, url: str, line: int | None, inspection: Inspection) -> bool:
        """Whether the image can be used; its problem as an error, its findings as warnings."""
        if inspection.problem is not None:
            self.fail(line, inspection.code, f"image '{url[:100]}': {inspection.problem}", inspection.hint)
            return False
        for finding in inspection.findings:
            about = finding.path or url[:100]
            if (finding.code, about) not in self.noted:
                self.noted.add((finding.code, about))
                self.problems.append(warning(finding.code, f"image '{about}' {finding.message}", self.chapter.source,
                                             line, hint=finding.hint))
        return True

    def fail(self, line: int | None, code: str, message: str, hint: str) -> None:
        self.problems.append(error(code, message, self.chapter.source, line, hint=hint))


def _unlink(element: etree._Element, name: str) -> None:
    """Take a URL away; an ``<a>`` left without a target becomes a ``<span>``, its text kept."""
    del element.attrib[name]
    if element.tag == "a" and name == "href":
        element.tag = "span"
        for attribute in ("rel", "target", "hreflang", "download", "type", "ping", "referrerpolicy"):
            element.attrib.pop(attribute, None)


def _assign_heading_ids(root: etree._Element, mdbook_ids: bool = False) -> list[Heading]:
    """Every heading gets an id: its own, or a slug of its text made unique in the chapter (in an
    mdBook project, by mdBook's rule, so links into the hosted book still land)."""
    taken = {str(ident) for ident in IDS(root) if ident}
    counts = dict.fromkeys(taken, 1)  # mdBook's numbering steps over the ids the chapter has already
    headings: list[Heading] = []
    for element in root.iter(*HEADINGS, *(("dt",) if mdbook_ids else ())):
        if _inside(element, "aside"):
            continue
        clean = _plain_heading(element)
        text = " ".join("".join(clean.itertext()).split())
        ident = element.get("id")
        if element.tag == "dt":  # mdBook gives a term an id as it gives a heading one
            if not ident and (made := mdbook.heading_id(text, counts)):
                element.set("id", made)
            continue
        made = mdbook.heading_id(text, counts) if not ident and mdbook_ids else ""
        if made:
            ident = made
            taken.add(ident)
            element.set("id", ident)
        elif not ident:
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


NOTEREFS = etree.XPath(".//*[@role='doc-noteref']")  # compiled once, not at every heading


def _plain_heading(element: etree._Element) -> etree._Element:
    """A copy of a heading without its note calls, links, ids or TeX annotations, to reuse in a
    contents list (where a link may not be, and an empty element is an EPUBCheck error)."""
    copy = deepcopy(element)
    copy.tail = None  # the text after the heading (raw HTML can put some there) is not part of it
    for note in NOTEREFS(copy):
        parent = note.getparent()
        sanitize.drop(parent if parent is not None and parent.tag == "sup" and len(parent) == 1 else note)
    for anchor in list(copy.iter("a")):
        sanitize.unwrap(anchor)  # its words stay; an empty one (a link around dropped markup) goes
    for annotation in list(copy.iter(f"{{{sanitize.MATHML_NS}}}annotation")):
        sanitize.drop(annotation)  # a formula's TeX: its text is what MathML shows (α, not \alpha)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("id", None)
    copy.attrib.clear()
    copy.tag = "div"
    return copy


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
WITH_LANG = etree.XPath("descendant-or-self::*[@lang]")


def _xml_lang(root: etree._Element) -> None:
    """``[mot]{lang=fr}`` and ``::: {lang=de}`` give an element ``lang``; XHTML (the EPUB) reads
    ``xml:lang``, so the element says it both ways, as the page's root does."""
    for element in WITH_LANG(root):
        if XML_LANG not in element.attrib:
            element.set(XML_LANG, element.get("lang", ""))


def _mark_epub_types(root: etree._Element) -> None:
    for element in WITH_ROLE(root):
        kind = ROLE_TO_EPUB_TYPE.get(element.get("role", ""))
        if kind and not element.get(sanitize.EPUB_TYPE):
            element.set(sanitize.EPUB_TYPE, kind)

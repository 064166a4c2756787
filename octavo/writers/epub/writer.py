"""EPUB 3 through ebooklib, with every page rendered from our own templates.

ebooklib assembles the package (OPF, manifest, spine); the pages, the navigation document and
the NCX are ours, because ebooklib's own would be regenerated without our markup. Its traps are
handled here: write errors are raised (``raise_exceptions``), the spine's ``toc="ncx"`` points at
a real NCX, the cover stays in the linear reading order, and the zip is rewritten with fixed
order, times and attributes so that two builds give the same bytes
(:mod:`~octavo.writers.epub.container`).

A rebuild reuses what did not change: each page's XHTML is kept in the cache under the digest of
its template context (page, body, contents, styles, templates, octavo's code), and each member's
deflated bytes under the digest of its content.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from octavo import __version__, i18n, scriptfaces, styles, templates
from octavo.assets import media_type
from octavo.config import Metadata
from octavo.diagnostics import BookError, has_errors, warning
from octavo.i18n import Messages
from octavo.imprint import imprint
from octavo.memo import code_digest, digest
from octavo.model import Assembled, Page, TocEntry
from octavo.options import Options
from octavo.writers.base import Writer
from octavo.writers.common import images, page_body, page_fingerprint, templates_digest
from octavo.writers.epub.container import write_container
from octavo.writers.epub.cover import raster_name, rasterise
from octavo.writers.epub.ereader import close_heading_gaps, for_ereaders, label_in_heading
from octavo.writers.epub.pagelist import Mark, mark_pages

XHTML = "application/xhtml+xml"
# Apple Books shows a book's own faces only when this file says so; without it, its reader's font.
APPLE_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_FONTS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n<platform name="*">\n'
               b'<option name="specified-fonts">true</option>\n</platform>\n</display_options>\n')
# what an EPUB page is made by
CODE = ("writers/epub/writer.py", "writers/epub/ereader.py", "writers/epub/cover.py", "writers/epub/pagelist.py",
        "writers/common.py",
        "templates.py", "imprint.py", "scriptfaces.py", *i18n.CODE)


@dataclass(frozen=True)
class Document:
    id: str
    name: str
    content: bytes  # UTF-8, as it goes into the zip
    properties: tuple[str, ...] = ()
    key: str = ""  # its key in the cache, which stands for its content; "" without a cache


def url_for(page: str, fragment: str) -> str:
    return f"{page}.xhtml" + (f"#{fragment}" if fragment else "")


def write_epub(assembled: Assembled, dest: Path, options: Options) -> list[Path]:
    """Write ``dest/<slug>.epub``; nothing in ``options`` changes an EPUB."""
    sheets, problems = styles.layers(assembled.book, "epub")
    if has_errors(problems):
        raise BookError(problems)
    sheets = replace(sheets, sheets=tuple(replace(sheet, text=text) for sheet, text in
                                          zip(sheets.sheets, for_ereaders(s.text for s in sheets.sheets), strict=True)))
    embed = scriptfaces.wants_epub(assembled.book)
    if embed:  # the script faces' sheet comes right after octavo's base sheet; its rules once the text is known
        sheets = replace(sheets, sheets=(*sheets.sheets[:1], styles.Sheet(scriptfaces.SHEET, "", "default"),
                                         *sheets.sheets[1:]))
    cover = _cover(assembled)
    documents, pages = render_documents(assembled, [s.href for s in sheets.sheets], cover[0] if cover else None)
    fonts: list[tuple[str, bytes]] = []
    if embed:
        rules, fonts = _script_faces(assembled, documents, options)
        sheets = replace(sheets, sheets=tuple(replace(sheet, text=rules) if sheet.href == scriptfaces.SHEET else sheet
                                              for sheet in sheets.sheets))
    package, contents = _package(assembled, documents, sheets, cover, bool(pages), fonts)
    buffer = io.BytesIO()
    # ebooklib's zip is rewritten below, so it need not spend time compressing; and it only
    # writes the package document and the members' names and order: the contents are ours.
    epub.write_epub(buffer, package, {"raise_exceptions": True, "mtime": assembled.built, "epub3_pages": False,
                                      "compresslevel": 0})
    path = dest / f"{assembled.slug}.epub"
    known = {f"{package.FOLDER_NAME}/{doc.name}": doc.key for doc in documents if doc.key}
    members = _members(buffer.getvalue(), assembled.book.config.meta.language, contents)
    if fonts or any((media_type(asset) or "").startswith(("font/", "application/font", "application/vnd.ms-opentype"))
                    for asset in sheets.assets):
        members.append((APPLE_OPTIONS, APPLE_FONTS))
    write_container(path, members, assembled.built, assembled.memo.area("deflate"), known)
    return [path]


WRITER = Writer("EPUB 3", ("epub",), write_epub)

# Elements drawn in the heading face (base.css): the headings, and the labels and titles set like them.
HEADING_TEXT = etree.XPath(
    "//*[contains('|h1|h2|h3|h4|h5|h6|', concat('|', local-name(), '|'))"
    " or contains(concat(' ', normalize-space(@class), ' '), ' chapter-number ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' part-number ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' callout-title ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' subtitle ')]")


def _script_faces(assembled: Assembled, documents: list[Document], options: Options
                  ) -> tuple[str, list[tuple[str, bytes]]]:
    """The ``@font-face`` sheet and the files (subsets, licence) for ``[style] script-faces = "epub"``:
    the characters of every page the reader sees, those in headings also for the heading chain
    when the book face does not set headings (:mod:`~octavo.scriptfaces`)."""
    text: set[str] = set()
    headings: set[str] = set()
    for doc in documents:
        if doc.id == "ncx":
            continue
        root = etree.fromstring(doc.content)
        text.update("".join(root.itertext()))
        headings.update(char for element in HEADING_TEXT(root) for char in "".join(element.itertext()))
    book = assembled.book
    language, book_face = book.config.meta.language, styles.uses_book_face(book, "epub")
    own = scriptfaces.book_face_codes(book, "epub") if book_face else scriptfaces.LATIN_1
    faces, missing, left = scriptfaces.plan(scriptfaces.drawn(text), scriptfaces.families("script-serif", language),
                                            own)
    if not book_face:  # headings in the sans chain (with the book face, they are in its serif one)
        more = scriptfaces.plan(scriptfaces.drawn(headings), scriptfaces.families("script-sans", language),
                                scriptfaces.LATIN_1)
        faces, missing, left = faces + more[0], missing + more[1], left + more[2]
    if missing and left:
        options.report(warning(
            "epub.script-face", f"the EPUB carries no face for {len(set(left))} character(s) of the book "
            f"(first U+{min(left):04X}): not installed: "
            + ", ".join(f"'{family}'" for family in dict.fromkeys(missing)), "book.toml",
            hint="install the Noto faces (Debian: fonts-noto-core, fonts-noto-cjk) and build again"))
    memo = assembled.memo.area("fonts")
    placed: list[tuple[scriptfaces.Face, str]] = []
    files: list[tuple[str, bytes]] = []
    for face in faces:
        data, suffix = scriptfaces.subset_bytes(face, memo)
        name = f"{face.name}.{suffix}"
        placed.append((face, f"fonts/noto/{name}"))
        files.append((f"{scriptfaces.FOLDER}/{name}", data))
    if faces:
        files.append((f"{scriptfaces.FOLDER}/OFL.txt", scriptfaces.licence(faces)))
    return scriptfaces.sheet(placed), files

def _cover(assembled: Assembled) -> tuple[str, bytes] | None:
    """The cover image's name in the EPUB and its bytes: a raster cover as it is, an SVG one
    rasterised (:mod:`~octavo.writers.epub.cover`)."""
    cover = assembled.book.cover
    if cover is None:
        return None
    path = assembled.asset_path(cover)
    if media_type(cover) != "image/svg+xml":
        return cover, path.read_bytes()
    return raster_name(cover), rasterise(assembled.book.config.root, cover, path, assembled.memo.area("cover"))


def render_documents(assembled: Assembled, sheet_hrefs: list[str], cover: str | None = None
                     ) -> tuple[list[Document], list[Mark]]:
    """Every XHTML page of the EPUB, in reading order, plus the nav and the NCX; and the print
    edition's pages marked in them (none unless the PDF was written first in this run).

    Each comes from the cache when what it shows is as before: a chapter's page when its page
    and body are (:func:`page_fingerprint`), the contents, nav and NCX when the contents are.
    The page break markers are put in afterwards (:mod:`~octavo.writers.epub.pagelist`).
    """
    meta, words = assembled.book.config.meta, assembled.book.config.words
    env = templates.environment(assembled.book.config.root, assembled.memo.area("jinja").folder, words)
    common: dict[str, Any] = {"book": meta, "styles": sheet_hrefs, "url": url_for, "imprint": imprint(meta, words),
                              "direction": assembled.book.config.direction}
    memo = assembled.memo.area("epub")
    salt = digest(code_digest(*CODE), templates_digest(assembled.book.config.root), meta, sheet_hrefs,
                  assembled.book.config.labels, common["direction"]) if memo.folder else ""
    links = assembled.xrefs.digest if memo.folder else ""

    def kept(name: str, key: tuple[object, ...], make: Callable[[], str], *properties: str) -> Document:
        """The document from the cache by ``key`` (all that ``make`` reads besides ``common``)."""
        entry = digest(salt, name, *key) if memo.folder else ""
        found = memo.load_object(entry) if entry else None
        if isinstance(found, Document):
            return found
        made = _document(name, make().encode("utf-8"), entry, *properties)
        if entry:
            memo.store_object(entry, made)
        return made

    def page(name: str, template: str, title: str, **extra: Any) -> Document:
        return kept(name, (template, title, sorted(extra.items())),
                    lambda: templates.render(env, template, title=title, **common, **extra))

    def chapter(item: Page) -> Document:
        template = "epub/part.xhtml.j2" if item.kind == "part" else "epub/chapter.xhtml.j2"
        return kept(item.id, (template, page_fingerprint(item, links) if memo.folder else ""),
                    lambda: close_heading_gaps(label_in_heading(templates.render(
                        env, template, title=item.title, page=item, body=page_body(assembled, item, url_for),
                        **common))))

    docs: list[Document] = []
    if cover:
        docs.append(page("cover", "epub/cover.xhtml.j2", words.label("cover"), cover=cover))
    docs.append(page("titlepage", "epub/titlepage.xhtml.j2", meta.title))
    docs.append(page("copyright", "epub/copyright.xhtml.j2", words.label("copyright")))
    docs.append(page("toc", "epub/toc.xhtml.j2", words.label("contents"), entries=assembled.toc))
    docs += [chapter(item) for item in assembled.pages]
    changed, marks = mark_pages(docs, assembled.print_pages) if assembled.print_pages else ({}, [])
    for number, (content, placed) in changed.items():
        docs[number] = replace(docs[number], content=content, key=digest(docs[number].key, placed)
                               if docs[number].key else "")
    landmarks = _landmarks(assembled.book.cover, assembled.pages, words)
    page_list = [(mark.href, mark.label) for mark in marks]
    docs.append(kept("nav", ("epub/nav.xhtml.j2", assembled.toc, landmarks, page_list), lambda: templates.render(
        env, "epub/nav.xhtml.j2", title=words.label("contents"), entries=assembled.toc, landmarks=landmarks,
        page_list=page_list, **common), "nav"))
    ncx = kept("ncx", ("epub/toc.ncx.j2", assembled.toc), lambda: templates.render(
        env, "epub/toc.ncx.j2", book=meta, points=_ncx_points(assembled.toc), depth=_depth(assembled.toc)))
    docs.append(replace(ncx, name="toc.ncx", properties=()))
    return docs, marks


def _document(name: str, content: bytes, key: str = "", *properties: str) -> Document:
    """An XHTML document, declared ``svg`` and ``mathml`` whenever it holds some (a heading with
    inline SVG or a formula reaches the contents and the navigation document too)."""
    found = (*(("mathml",) if b"<math" in content else ()), *(("svg",) if b"<svg" in content else ()))
    return Document(name, f"{name}.xhtml", content, (*properties, *found), key)


def _landmarks(cover: str | None, pages: tuple[Page, ...], words: Messages) -> list[tuple[str, str, str]]:
    marks = [("cover", "cover.xhtml", words.label("cover"))] if cover else []
    marks += [("titlepage", "titlepage.xhtml", words.label("title-page")),
              ("toc", "toc.xhtml", words.label("contents"))]
    body = next((p for p in pages if p.kind in ("chapter", "part")), None)
    if body is not None:
        marks.append(("bodymatter", url_for(body.id, ""), words("Start of content")))
    return marks


def _ncx_points(entries: tuple[TocEntry, ...]) -> list[dict[str, Any]]:
    counter = iter(range(1, 1_000_000))

    def points(items: tuple[TocEntry, ...]) -> list[dict[str, Any]]:
        return [{"id": f"np-{next(counter)}", "label": e.label, "src": url_for(e.page, e.fragment),
                 "children": points(e.children)} for e in items]

    return points(entries)


def _depth(entries: tuple[TocEntry, ...]) -> int:
    return 1 + max((_depth(e.children) for e in entries), default=0) if entries else 0


def _package(assembled: Assembled, documents: list[Document], sheets: styles.Styles,
             cover: tuple[str, bytes] | None = None, paged: bool = False, fonts: Sequence[tuple[str, bytes]] = ()
             ) -> tuple[epub.EpubBook, dict[str, bytes]]:
    """ebooklib's book, its items empty, and each item's content by its name in the zip.

    ebooklib writes an item's content as it is given and makes the package document from the
    items' names, types and properties alone, so it is left only that to do: handing it the
    contents (7 MB for the diary of Pepys) would have it copy them into a zip that is read back.
    """
    package = epub.EpubBook()
    contents: dict[str, bytes] = {}

    def add(item: epub.EpubItem, content: bytes, properties: Sequence[str] = ()) -> None:
        item.properties = list(properties)
        package.add_item(item)
        contents[f"{package.FOLDER_NAME}/{item.file_name}"] = content

    pictures = images(assembled)
    _metadata(package, assembled, bool(pictures))
    if assembled.book.config.direction == "rtl":  # the spine's page-progression-direction: pages turn leftwards
        package.set_direction("rtl")
    if paged:
        _page_source(package, assembled)
    for doc in documents:
        media = "application/x-dtbncx+xml" if doc.id == "ncx" else XHTML
        item = epub.EpubItem(uid=doc.id if doc.id in ("nav", "ncx") else f"x-{doc.id}", file_name=doc.name,
                             media_type=media)
        add(item, doc.content, doc.properties)
        if doc.id not in ("nav", "ncx"):
            package.spine.append(item)
    for number, sheet in enumerate(sheets.sheets, 1):
        add(epub.EpubItem(uid=f"css-{number}", file_name=sheet.href, media_type="text/css"),
            sheet.text.encode("utf-8"))
    for number, (href, file) in enumerate(styles.book_face_files(assembled.book, "epub"), 1):
        kind = "text/plain" if file.suffix == ".txt" else media_type(href)  # the face's licence, with it
        add(epub.EpubItem(uid=f"font-{number}", file_name=href, media_type=kind), file.read_bytes())
    for number, (href, data) in enumerate(fonts, 1):  # the script faces' subsets and their licence
        kind = "text/plain" if href.endswith(".txt") else media_type(href)
        add(epub.EpubItem(uid=f"script-font-{number}", file_name=href, media_type=kind), data)
    files = dict.fromkeys([*pictures, *sheets.assets])
    if cover is not None:
        name, data = cover
        add(epub.EpubItem(uid="cover-image", file_name=name, media_type=media_type(name)), data, ["cover-image"])
        files.pop(name, None)
        if name != assembled.book.cover:  # drawn from the SVG: the SVG's own pictures go only where a chapter uses them
            used = {path for page in assembled.pages if page.chapter is not None for path in page.chapter.images}
            for path in set(assembled.book.cover_files) - used:
                files.pop(path, None)
    for number, path in enumerate(files, 1):
        add(epub.EpubItem(uid=f"file-{number}", file_name=path, media_type=media_type(path)),
            assembled.asset_path(path).read_bytes())
    return package, contents


def _metadata(package: epub.EpubBook, assembled: Assembled, has_images: bool) -> None:
    meta = assembled.book.config.meta
    package.set_identifier(meta.identifier)
    package.set_title(meta.title)
    package.set_language(meta.language)
    for number, author in enumerate(meta.authors, 1):
        package.add_author(author, role="aut", uid=f"creator-{number}")
    _publisher_metadata(package, meta)
    for name, value in (("description", meta.description), ("publisher", meta.publisher),
                        ("date", meta.date), ("rights", meta.rights)):
        if value:
            package.add_metadata("DC", name, value)
    for subject in meta.subjects:
        package.add_metadata("DC", "subject", subject)
    package.metadata[epub.NAMESPACES["OPF"]]["generator"] = [
        ("", {"name": "generator", "content": f"octavo {__version__}"})]
    if assembled.book.cover:
        package.add_metadata("OPF", "cover", "", {"name": "cover", "content": "cover-image"})
    for prop, value in _accessibility(assembled, has_images):
        package.add_metadata("OPF", prop, value, {"property": prop})


def _publisher_metadata(package: epub.EpubBook, meta: Metadata) -> None:
    """What a publisher fills in, as EPUB 3 says it: the subtitle a second, refined ``dc:title``
    (stores and Calibre show the first, ``main``, as the title), the series a
    ``belongs-to-collection`` with its position, the EPUB's ISBN a second identifier (the
    generated UUID stays the package's own, so an ISBN added later changes no reading position),
    and each contributor a ``dc:contributor`` with its MARC relator role."""
    if meta.subtitle:
        package.metadata[epub.NAMESPACES["DC"]]["title"] = [(meta.title, {"id": "title"}),
                                                             (meta.subtitle, {"id": "subtitle"})]
        package.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
        package.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    if meta.series:
        package.add_metadata(None, "meta", meta.series, {"property": "belongs-to-collection", "id": "series"})
        package.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        if meta.series_number:
            package.add_metadata(None, "meta", meta.series_number, {"refines": "#series", "property": "group-position"})
    if (isbn := meta.isbn("epub")) is not None:
        package.add_metadata("DC", "identifier", f"urn:isbn:{isbn}", {"id": "isbn"})
    for number, contributor in enumerate(meta.contributors, 1):
        package.add_metadata("DC", "contributor", contributor.name, {"id": f"contributor-{number}"})
        package.add_metadata(None, "meta", contributor.role, {"refines": f"#contributor-{number}",
                                                              "property": "role", "scheme": "marc:relators"})


CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
# An image without a text alternative: no alt, or an empty one on an image not marked decorative
# (octavo gives a raw <img> without alt an empty one, which must not pass for a claim it is decorative).
NO_ALT = re.compile(r'<img\b(?![^>]*\srole="(?:presentation|none)")(?:(?![^>]*\salt=)|(?=[^>]*\salt=""))[^>]*>')


def _page_source(package: epub.EpubBook, assembled: Assembled) -> None:
    """Name the print edition the page-list comes from: ``pageBreakSource`` (EPUB Accessibility
    1.1's page source identification) and ``dc:source``, which reading systems read today; and
    say that the book has its page breaks and a way to go to a page. The print edition is its
    ISBN when the book gives one (``urn:isbn:``, as the techniques ask), else it is named."""
    print_isbn = assembled.book.config.meta.isbn("print")
    source = (f"urn:isbn:{print_isbn}" if print_isbn
              else f"{assembled.book.config.meta.title}, print edition ({assembled.slug}.pdf)")
    package.add_metadata("DC", "source", source)
    package.add_metadata("OPF", "pageBreakSource", source, {"property": "pageBreakSource"})
    for feature in ("pageBreakMarkers", "pageNavigation"):
        package.add_metadata("OPF", "schema:accessibilityFeature", feature, {"property": "schema:accessibilityFeature"})


def _accessibility(assembled: Assembled, chapter_images: bool) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata, stated from what the book actually contains.

    The book claims conformance (``dcterms:conformsTo``) only when what octavo cannot make
    right by itself is right: every image has a text alternative or is marked decorative
    (``role="presentation"``). The rest of what WCAG 2.1 AA
    asks of an EPUB (language, titles, headings in order, tables with real headers, links that
    say where they go, no colour alone carrying meaning) comes from octavo's own markup, which
    the tests check with Ace on every book of the corpus. The summary says only what is true of
    this book: images, formulas and notes are mentioned when it has them.
    """
    pages = [page.chapter for page in assembled.pages if page.chapter is not None]
    has_images = chapter_images or assembled.book.cover is not None
    has_math = any("<math" in chapter.html for chapter in pages)
    has_notes = any(chapter.notes for chapter in pages)
    conforms = not any(NO_ALT.search(chapter.html) for chapter in pages)
    modes = ["textual", *(["visual"] if has_images else [])]
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if has_images:
        features.append("alternativeText")
    if has_math:
        features.append("MathML")
    sentences = [f"This publication meets {CONFORMANCE.replace(' - ', ' at ')}."] if conforms else []
    sentences.append("It has a navigable table of contents, a logical reading order and structured headings.")
    if has_images:
        sentences.append("Its images have text alternatives." if conforms else
                         "Some of its images have no text alternative.")
    if has_math:
        sentences.append("Its formulas are MathML, which screen readers can read aloud and navigate.")
    if has_notes:
        sentences.append("Its notes link to where they are called and back.")
    result = [("schema:accessMode", m) for m in modes]
    result += [("schema:accessibilityFeature", f) for f in features]
    result += [("schema:accessibilityHazard", "none"), ("schema:accessModeSufficient", "textual"),
               ("schema:accessibilitySummary", " ".join(sentences))]
    if conforms:
        result.append(("dcterms:conformsTo", CONFORMANCE))
    return result


def _members(data: bytes, language: str, contents: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """ebooklib's (stored) zip as (name, content), in its order, with the contents ebooklib was
    not given (by name) and the package document's language set."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = [(name, contents[name] if name in contents else source.read(name)) for name in source.namelist()]
    if set(contents) - {name for name, _ in members}:
        raise RuntimeError("ebooklib left out some of the book's files")  # a change in ebooklib: never ship that
    return [(name, _package_language(content, language) if name.endswith(".opf") else content)
            for name, content in members]


def _package_language(opf: bytes, language: str) -> bytes:
    """ebooklib leaves ``xml:lang`` off the package element; reading systems and Ace want it."""
    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

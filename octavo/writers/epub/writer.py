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
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from octavo import __version__, styles, templates
from octavo.assets import media_type
from octavo.diagnostics import BookError, has_errors
from octavo.memo import code_digest, digest
from octavo.model import Assembled, Page, TocEntry
from octavo.options import Options
from octavo.writers.base import Writer
from octavo.writers.common import images, page_body, page_fingerprint, templates_digest
from octavo.writers.epub.container import write_container

XHTML = "application/xhtml+xml"
CODE = ("writers/epub/writer.py", "writers/common.py", "templates.py")  # what an EPUB page is made by


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
    documents = render_documents(assembled, [s.href for s in sheets.sheets])
    package, contents = _package(assembled, documents, sheets)
    buffer = io.BytesIO()
    # ebooklib's zip is rewritten below, so it need not spend time compressing; and it only
    # writes the package document and the members' names and order: the contents are ours.
    epub.write_epub(buffer, package, {"raise_exceptions": True, "mtime": assembled.built, "epub3_pages": False,
                                      "compresslevel": 0})
    path = dest / f"{assembled.slug}.epub"
    known = {f"{package.FOLDER_NAME}/{doc.name}": doc.key for doc in documents if doc.key}
    write_container(path, _members(buffer.getvalue(), assembled.book.config.meta.language, contents),
                    assembled.built, assembled.memo.area("deflate"), known)
    return [path]


WRITER = Writer("EPUB 3", ("epub",), write_epub)

def render_documents(assembled: Assembled, sheet_hrefs: list[str]) -> list[Document]:
    """Every XHTML page of the EPUB, in reading order, plus the nav and the NCX.

    Each comes from the cache when what it shows is as before: a chapter's page when its page
    and body are (:func:`page_fingerprint`), the contents, nav and NCX when the contents are.
    """
    env = templates.environment(assembled.book.config.root, assembled.memo.area("jinja").folder)
    meta = assembled.book.config.meta
    common: dict[str, Any] = {"book": meta, "styles": sheet_hrefs, "url": url_for}
    memo = assembled.memo.area("epub")
    salt = digest(code_digest(*CODE),
                  templates_digest(assembled.book.config.root), meta, sheet_hrefs) if memo.folder else ""
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
                    lambda: templates.render(env, template, title=item.title, page=item,
                                             body=page_body(assembled, item, url_for), **common))

    docs: list[Document] = []
    if assembled.book.cover:
        docs.append(page("cover", "epub/cover.xhtml.j2", "Cover", cover=assembled.book.cover))
    docs.append(page("titlepage", "epub/titlepage.xhtml.j2", meta.title))
    docs.append(page("copyright", "epub/copyright.xhtml.j2", "Copyright"))
    docs.append(page("toc", "epub/toc.xhtml.j2", "Contents", entries=assembled.toc))
    docs += [chapter(item) for item in assembled.pages]
    landmarks = _landmarks(assembled.book.cover, assembled.pages)
    docs.append(kept("nav", ("epub/nav.xhtml.j2", assembled.toc, landmarks), lambda: templates.render(
        env, "epub/nav.xhtml.j2", title="Contents", entries=assembled.toc, landmarks=landmarks, **common), "nav"))
    ncx = kept("ncx", ("epub/toc.ncx.j2", assembled.toc), lambda: templates.render(
        env, "epub/toc.ncx.j2", book=meta, points=_ncx_points(assembled.toc), depth=_depth(assembled.toc)))
    docs.append(replace(ncx, name="toc.ncx", properties=()))
    return docs


def _document(name: str, content: bytes, key: str = "", *properties: str) -> Document:
    """An XHTML document, declared ``svg`` and ``mathml`` whenever it holds some (a heading with
    inline SVG or a formula reaches the contents and the navigation document too)."""
    found = (*(("mathml",) if b"<math" in content else ()), *(("svg",) if b"<svg" in content else ()))
    return Document(name, f"{name}.xhtml", content, (*properties, *found), key)


def _landmarks(cover: str | None, pages: tuple[Page, ...]) -> list[tuple[str, str, str]]:
    marks = [("cover", "cover.xhtml", "Cover")] if cover else []
    marks += [("titlepage", "titlepage.xhtml", "Title page"), ("toc", "toc.xhtml", "Contents")]
    body = next((p for p in pages if p.kind in ("chapter", "part")), None)
    if body is not None:
        marks.append(("bodymatter", url_for(body.id, ""), "Start of content"))
    return marks


def _ncx_points(entries: tuple[TocEntry, ...]) -> list[dict[str, Any]]:
    counter = iter(range(1, 1_000_000))

    def points(items: tuple[TocEntry, ...]) -> list[dict[str, Any]]:
        return [{"id": f"np-{next(counter)}", "label": e.label, "src": url_for(e.page, e.fragment),
                 "children": points(e.children)} for e in items]

    return points(entries)


def _depth(entries: tuple[TocEntry, ...]) -> int:
    return 1 + max((_depth(e.children) for e in entries), default=0) if entries else 0


def _package(assembled: Assembled, documents: list[Document], sheets: styles.Styles
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
    files = dict.fromkeys([*pictures, *sheets.assets])
    if assembled.book.cover:
        cover = assembled.book.cover
        add(epub.EpubItem(uid="cover-image", file_name=cover, media_type=media_type(cover)),
            assembled.asset_path(cover).read_bytes(), ["cover-image"])
        files.pop(assembled.book.cover, None)
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


def _accessibility(assembled: Assembled, chapter_images: bool) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata, stated from what the book actually contains."""
    has_images = chapter_images or assembled.book.cover is not None
    modes = ["textual", *(["visual"] if has_images else [])]
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if has_images:
        features.append("alternativeText")
    summary = ("This publication has a navigable table of contents, a logical reading order and "
               "structured headings" + (", and text alternatives for its images" if has_images else "") + ".")
    result = [("schema:accessMode", m) for m in modes]
    result += [("schema:accessibilityFeature", f) for f in features]
    result += [("schema:accessibilityHazard", "none"), ("schema:accessModeSufficient", "textual"),
               ("schema:accessibilitySummary", summary)]
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

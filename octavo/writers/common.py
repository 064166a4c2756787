"""What more than one writer needs: the template context of a page and the files a book carries."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from markupsafe import Markup

from octavo import highlight, templates
from octavo.memo import Memo, digest, files_digest
from octavo.model import Assembled, Page, RenderedChapter, TocEntry
from octavo.options import Options
from octavo.transforms import xrefs
from octavo.transforms.xrefs import UrlFor
from octavo.writers.base import Writer
from octavo.writers.registry import OUTPUTS


def page_body(assembled: Assembled, page: Page, url_for: UrlFor,
              outside: Callable[[str], str] | None = None, hidden_code: bool = False) -> Markup:
    """The page's chapter XHTML with internal links placed for this output (and the links out of
    the book by ``outside``, see :func:`octavo.transforms.xrefs.relink`); the hidden lines of its
    code only if ``hidden_code`` (the web edition, where a toggle shows them)."""
    if page.chapter is None:
        return Markup("")
    html = page.chapter.html if hidden_code else highlight.without_hidden(page.chapter.html)
    return Markup(xrefs.relink(html, assembled.xrefs, url_for, page.id, outside))


def images(assembled: Assembled) -> list[str]:
    """Book-relative paths of every image the chapters use, in reading order, each once, then
    the files the cover uses (an SVG cover's picture)."""
    found: dict[str, None] = dict.fromkeys(assembled.book.cover_files)
    for page in assembled.pages:
        if page.chapter is not None:
            found.update(dict.fromkeys(page.chapter.images))
    return list(found)


def uncached_size(pages: Sequence[Page], keys: Sequence[str], memo: Memo) -> int:
    """How much a writer has to make: the size of the chapters of the pages whose entry (by
    ``keys``, one per page; none without a cache) the cache lacks. Decides whether to start workers."""
    return sum(len(page.chapter.html) for number, page in enumerate(pages)
               if page.chapter is not None and not (keys and memo.has(keys[number])))


def flatten(entries: Iterable[TocEntry]) -> list[TocEntry]:
    result: list[TocEntry] = []
    for entry in entries:
        result.append(entry)
        result.extend(flatten(entry.children))
    return result


def page_fingerprint(page: Page, links: str) -> str:
    """A digest of what a page's templates can read from ``page`` and its body.

    The body is the chapter's XHTML with its links placed by the book's cross-reference index,
    whose digest is ``links`` (:attr:`XRefIndex.digest`): the two together stand for the body,
    so a page from the cache need not be relinked to know it is unchanged. The chapter stands
    in by its own digest, made when it was rendered, so its text is not hashed again for every
    output. A part is represented by its own fields and its chapters' ids: the chapters' texts
    (which a part holds) reach a page only through their rendered form.
    """
    part = page.part
    if part is not None:
        part = replace(part, chapters=tuple(replace(c, text="") for c in part.chapters),
                       intro=replace(part.intro, text="") if part.intro else None)
    return digest(replace(page, part=part, chapter=None), chapter_digest(page.chapter), links)


def chapter_digest(chapter: RenderedChapter | None) -> str:
    """The rendered chapter's digest; hashed from its fields when rendering left none."""
    if chapter is None or chapter.digest:
        return chapter.digest if chapter else ""
    return digest(replace(chapter, html="", anchors=frozenset()), sorted(chapter.anchors), chapter.html)


def templates_digest(book_root: Path) -> str:
    """The default templates and the book's own: a change to either re-renders every page."""
    return files_digest([templates.DEFAULTS, book_root / "templates"])


def book_epub(assembled: Assembled, dest: Path, options: Options, work: Path) -> Path:
    """The EPUB an output made from it (AZW3, KEPUB) starts from: the one this build wrote into
    ``dest`` (the EPUB is written first), else one written into ``work`` for it alone, through the
    EPUB's :class:`~octavo.writers.base.Writer` found by the registry (never its internals)."""
    written = dest / f"{assembled.slug}.epub"
    if written.is_file():
        return written
    epub: Writer = importlib.import_module(OUTPUTS["epub"]).WRITER
    return epub.write(assembled, work, options)[0]

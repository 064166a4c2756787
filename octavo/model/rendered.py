"""A chapter once rendered: its safe XHTML and what the book-wide stages need to know of it.

Made by :func:`octavo.render.render_chapter` in any process, cached by :mod:`octavo.batch`, so
every value here is frozen and picklable.
"""

from __future__ import annotations

from dataclasses import dataclass

from octavo.diagnostics import Diagnostic
from octavo.model.citations import Citation


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str
    html: str
    line: int | None = None


@dataclass(frozen=True)
class XRef:
    chapter: str
    fragment: str
    line: int | None


@dataclass(frozen=True)
class Target:
    """Something a cross-reference can name: an element whose id starts ``fig-``, ``tbl-``, ``eq-``,
    ``lst-`` or ``sec-`` (or ``fig:``…), found by :func:`octavo.refs.targets`."""

    id: str
    kind: str  # fig, tbl, eq, lst, sec
    line: int | None
    within: str = ""  # a sub-figure: the id of the figure it is part of


@dataclass(frozen=True)
class CrossRef:
    """An ``@fig-name`` in the text, resolved book-wide by :mod:`octavo.transforms.crossrefs`."""

    label: str
    line: int | None


@dataclass(frozen=True)
class RemoteImage:
    """An image at a web address, left as it is by rendering (which never opens a connection) and
    downloaded afterwards by the build (:mod:`octavo.remote`), once for the whole book."""

    url: str
    line: int | None


@dataclass(frozen=True)
class RenderedChapter:
    id: str
    source: str
    html: str
    title: str
    title_html: str
    has_title_heading: bool
    headings: tuple[Heading, ...] = ()
    anchors: frozenset[str] = frozenset()
    xrefs: tuple[XRef, ...] = ()
    images: tuple[str, ...] = ()
    uses: tuple[tuple[str, int | None], ...] = ()  # (image, line of its first use), for the PDF's messages
    remote: tuple[RemoteImage, ...] = ()  # with --allow-remote; see place_remote
    notes: int = 0
    citations: tuple[Citation, ...] = ()  # placeholders the book-wide citation stage fills
    targets: tuple[Target, ...] = ()
    crossrefs: tuple[CrossRef, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    head_title: str | None = None  # see Chapter.head_title
    language: str | None = None  # the chapter's own language (front matter), when not the book's
    # A digest of everything this chapter was rendered from (see batch.render_all), so that the
    # writers' caches can key a page on it without hashing its HTML; "" when nothing computed one.
    digest: str = ""

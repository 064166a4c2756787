"""The web edition: ``site/`` with a contents page, one page per page of the book, search, downloads.

Every page is a static file that reads without JavaScript and works from ``file://`` as well as
from a server: links are relative and all pages sit side by side, and the search index is a
script rather than JSON because browsers refuse ``fetch()`` on ``file://``. ``octavo.js`` only
adds what a reader can do without: arrow-key paging, the contents drawer on phones, and search.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from octavo import i18n, styles, templates
from octavo.config import Config, SiteOptions
from octavo.diagnostics import BookError, has_errors
from octavo.imprint import imprint, schema_book
from octavo.mdbook import web as mdbook
from octavo.memo import code_digest, digest
from octavo.model import Assembled, Page
from octavo.options import Options
from octavo.output import place
from octavo.paths import is_url
from octavo.pool import PARALLEL_MIN_BYTES, gc_paused, workers
from octavo.render import WEB_SCHEMES
from octavo.transforms import xrefs
from octavo.writers.base import Writer
from octavo.writers.common import images, page_body, page_fingerprint, templates_digest, uncached_size
from octavo.writers.web import search
from octavo.writers.web.search import SearchIndex
from octavo.writers.web.sidebar import SideContents

CODE = ("writers/web/writer.py", "writers/web/sidebar.py", "writers/common.py", "templates.py",
        "mdbook/web.py", "imprint.py", *i18n.CODE)  # a page's maker
SITE = "site"
HOME = "index.html"
PRINT = "print.html"  # an mdBook project's book on one page, as mdBook names it
CONTENTS = "toc.html"  # the contents page of an mdBook project whose first page is index.html, as mdBook names it
SCRIPT = "js/octavo.js"
SEARCH_INDEX = "js/search-index.js"
DOWNLOADS = "downloads"
ASSETS = templates.DEFAULTS / "web" / "assets"
FORMATS = (("epub", "EPUB"), ("pdf", "PDF"))

# The chapter HTML is our own serialisation (lxml's), so a tag always starts with "<" + a letter,
# its attributes are each preceded by one space, and "<" and ">" never appear unescaped in text
# or attribute values: these patterns only ever match real tags (an epub:type attribute is one
# followed by the end of its tag before any "<").
EPUB_TYPE = re.compile(r' epub:type="[^"]*"(?=[^<>]*>)')
HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")
TABLE_OPEN = re.compile(r"<table(?=[\s>])")
SIDE_CONTENTS = "\x02side-contents\x02"  # where a page's side contents go once it is rebased (no XML text has \x02)
SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')
# An id of a footnote or of its call, or a link to one: the notes of markdown.py, with label and number.
NOTE_ID = re.compile(r'(\s(?:id="|href="#))(note|noteref)-([A-Za-z0-9-]+?)(?:-(\d+))?"')
# A URL attribute holding a path from the site's top (every path in a page is made so: links,
# images, sheets), which a page in a folder reaches through "../".
SITE_PATH = re.compile(r'(\s(?:href|src|poster)=")(?!["#/]|[A-Za-z][A-Za-z0-9+.-]*:)')


@dataclass(frozen=True)
class Link:
    href: str
    title: str


@dataclass(frozen=True)
class Download:
    label: str
    href: str
    size: str


class SiteMap:
    """Which file each page is written to: ``<page-id>.html``, except an id that would overwrite
    the contents page (a chapter called ``index``) gets a numbered name.

    An mdBook project keeps mdBook's addresses instead (``src/cli/build.md`` -> ``cli/build.html``,
    see :mod:`octavo.mdbook`): its parts, which mdBook shows as headings of the side contents
    only, get no page (a link to one goes to its first chapter), and when a chapter is
    ``index.html`` the contents page is ``toc.html``.
    """

    def __init__(self, pages: Sequence[Page], mdbook_src: str | None = None) -> None:
        self.files: dict[str, str] = {}
        self.home = HOME
        if mdbook_src is not None:
            self._mdbook(pages, mdbook_src)
            return
        taken = {HOME}
        for page in pages:
            name, n = f"{page.id}.html", 1
            while name in taken:
                n += 1
                name = f"{page.id}-{n}.html"
            taken.add(name)
            self.files[page.id] = name
        self.written = tuple(pages)

    def _mdbook(self, pages: Sequence[Page], src: str) -> None:
        written = [page for page in pages if page.kind != "part" and page.chapter is not None]
        self.files = {page.id: mdbook.page_path(page.chapter.source, src) for page in written if page.chapter}
        if HOME in self.files.values():
            self.home = CONTENTS
        following = ""
        for page in reversed(pages):
            if page.id in self.files:
                following = self.files[page.id]
            else:
                self.files[page.id] = following or self.home
        self.written = tuple(written)

    def file(self, page: str) -> str:
        return self.files.get(page, f"{page}.html")

    def url(self, page: str, fragment: str = "") -> str:
        return self.file(page) + (f"#{fragment}" if fragment else "")


def write_web(assembled: Assembled, dest: Path, options: Options) -> list[Path]:
    """Write ``dest/site``; the EPUB and PDF already in ``dest`` become its downloads.

    The pages and the blocks of the search index are made in ``options.jobs`` worker processes when
    there is enough to make (a long book, not in the cache); they inherit all that
    :class:`SitePages` prepared, so nothing big is sent to them. A file that comes out as it is
    in the site of ``options.output`` (the previous build's) is linked from there rather than written.
    """
    sheets, problems = styles.layers(assembled.book, "web")
    if has_errors(problems):
        raise BookError(problems)
    site = dest / SITE
    previous = options.output / SITE
    site.mkdir(parents=True, exist_ok=True)
    sitemap = SiteMap(assembled.pages, assembled.book.mdbook_src)
    downloads = copy_downloads(dest, site, assembled.slug)
    copy_book_files(assembled, sheets.assets, site, previous)
    for sheet in sheets.sheets:
        _write(site, sheet.href, sheet.text.encode("utf-8"), previous)
    for href, file in styles.book_face_files(assembled.book, "web"):  # the face's fonts and licence
        _write(site, href, file.read_bytes(), previous)
    _write(site, SCRIPT, asset_text(assembled.book.config.root, "octavo.js").encode("utf-8"), previous)
    work = SiteWork(SitePages(assembled, sitemap, [s.href for s in sheets.sheets], downloads, site, previous),
                    SearchIndex.of(sitemap.written, assembled.memo.area("search")))
    with workers(options.jobs if work.size() >= PARALLEL_MIN_BYTES else 1, work) as pool:
        submitted = {start: pool.submit(_index_block, start) for start in work.search.starts()}
        written = [pool.submit(_write_pages, first, last) for first, last in work.pages.runs()]
        _write(site, sitemap.home, work.pages.home().encode("utf-8"), previous)
        for done in written:
            done.result()
        blocks = {start: block.result() for start, block in submitted.items()}
    for start, block in blocks.items():
        search.keep(work.search, start, block)
    script = search.script(sitemap.written, sitemap.file, blocks.values())
    _write(site, SEARCH_INDEX, script.encode("utf-8"), previous)
    pages = {sitemap.home, *sitemap.files.values()}
    if work.pages.common["print_page"] and PRINT not in pages:
        _write(site, PRINT, work.pages.print_page().encode("utf-8"), previous)
        pages.add(PRINT)
    missing = not_found_file(assembled.book.config.mdbook.input_404)
    if missing not in pages:  # a chapter of that name keeps its page
        _write(site, missing, work.pages.not_found(missing).encode("utf-8"), previous)
        pages.add(missing)
    for old, new in assembled.book.config.mdbook.redirect:
        if old not in pages:  # a page of the book stays where it is
            _write(site, old, redirect_page(new, assembled.book.config.meta.language).encode("utf-8"), previous)
    return [site]


def not_found_file(input_404: str | None) -> str:
    """Where the 404 page goes: mdBook's name for it, its Markdown file's with ``.html``."""
    return (input_404 or "404.md").replace(".md", ".html")


def base_href(config: Config) -> str | None:
    """The site's address for the 404 page's ``<base>`` (``[site] base-url``, or mdBook's
    ``site-url``, as mdBook sets it): a server shows the page at any missing address
    (``/a/b/gone.html``), from where its paths would not be read right. Without either, none:
    the page's paths then hold for a missing page at the site's top, and from ``file://``."""
    base = config.site.base_url or config.mdbook.site_url
    if not base:
        return None
    return base if base.endswith("/") else base + "/"


def redirect_page(target: str, language: str) -> str:
    """A page that sends the reader on to ``target`` ([output.html.redirect]), keeping the
    ``#fragment`` they came with, as mdBook's own redirect pages do."""
    href = escape(target)
    script = json.dumps(target).replace("<", "\\u003c")
    return (f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Redirecting…</title>\n"
            f'<meta http-equiv="refresh" content="0; URL={href}">\n<link rel="canonical" href="{href}">\n'
            f"<script>if (location.hash) {{ var to = new URL({script}, location.href); to.hash = location.hash; "
            f"location.replace(to.href); }}</script>\n"
            f'</head>\n<body>\n<p>This page has moved to <a href="{href}">{href}</a>.</p>\n</body>\n</html>\n')


def mdbook_notes(html: str) -> str:
    """Footnote ids as mdBook writes them (``footnote-x``, and ``fr-x-1`` for the first call), for
    the web edition of an mdBook project; the EPUB and PDF keep octavo's, which their notes use."""
    def mdbook_id(match: re.Match[str]) -> str:
        attribute, kind, label, number = match.groups()
        if kind == "note":
            return f'{attribute}footnote-{label}{f"-{number}" if number else ""}"'
        return f'{attribute}fr-{label}-{number or 1}"'

    return NOTE_ID.sub(mdbook_id, html)


def rebase(html: str, file: str) -> str:
    """A page's HTML for its place ``file`` in the site: its paths, all written from the site's
    top, reached through "../" from a page in a folder (an mdBook project's ``cli/build.html``)."""
    depth = file.count("/")
    if not depth:
        return html
    up = "../" * depth

    def candidates(match: re.Match[str]) -> str:  # srcset="a.png 1x, b.png 2x": each URL
        return match.group(1) + ", ".join(
            up + item if item and not re.match(r"^([#/]|[A-Za-z][A-Za-z0-9+.-]*:)", item) else item
            for item in (part.strip() for part in match.group(2).split(", "))) + '"'

    return SRCSET.sub(candidates, SITE_PATH.sub(lambda m: m.group(1) + up, html))


WRITER = Writer("web edition", ("web",), write_web)


@dataclass(frozen=True)
class SiteWork:
    """What the workers share: the pages to write and the search index to make."""

    pages: SitePages
    search: SearchIndex

    def size(self) -> int:
        return self.pages.work() + self.search.work()


def _index_block(work: SiteWork, start: int) -> search.Block:
    """A block of the search index, and its pages' text scripts, from the sections it parsed."""
    with gc_paused():  # see gc_paused: a task is short, and its garbage is collected after it
        parsed: dict[int, list[search.Section]] = {}
        block = search.index_block(work.search, start, parsed)
        for number in work.search.block(start):
            _write(work.pages.site, search.text_href(number), search.text_script(
                work.search.pages[number], number, parsed.get(number)).encode("utf-8"), work.pages.previous)
        return block


def _write_pages(work: SiteWork, first: int, last: int) -> None:
    with gc_paused():
        for position in range(first, last):
            _write(work.pages.site, work.pages.chain[position].href, work.pages.html(position), work.pages.previous)


class SitePages:
    """Every page of the site as HTML, from the templates or the cache.

    Made once in the main process: the Jinja environment with the page templates compiled, the
    context every page shares, the plain side contents and each page's cache key; a worker
    process forked afterwards writes pages from it as they are.

    A page whose template context is unchanged since the last build (same page, body, contents,
    neighbours, styles, templates and code) comes from the cache instead of the templates.
    ``previous`` is the published site, whose files :func:`_write` may link.
    """

    def __init__(self, assembled: Assembled, sitemap: SiteMap, sheets: list[str], downloads: list[Download],
                 site: Path, previous: Path | None = None) -> None:
        self.assembled, self.sitemap, self.downloads, self.site = assembled, sitemap, downloads, site
        self.previous = previous
        self.env = templates.environment(assembled.book.config.root, assembled.memo.area("jinja").folder,
                                        assembled.book.config.words)
        meta = assembled.book.config.meta
        self.pages = sitemap.written
        self.chain = [Link(sitemap.home, meta.title), *(Link(sitemap.file(p.id), p.title) for p in self.pages)]
        mdbook_html = assembled.book.config.mdbook
        self.common: dict[str, Any] = {
            "book": meta, "site": safe_site(assembled.book.config.site), "styles": sheets, "script": SCRIPT,
            "home": Link(sitemap.home, meta.title), "toc": assembled.toc, "url": sitemap.url,
            "repository": mdbook_html.git_repository_url if assembled.book.mdbook_src is not None else None,
            "edit_template": mdbook_html.edit_url_template if assembled.book.mdbook_src is not None else None,
            "direction": assembled.book.config.direction, "base_href": None,
            # mdBook's print.html, in an mdBook project (an octavo book has its PDF to print)
            "print_page": PRINT if assembled.book.mdbook_src is not None and mdbook_html.print_page
            and PRINT not in sitemap.files.values() else None,
            # the script's words (search results, folded code) when they are not English; octavo.js has those
            "script_words": script_words(assembled.book.config.words),
            # the header's downloads carry no size, which would change every page's cache key
            "downloads": [replace(item, size="") for item in downloads],
        }
        self.sidebar = SideContents(self.env, assembled.toc, sitemap.url)
        # octavo's own page templates print side_contents as it is, so a page can be rebased
        # without it and get its rebased copy after (SideContents.rebased), which costs less
        book_templates = assembled.book.config.root / "templates"
        self.own_pages = self.sidebar.own and not any(
            (book_templates / "web" / name).is_file() for name in ("base.html.j2", "chapter.html.j2", "part.html.j2"))
        self.memo = assembled.memo.area("web")
        self.keys = self._keys() if self.memo.folder else []
        for name in ("web/index.html.j2", *sorted({self.template(page) for page in self.pages})):
            with templates.reported(name):  # compiled here, once, not in each worker
                self.env.get_template(name)
        self.sidebar.render("")

    def __getstate__(self) -> dict[str, Any]:
        """For a cluster's worker (:mod:`octavo.pool`): the Jinja environment is made again there."""
        return {**vars(self), "env": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self.env = templates.environment(self.assembled.book.config.root, self.assembled.memo.area("jinja").folder,
                                        self.assembled.book.config.words)
        self.sidebar.env = self.env

    def template(self, page: Page) -> str:
        return "web/part.html.j2" if page.kind == "part" else "web/chapter.html.j2"

    def _keys(self) -> list[str]:
        """Each page's cache key (the contents page has none: it is always made)."""
        salt = digest(code_digest(*CODE),
                      templates_digest(self.assembled.book.config.root),
                      {k: v for k, v in self.common.items() if k != "url"}, self.sitemap.files)
        links = self.assembled.xrefs.digest
        return ["", *(digest(salt, self.template(page), self.chain[position - 1:position + 2],
                             page_fingerprint(page, links))
                      for position, page in enumerate(self.pages, 1))]

    def work(self) -> int:
        """How much there is to render: the size of the chapters of pages the cache lacks."""
        return uncached_size(self.pages, self.keys[1:], self.memo)

    def runs(self, size: int = 16) -> list[tuple[int, int]]:
        """The book's pages (positions 1 on) in runs of ``size``, one task each."""
        return [(first, min(first + size, len(self.chain))) for first in range(1, len(self.chain), size)]

    def context(self, position: int) -> dict[str, Any]:
        chain = self.chain
        page = self.pages[position - 1] if position else None
        current = page.id if page else ""
        return {**self.common, "canonical": canonical(self.assembled, chain[position].href, self.sitemap.home),
                "prev": chain[position - 1] if position > 0 else None,
                "next": chain[position + 1] if position + 1 < len(chain) else None,
                "side_contents": self.sidebar.for_page(current), "edit_url": self.edit_url(page),
                "head_title": page.chapter.head_title if page and page.chapter else None}

    def edit_url(self, page: Page | None) -> str | None:
        """mdBook's edit link: ``edit-url-template`` with ``{path}`` the chapter's path in the book
        folder (``src/cli/build.md``), as mdBook fills it in."""
        template, src = self.common["edit_template"], self.assembled.book.mdbook_src
        if not template or page is None or page.chapter is None or src is None:
            return None
        return str(template).replace("{path}", page.chapter.source)

    def home(self) -> str:
        meta = self.assembled.book.config.meta
        cover = self.assembled.book.cover
        image = canonical(self.assembled, cover) if cover else None  # only a full address serves a link preview
        return rebase(templates.render(
            self.env, "web/index.html.j2", **{**self.context(0), "downloads": self.downloads}, title=meta.title,
            kind="home", current="", cover=self.assembled.book.cover,
            imprint=imprint(meta, self.assembled.book.config.words),
            image=image, schema=Markup(schema_book(meta, image)),
            first=self.chain[1] if len(self.chain) > 1 else None, entries=self.assembled.toc), self.sitemap.home)

    def not_found(self, file: str) -> str:
        """The 404 page, written at ``file``: an mdBook project's own (``src/404.md``) or the
        default words in the book's language; its paths are read from ``<base href>`` when the
        site's address is known (:func:`base_href`), else from ``file``."""
        body: Markup | None = None
        rendered = self.assembled.not_found
        if rendered is not None:
            html = xrefs.relink(rendered.html, self.assembled.xrefs, self.sitemap.url, None, str)
            body = web_body(Markup(mdbook_notes(html)), intro=False)
        base = base_href(self.assembled.book.config)
        html = templates.render(
            self.env, "web/404.html.j2", **{**self.context(0), "next": None, "side_contents": self.sidebar.for_page(""),
                                          "canonical": None, "base_href": base},
            title=self.assembled.book.config.words.gettext("Page not found"), kind="not-found",
            current="_not-found", body=body)
        return html if base else rebase(html, file)

    def print_page(self) -> str:
        """mdBook's ``print.html``: every page of the book in one, which prints the book. Ids are
        made unique as mdBook makes them (:func:`octavo.mdbook.web.print_ids`), and a link to a
        page of the book goes to its place in this one (to a page: to its first id). A page
        break comes before each chapter but the first unless ``[output.html.print] page-break``
        is false."""
        written = [page.chapter for page in self.pages]
        bodies = [mdbook_notes(chapter.html) if chapter else "" for chapter in written]  # mdBook's note ids
        ids = mdbook.print_ids(bodies, [{h.id: h.text for h in c.headings} if c else {} for c in written])
        where = {page.id: number for number, page in enumerate(self.pages)}

        def url_for(chapter: str, fragment: str) -> str:
            if chapter not in where:
                return self.sitemap.url(chapter, fragment)
            own, fragment = ids[where[chapter]], mdbook_notes(f' id="{fragment}"')[5:-1]  # a note's: mdBook's
            return "#" + mdbook.PLACED + (own.get(fragment, fragment) if fragment else next(iter(own.values()), ""))

        chapters = [Markup(mdbook.print_body(str(web_body(Markup(xrefs.relink(
            body, self.assembled.xrefs, url_for, None, str)), intro=False)), ids[number]))
            for number, (chapter, body) in enumerate(zip(written, bodies, strict=True)) if chapter is not None]
        meta = self.assembled.book.config.meta
        return templates.render(
            self.env, "web/print.html.j2", **{**self.context(0), "next": None, "head_title": meta.title},
            title=meta.title, kind="print", current="_print", chapters=chapters,
            page_break=self.assembled.book.config.mdbook.print_page_break)

    def html(self, position: int) -> bytes:
        """The page's HTML as UTF-8, as it is written."""
        if self.keys:
            return self.memo.data(self.keys[position], partial(self._render, position))
        return self._render(position).encode("utf-8")

    def _render(self, position: int) -> str:
        page = self.pages[position - 1]
        body = web_body(page_body(self.assembled, page, self.sitemap.url, str, hidden_code=True),
                        intro=page.kind == "part")
        if self.assembled.book.mdbook_src is not None:
            body = Markup(mdbook_notes(body))
        file, context = self.chain[position].href, self.context(position)
        later = self.own_pages and "/" in file  # the side contents, rebased on their own
        if later:
            context["side_contents"] = Markup(SIDE_CONTENTS)
        html = rebase(templates.render(self.env, self.template(page), **context, title=page.title,
                                       kind=page.kind, current=page.id, page=page, body=body), file)
        return html.replace(SIDE_CONTENTS, self.sidebar.rebased(page.id, file, rebase)) if later else html


def safe_site(site: SiteOptions) -> SiteOptions:
    """Footer links may point to web pages and pages of the site, never run a script, as in chapters."""
    links = tuple(link for link in site.footer if not is_url(link.url) or link.url.lower().startswith(WEB_SCHEMES))
    return replace(site, footer=links)


def canonical(assembled: Assembled, href: str, home: str = HOME) -> str | None:
    base = assembled.book.config.site.base_url
    if not base:
        return None
    return base.rstrip("/") + "/" + ("" if href == home == HOME else href)


def web_body(body: Markup, intro: bool) -> Markup:
    """The chapter's XHTML made ready for an HTML page.

    ``epub:type`` means nothing on the web (the ARIA roles beside it carry the semantics), wide
    tables scroll in a box of their own instead of widening the page, and the page keeps a single
    ``h1``: a part's intro moves all its headings one level down under the part title, and a
    chapter with a second ``h1`` keeps only the first.
    """
    html = EPUB_TYPE.sub("", str(body))
    html = TABLE_OPEN.sub('<div class="table-wrap"><table', html).replace("</table>", "</table></div>")
    html = demote_headings(html) if intro else _single_h1(html)
    return Markup(html)  # our own rendered chapter, already sanitised


def demote_headings(html: str) -> str:
    return HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", html)


def _single_h1(html: str) -> str:
    seen = 0

    def keep_first(match: re.Match[str]) -> str:
        nonlocal seen
        if match.group(2) != "1":
            return match.group(0)
        seen += 0 if match.group(1) else 1
        return match.group(0) if seen <= 1 else f"<{match.group(1)}h2"

    return HEADING_TAG.sub(keep_first, html) if html.count("<h1") > 1 else html


def copy_downloads(dest: Path, site: Path, slug: str) -> list[Download]:
    """The EPUB and PDF built in this run, copied in; a format not built gets no link."""
    found: list[Download] = []
    for extension, label in FORMATS:
        source = dest / f"{slug}.{extension}"
        if not source.is_file():
            continue
        href = f"{DOWNLOADS}/{source.name}"
        (site / DOWNLOADS).mkdir(exist_ok=True)
        shutil.copyfile(source, site / href)
        found.append(Download(label, href, human_size(source.stat().st_size)))
    return found


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def copy_book_files(assembled: Assembled, sheet_assets: Sequence[str], site: Path,
                    previous: Path | None = None) -> None:
    """Images, the cover and the files the book's sheets use, at their book-relative paths, so the
    chapters' ``src`` and the sheets' ``url()`` work unchanged. Every path was checked to be inside
    the book when it was read; a downloaded image comes from the build's cache. One that is as it
    was in the ``previous`` site is linked from there (:func:`octavo.output.place`)."""
    cover = [assembled.book.cover] if assembled.book.cover else []
    for path in dict.fromkeys([*images(assembled), *cover, *sheet_assets]):
        _write(site, path, assembled.asset_path(path).read_bytes(), previous)


def asset_text(book_root: Path, name: str) -> str:
    """A script of the web edition; a book may replace it in ``templates/web/assets/``."""
    own = book_root / "templates" / "web" / "assets" / name
    return (own if own.is_file() else ASSETS / name).read_text(encoding="utf-8")


def _write(site: Path, href: str, data: bytes, previous: Path | None) -> None:
    """Write the site's file ``href``, or link the previous build's when it is the same."""
    path = site / href
    if "/" in href:
        path.parent.mkdir(parents=True, exist_ok=True)
    place(path, data, previous / href if previous is not None else None)


# What octavo.js says, by its own key: a message, or a plural message as (singular, plural).
SCRIPT_WORDS: dict[str, str | tuple[str, str]] = {
    "unloaded": "The search index could not be loaded.", "nothing": "Nothing found for “%(query)s”.",
    "pages": ("%(count)s page", "%(count)s pages"), "listed": ", the first %(limit)s listed", "stop": ".",
    "show": ("Show %(count)s hidden line", "Show %(count)s hidden lines"),
    "hide": ("Hide %(count)s hidden line", "Hide %(count)s hidden lines"),
}


def script_words(words: i18n.Messages) -> str:
    """The script's words in the book's language as JSON (plurals by CLDR category, for
    Intl.PluralRules), safe inside <script>; "" for an English book, whose words the script has."""
    if i18n.catalogue_language(words.language) in (None, "en") and not words.overrides:
        return ""
    table = {key: words.plural_table(*message) if isinstance(message, tuple) else words.gettext(message)
             for key, message in SCRIPT_WORDS.items()}
    text = json.dumps(table, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

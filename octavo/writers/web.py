"""The web edition: ``site/`` with a contents page, one page per page of the book, search, downloads.

Every page is a static file that reads without JavaScript and works from ``file://`` as well as
from a server: links are relative and all pages sit side by side, and the search index is a
script rather than JSON because browsers refuse ``fetch()`` on ``file://``. ``octavo.js`` only
adds what a reader can do without: arrow-key paging, the contents drawer on phones, and search.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from octavo import styles, templates
from octavo.config import SiteOptions
from octavo.diagnostics import BookError, has_errors
from octavo.memo import code_digest, digest
from octavo.paths import is_url
from octavo.render import WEB_SCHEMES
from octavo.transforms.toc import Page
from octavo.writers.common import images, links_digest, page_body, page_fingerprint, templates_digest
from octavo.writers.web_search import writing_index

if TYPE_CHECKING:
    from octavo.pipeline import Assembled

SITE = "site"
HOME = "index.html"
SCRIPT = "js/octavo.js"
SEARCH_INDEX = "js/search-index.js"
DOWNLOADS = "downloads"
ASSETS = templates.DEFAULTS / "web" / "assets"
FORMATS = (("epub", "EPUB"), ("pdf", "PDF"))
RTL_LANGUAGES = {"ar", "arc", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}

# The chapter HTML is our own serialisation, so a tag always starts with "<" + a letter and "<"
# never appears unescaped in text or attribute values: these patterns only ever match real tags.
EPUB_TYPE = re.compile(r'(<[A-Za-z][^<>]*?)\s+epub:type="[^"]*"')
HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])")
TABLE_OPEN = re.compile(r"<table(?=[\s>])")


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
    the contents page (a chapter called ``index``) gets a numbered name."""

    def __init__(self, pages: Sequence[Page]) -> None:
        self.files: dict[str, str] = {}
        taken = {HOME}
        for page in pages:
            name, n = f"{page.id}.html", 1
            while name in taken:
                n += 1
                name = f"{page.id}-{n}.html"
            taken.add(name)
            self.files[page.id] = name

    def file(self, page: str) -> str:
        return self.files.get(page, f"{page}.html")

    def url(self, page: str, fragment: str = "") -> str:
        return self.file(page) + (f"#{fragment}" if fragment else "")


def write_web(assembled: Assembled, dest: Path) -> Path:
    """Write ``dest/site``; the EPUB and PDF already in ``dest`` become its downloads."""
    sheets, problems = styles.layers(assembled.book, "web")
    if has_errors(problems):
        raise BookError(problems)
    site = dest / SITE
    site.mkdir(parents=True, exist_ok=True)
    sitemap = SiteMap(assembled.pages)
    downloads = copy_downloads(dest, site, assembled.slug)
    copy_book_files(assembled, sheets.assets, site)
    for sheet in sheets.sheets:
        _write(site / sheet.href, sheet.text)
    _write(site / SCRIPT, asset_text(assembled.book.config.root, "octavo.js"))
    hrefs = [s.href for s in sheets.sheets]
    with writing_index(assembled, sitemap.file, site / SEARCH_INDEX):
        for name, html in render_pages(assembled, sitemap, hrefs, downloads):
            _write(site / name, html)
    return site


def render_pages(assembled: Assembled, sitemap: SiteMap, sheets: list[str], downloads: list[Download]
                 ) -> Iterator[tuple[str, str]]:
    """(file name, HTML) for the contents page and every page of the book, in reading order.

    A page whose template context is unchanged since the last build (same page, body, contents,
    neighbours, styles, templates and code) comes from the cache instead of the templates.
    """
    env = templates.environment(assembled.book.config.root, assembled.memo.area("jinja").folder)
    meta = assembled.book.config.meta
    chain = [Link(HOME, meta.title), *(Link(sitemap.file(p.id), p.title) for p in assembled.pages)]
    common: dict[str, Any] = {
        "book": meta, "site": safe_site(assembled.book.config.site), "styles": sheets, "script": SCRIPT,
        "home": Link(HOME, meta.title), "toc": assembled.toc, "url": sitemap.url,
        "direction": "rtl" if meta.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr",
    }

    def context(position: int) -> dict[str, Any]:
        return {**common, "canonical": canonical(assembled, chain[position].href),
                "prev": chain[position - 1] if position > 0 else None,
                "next": chain[position + 1] if position + 1 < len(chain) else None}

    memo = assembled.memo.area("web")
    salt = digest(code_digest("writers/web.py", "writers/common.py", "templates.py"),
                  templates_digest(assembled.book.config.root), {k: v for k, v in common.items() if k != "url"},
                  sitemap.files) if memo.folder else ""
    yield HOME, templates.render(
        env, "web/index.html.j2", **context(0), title=meta.title, kind="home", current="",
        cover=assembled.book.cover, downloads=downloads, first=chain[1] if len(chain) > 1 else None,
        entries=assembled.toc)
    links = links_digest(assembled.xrefs) if memo.folder else ""
    for position, page in enumerate(assembled.pages, 1):
        template = "web/part.html.j2" if page.kind == "part" else "web/chapter.html.j2"

        def make(position: int = position, page: Page = page, template: str = template) -> str:
            body = web_body(page_body(assembled, page, sitemap.url), intro=page.kind == "part")
            return templates.render(env, template, **context(position), title=page.title, kind=page.kind,
                                    current=page.id, page=page, body=body)

        if memo.folder is None:
            yield chain[position].href, make()
            continue
        key = digest(salt, template, chain[position - 1:position + 2], page_fingerprint(page, links))
        yield chain[position].href, memo.text(key, make)


def safe_site(site: SiteOptions) -> SiteOptions:
    """Footer links may point to web pages and pages of the site, never run a script, as in chapters."""
    links = tuple(link for link in site.footer if not is_url(link.url) or link.url.lower().startswith(WEB_SCHEMES))
    return replace(site, footer=links)


def canonical(assembled: Assembled, href: str) -> str | None:
    base = assembled.book.config.site.base_url
    if not base:
        return None
    return base.rstrip("/") + "/" + ("" if href == HOME else href)


def web_body(body: Markup, intro: bool) -> Markup:
    """The chapter's XHTML made ready for an HTML page.

    ``epub:type`` means nothing on the web (the ARIA roles beside it carry the semantics), wide
    tables scroll in a box of their own instead of widening the page, and the page keeps a single
    ``h1``: a part's intro moves all its headings one level down under the part title, and a
    chapter with a second ``h1`` keeps only the first.
    """
    html = EPUB_TYPE.sub(r"\1", str(body))
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


def copy_book_files(assembled: Assembled, sheet_assets: Sequence[str], site: Path) -> None:
    """Images, the cover and the files the book's sheets use, at their book-relative paths, so the
    chapters' ``src`` and the sheets' ``url()`` work unchanged. Every path was checked to be inside
    the book when it was read; a downloaded image comes from the build's cache."""
    cover = [assembled.book.cover] if assembled.book.cover else []
    for path in dict.fromkeys([*images(assembled), *cover, *sheet_assets]):
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(assembled.asset_path(path), target)


def asset_text(book_root: Path, name: str) -> str:
    """A script of the web edition; a book may replace it in ``templates/web/assets/``."""
    own = book_root / "templates" / "web" / "assets" / name
    return (own if own.is_file() else ASSETS / name).read_text(encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

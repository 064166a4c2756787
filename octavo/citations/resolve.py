"""Citations, book-wide: format every placeholder the chapters rendered, and make the references list.

Runs once per build after all chapters are rendered (their render cache never depends on the
bibliography), with one pandoc run for the whole book (:mod:`octavo.citations.engine`), whose result
is cached by the bibliography, the style, the language and the citations. Each citation links to
its entry (``ref-KEY``) on the page of the references list: the chapter that says ``::: {#refs}``
(pandoc's rule), else a back-matter page titled in the book's language.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from html import escape
from importlib import metadata
from pathlib import Path

from lxml import etree

from octavo import sanitize
from octavo.citations import engine
from octavo.citations.sources import Sources, bibliography_paths, book_line, load_sources
from octavo.config import CONFIG_NAME
from octavo.diagnostics import Diagnostic, error, has_errors, warning
from octavo.memo import NO_CACHE, Memo, code_digest, digest
from octavo.model import Book, Chapter, Citation, Kind, RenderedChapter
from octavo.render import XREF

CODE = ("citations/engine.py", "citations/resolve.py", "citations/sources.py")
PLACEHOLDER = re.compile(r'<span class="citation" data-cite="(\d+)"( data-cite-part="note")?>(.*?)</span>', re.S)
REF_LINK = re.compile(r'href="#ref-([^"]*)"')
SAFE_LINK = re.compile(r'<a href="(?!https?:|mailto:|ftp:|#ref-)[^"]*">(.*?)</a>', re.S)
REFS_DIV = 'id="refs"'
PAGE_IDS = ("references", "bibliography")
LOCALES = Path(__file__).resolve().parent / "locales.json"


@dataclass(frozen=True)
class Resolved:
    book: Book
    rendered: dict[str, RenderedChapter]
    problems: list[Diagnostic]


def citation_notes(book: Book) -> tuple[Sources | None, list[Diagnostic]]:
    """The book's sources, read before rendering: the style decides whether citations are notes."""
    return load_sources(book)


def resolve(book: Book, rendered: Mapping[str, RenderedChapter], sources: Sources | None,
            memo: Memo = NO_CACHE) -> Resolved:
    """The book and its chapters with every citation formatted and the references list in place."""
    chapters = dict(rendered)
    if not any(c.citations for c in chapters.values()) and (sources is None or not book.config.citations.nocite):
        return Resolved(book, chapters, [])
    if sources is None and bibliography_paths(book):  # the files or the style are wrong, and reported
        return Resolved(book, chapters, [])
    if sources is None:
        return Resolved(book, {k: _unformatted(c) for k, c in chapters.items()}, _no_bibliography(chapters))
    problems = _unknown_keys(book, chapters, sources)
    if has_errors(problems):
        return Resolved(book, chapters, problems)
    requests = [engine.Request(f"c{n}-{c.index}", c.source, c.in_note)
                for n, chapter in enumerate(chapters.values()) for c in chapter.citations]
    try:
        result = _formatted(book, sources, requests, memo)
    except engine.EngineError as exc:
        return Resolved(book, chapters, [error("bibliography.syntax" if exc.path else "citation.engine",
                                               f"cannot format the citations: {exc.message}", exc.path or "",
                                               exc.line, hint=_engine_hint(exc))])
    book, page, more = _references_page(book, chapters, sources)
    problems += more
    ids = entry_ids([key for key, _ in result.entries])
    for n, (key, chapter) in enumerate(list(chapters.items())):
        if chapter.citations:
            chapters[key] = _filled(chapter, n, result, page, ids)
    chapters[page] = _with_references(chapters[page], result, ids, _title(book))
    return Resolved(book, chapters, problems)


def _engine_hint(exc: engine.EngineError) -> str:
    if exc.path and exc.path.lower().endswith((".bib", ".bibtex")):
        return "check the entry before this line: a missing comma, brace or quote"
    return "see the message; the build made no outputs"


def _formatted(book: Book, sources: Sources, requests: list[engine.Request], memo: Memo) -> engine.Result:
    """pandoc's result, from the cache when the bibliography, style, language and citations are the same."""
    config = book.config
    key = digest(code_digest(*CODE), _pandoc_version(), sources.files, sources.style_bytes, config.meta.language,
                 config.citations.nocite, requests)
    cached = memo.load_object(key)
    if isinstance(cached, engine.Result):
        return cached
    root = config.root.resolve()
    result = engine.run(requests, [root / path for path, _ in sources.files], sources.style_file.resolve(),
                        config.meta.language, config.citations.nocite, root)
    memo.store_object(key, result)
    return result


@cache
def _pandoc_version() -> str:
    try:
        return metadata.version("pypandoc-binary")
    except metadata.PackageNotFoundError:
        return engine.pandoc_path()


def _unknown_keys(book: Book, chapters: Mapping[str, RenderedChapter], sources: Sources) -> list[Diagnostic]:
    problems = []
    known = sorted(sources.keys)
    for chapter in chapters.values():
        for citation in chapter.citations:
            for item in citation.items:
                if item.key not in sources.keys:
                    problems.append(error("citation.unknown", f"no entry '{item.key}' in the bibliography",
                                          chapter.source, citation.line, hint=_did_you_mean(item.key, known)))
    for key in book.config.citations.nocite:
        if key != "*" and key not in sources.keys:
            problems.append(error("citation.unknown", f"nocite lists '{key}', which is not in the bibliography",
                                  CONFIG_NAME, book_line(book.config, key) or book_line(book.config, "@" + key),
                                  hint=_did_you_mean(key, known)))
    return problems


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "check the key against the bibliography files; a literal @ is written \\@"


def _no_bibliography(chapters: Mapping[str, RenderedChapter]) -> list[Diagnostic]:
    """A bracketed citation in a book without a bibliography is surely a mistake; a bare ``@name``
    may be a handle or a name, so it stays text without a word."""
    return [warning("citation.no-bibliography", f"citation {citation.source} but the book has no bibliography",
                    chapter.source, citation.line,
                    hint='add bibliography = ["references.bib"] under [book] in book.toml, or write \\[ for a '
                         "literal bracket")
            for chapter in chapters.values() for citation in chapter.citations if not citation.author_in_text]


def _unformatted(chapter: RenderedChapter) -> RenderedChapter:
    """The chapter with its citations left as written, and no placeholder markup."""
    if not chapter.citations:
        return chapter
    return replace(chapter, html=PLACEHOLDER.sub(lambda m: m.group(3), chapter.html))


def entry_ids(keys: list[str]) -> dict[str, str]:
    """Stable ids for the entries: ``ref-`` and the key, made a valid XML id where it is not one."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for key in keys:
        base = "ref-" + re.sub(r"[^\w.-]", "-", key)
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}-{n}"
        taken.add(ident)
        ids[key] = ident
    return ids


def _links(html: str, page: str, ids: Mapping[str, str]) -> str:
    """Citation links point at the entries' page; links pandoc made to anything but the web go."""
    html = SAFE_LINK.sub(lambda m: m.group(1), html)
    return REF_LINK.sub(lambda m: f'href="{XREF}{page}#{ids.get(m.group(1), "ref-" + m.group(1))}"', html)


def _filled(chapter: RenderedChapter, n: int, result: engine.Result, page: str,
            ids: Mapping[str, str]) -> RenderedChapter:
    citations = {c.index: c for c in chapter.citations}
    fills: list[str] = []

    def fill(match: re.Match[str]) -> str:
        citation: Citation = citations[int(match.group(1))]
        formatted = result.citations.get(f"c{n}-{citation.index}")
        if formatted is None:  # pandoc did not read it as a citation: it stays as written
            return match.group(3)
        text = formatted.note if match.group(2) and formatted.note else formatted.text
        keys = " ".join(escape(item.key) for item in citation.items)
        made = f'<span class="citation" data-cites="{keys}">{_links(text, page, ids)}</span>'
        fills.append(made)
        return made

    html = PLACEHOLDER.sub(fill, chapter.html)
    return replace(chapter, html=html, digest=digest(chapter.digest, fills) if chapter.digest else "")


def _title(book: Book) -> str:
    """The references page's title: the book's setting, else the CSL locale's word for references."""
    if book.config.citations.title:
        return book.config.citations.title
    return locale_title(book.config.meta.language)


@cache
def _locales() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(LOCALES.read_text(encoding="utf-8"))
    return data


def locale_title(language: str) -> str:
    """"References" in the book's language, as the CSL locales say it (en-US when they do not)."""
    locales = _locales()
    words, primary = locales["references"], locales["primary-dialects"]
    tag = language.replace("_", "-")
    for candidate in (tag, primary.get(tag.split("-")[0].lower(), ""), "en-US"):
        if candidate in words:
            return words[candidate]
    return "References"


def _references_page(book: Book, chapters: dict[str, RenderedChapter], sources: Sources
                     ) -> tuple[Book, str, list[Diagnostic]]:
    """The id of the page that holds the references list, made as back matter if no chapter says
    ``::: {#refs}``; a second ``{#refs}`` is reported, since a list has one place."""
    holders = [c for c in chapters.values() if REFS_DIV in c.html and "refs" in c.anchors]
    problems = [warning("citation.refs-twice", f"a references list is already placed in {holders[0].source}; this "
                        "::: {#refs} stays empty", c.source, hint="keep one ::: {#refs} in the book")
                for c in holders[1:]]
    if holders:
        return book, holders[0].id, problems
    taken = {c.id for c in book.chapters()}
    ident = next((i for i in PAGE_IDS if i not in taken), None)
    n = 2
    while ident is None:
        ident = f"references-{n}" if f"references-{n}" not in taken else None
        n += 1
    title = _title(book)
    source = sources.files[0][0] if sources.files else CONFIG_NAME
    chapter = Chapter(id=ident, source=source, text="", kind=Kind.BACK, title=title)
    chapters[ident] = RenderedChapter(id=ident, source=source, html='<div id="refs"></div>', title=title,
                                      title_html=escape(title, quote=False), has_title_heading=False,
                                      anchors=frozenset({"refs"}), digest=digest("references page", ident))
    return replace(book, back=(*book.back, chapter)), ident, problems


def _with_references(chapter: RenderedChapter, result: engine.Result, ids: Mapping[str, str], title: str
                     ) -> RenderedChapter:
    """The chapter with the entries in its ``#refs`` element, marked up as a bibliography.

    Entries are list items with ``epub:type="biblioentry"`` and no ARIA role: DPUB-ARIA 1.1
    deprecates ``doc-biblioentry``, and EPUBCheck and Ace both warn about it.
    """
    root = sanitize.parse(chapter.html, raw=False)
    holder = next(e for e in root.iter() if e.get("id") == "refs")
    holder.set("class", " ".join(filter(None, [holder.get("class"), "references"])))
    holder.set("role", "doc-bibliography")
    holder.set(sanitize.EPUB_TYPE, "bibliography")
    holder.set("aria-label", title)
    if result.entries:
        items = "".join(f'<li id="{ids[key]}" class="csl-entry" epub:type="biblioentry">'
                        f"{_links(html, chapter.id, ids)}</li>" for key, html in result.entries)
        listing = etree.fromstring(f'<ul xmlns:epub="{sanitize.EPUB_NS}" class="csl-bib-body">{items}</ul>')
        holder.append(listing)
    anchors = chapter.anchors | frozenset(ids.values())
    html = sanitize.serialize(root)
    return replace(chapter, html=html, anchors=anchors, digest=digest(chapter.digest, html) if chapter.digest else "")

"""``book.toml`` -> frozen dataclasses, with every problem of the file reported at once.

Keys are checked against what octavo knows, so a typo (``autors``) is an error with a
did-you-mean instead of a setting that silently does nothing. Tables that belong to mdBook
(``[output.*]``, ``[preprocessor.*]``, ``[rust]``) are ignored with one notice, so an mdBook
project builds unchanged.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pygments.styles import get_all_styles

from octavo.diagnostics import Diagnostic, error, notice
from octavo.writers.registry import FORMATS

CONFIG_NAME = "book.toml"
IGNORED_TABLES = ("output", "preprocessor", "rust")

BOOK_KEYS = {
    "title", "subtitle", "authors", "language", "identifier", "publisher", "date", "description",
    "subjects", "rights", "cover", "chapters", "front", "back", "parts",
    # citations, named as pandoc names them (citation-style is another name for csl)
    "bibliography", "csl", "citation-style", "nocite", "reference-section-title",
    # mdBook's own [book] keys, accepted so its projects build unchanged
    "src", "multilingual", "text-direction",
}
PART_KEYS = {"title", "intro", "chapters"}
BUILD_KEYS = {
    "formats", "output", "toc-depth", "max-megapixels", "number-figures",
    "build-dir", "create-missing", "use-default-preprocessors", "extra-watch-dirs",
}
SITE_KEYS = {"header", "footer", "base-url"}
STYLE_KEYS = {
    "sheets", "body-font", "body-size", "heading-font", "line-height", "text-color", "accent-color",
    "page-size", "page-margins", "justify", "hyphenate", "code-theme", "code-theme-dark",
    "book-face",
}
PDF_KEYS = {"page-references"}
CODE_THEME_KEYS = ("code-theme", "code-theme-dark")  # Pygments style names, not CSS values
OWN_CODE_THEMES = ("octavo", "octavo-dark")  # octavo's own styles (octavo/codestyle.py), beside Pygments' ones
TOP_KEYS = {"book", "build", "site", "style", "pdf", *IGNORED_TABLES}
# BCP 47, loosely: a primary language subtag, then script/region/variant subtags.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")


@dataclass(frozen=True)
class Metadata:
    title: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    language: str = "en"
    identifier: str = ""
    publisher: str | None = None
    date: str | None = None
    description: str | None = None
    subjects: tuple[str, ...] = ()
    rights: str | None = None
    cover: str | None = None


@dataclass(frozen=True)
class CitationOptions:
    """Where the works cited are, how to cite them, and which to list though never cited."""

    bibliography: tuple[str, ...] = ()  # book-relative paths: .bib, .json (CSL-JSON), .yaml (CSL-YAML)
    style: str | None = None  # a style octavo ships, by name, or a .csl file of the book; None: Chicago
    nocite: tuple[str, ...] = ()  # keys, or "*" for every entry
    title: str | None = None  # the references page's title; None: the CSL locale's word


@dataclass(frozen=True)
class PartSpec:
    title: str
    chapters: tuple[str, ...]
    intro: str | None = None


@dataclass(frozen=True)
class Outline:
    """The reading order as the user wrote it; ``None`` everywhere means "find it yourself"."""

    chapters: tuple[str, ...] | None = None
    front: tuple[str, ...] = ()
    parts: tuple[PartSpec, ...] = ()
    back: tuple[str, ...] = ()
    src: str | None = None

    @property
    def explicit(self) -> bool:
        return self.chapters is not None or bool(self.front or self.parts or self.back)


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    output: str | None = None
    toc_depth: int = 2
    max_megapixels: float = 50  # a larger image is an error: see octavo.assets.Limits
    number_figures: bool | None = None  # None: number them when the book has cross-references


@dataclass(frozen=True)
class FooterLink:
    title: str
    url: str


@dataclass(frozen=True)
class SiteOptions:
    header: str | None = None
    footer: tuple[FooterLink, ...] = ()
    base_url: str | None = None


@dataclass(frozen=True)
class StyleOptions:
    sheets: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    code_theme: str = "octavo"
    code_theme_dark: str = ""  # "": the dark sibling of code_theme (see octavo.codestyle.dark_of)


@dataclass(frozen=True)
class PdfOptions:
    page_references: bool = False  # every cross-reference says "on page N" in print


@dataclass(frozen=True)
class Config:
    root: Path
    meta: Metadata
    outline: Outline = field(default_factory=Outline)
    build: BuildOptions = field(default_factory=BuildOptions)
    site: SiteOptions = field(default_factory=SiteOptions)
    style: StyleOptions = field(default_factory=StyleOptions)
    pdf: PdfOptions = field(default_factory=PdfOptions)
    has_file: bool = True
    citations: CitationOptions = field(default_factory=CitationOptions)


class _Reader:
    """Reads typed values out of the parsed TOML, noting each problem with the key's path and line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.problems: list[Diagnostic] = []

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=|^\s*\[+\s*[\w.-]*{re.escape(key)}\s*\]+', re.M)
        match = pattern.search(self.text)
        return self.text.count("\n", 0, match.start()) + 1 if match else None

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        leaf = key.rsplit(".", 1)[-1]
        self.problems.append(error("config", message, CONFIG_NAME, self.line_of(leaf), hint=hint))

    def check_keys(self, table: Mapping[str, Any], known: set[str], where: str) -> None:
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(sorted(known))}"
                self.fail(key, f"unknown key '{where}{key}'", hint)

    def string(self, table: Mapping[str, Any], key: str, where: str) -> str | None:
        value = table.get(key)
        if value is None or isinstance(value, str):
            return value
        if key == "date" and hasattr(value, "isoformat"):
            return str(value.isoformat())
        self.fail(key, f"'{where}{key}' must be a string, not {type(value).__name__}")
        return None

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.fail(key, f"'{where}{key}' must be a list of strings")
        return None

    def boolean(self, table: Mapping[str, Any], key: str, where: str) -> bool | None:
        value = table.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.fail(key, f"'{where}{key}' must be true or false, not {type(value).__name__}")
        return None

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.fail(key, f"'{key}' must be a table ([{key}])")
        return {}


def default_identifier(title: str, authors: tuple[str, ...]) -> str:
    """A UUID derived from the metadata, so every build of the same book has the same identifier."""
    seed = "\n".join([title, *authors])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'octavo:' + seed)}"


def _metadata(r: _Reader, book: Mapping[str, Any], fallback_title: str) -> Metadata:
    r.check_keys(book, BOOK_KEYS, "book.")
    title = r.string(book, "title", "book.")
    if title is not None and not title.strip():
        r.fail("title", "'book.title' is empty", "give the book a title: title = \"My Book\"")
    title = (title or "").strip() or fallback_title
    authors = r.strings(book, "authors", "book.") or ()
    language = r.string(book, "language", "book.") or "en"
    if not LANGUAGE_TAG.match(language):
        r.fail("language", f"'{language}' is not a BCP 47 language tag", "use a tag such as en, en-GB or fr")
    return Metadata(
        title=title,
        subtitle=r.string(book, "subtitle", "book."),
        authors=authors,
        language=language,
        identifier=r.string(book, "identifier", "book.") or default_identifier(title, authors),
        publisher=r.string(book, "publisher", "book."),
        date=r.string(book, "date", "book."),
        description=r.string(book, "description", "book."),
        subjects=r.strings(book, "subjects", "book.") or (),
        rights=r.string(book, "rights", "book."),
        cover=r.string(book, "cover", "book."),
    )


def _outline(r: _Reader, book: Mapping[str, Any]) -> Outline:
    parts: list[PartSpec] = []
    raw_parts = book.get("parts", [])
    if not isinstance(raw_parts, list):
        r.fail("parts", "'book.parts' must be an array of tables ([[book.parts]])")
        raw_parts = []
    for number, part in enumerate(raw_parts, 1):
        if not isinstance(part, dict):
            r.fail("parts", "each [[book.parts]] must be a table")
            continue
        r.check_keys(part, PART_KEYS, f"book.parts[{number}].")
        title = r.string(part, "title", "book.parts.")
        if not title:
            r.fail("parts", f"part {number} has no title", 'add title = "Part I" to its [[book.parts]]')
        parts.append(PartSpec(title or f"Part {number}", r.strings(part, "chapters", "book.parts.") or (),
                              r.string(part, "intro", "book.parts.")))
    return Outline(
        chapters=r.strings(book, "chapters", "book."),
        front=r.strings(book, "front", "book.") or (),
        parts=tuple(parts),
        back=r.strings(book, "back", "book.") or (),
        src=r.string(book, "src", "book."),
    )


def _build(r: _Reader, build: Mapping[str, Any]) -> BuildOptions:
    r.check_keys(build, BUILD_KEYS, "build.")
    formats = r.strings(build, "formats", "build.") or FORMATS
    for name in formats:
        if name not in FORMATS:
            r.fail("formats", f"unknown format '{name}'", f"formats are {', '.join(FORMATS)}")
    depth = build.get("toc-depth", 2)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 6:
        r.fail("toc-depth", "'build.toc-depth' must be a whole number from 1 to 6")
        depth = 2
    output = r.string(build, "output", "build.") or r.string(build, "build-dir", "build.")
    megapixels = build.get("max-megapixels", BuildOptions.max_megapixels)
    if not isinstance(megapixels, int | float) or isinstance(megapixels, bool) or not 0 < megapixels <= 10_000:
        r.fail("max-megapixels", "'build.max-megapixels' must be a number of megapixels above 0 (at most 10000)",
               "the largest image octavo accepts, width × height in millions of pixels; 50 by default")
        megapixels = BuildOptions.max_megapixels
    return BuildOptions(tuple(f for f in formats if f in FORMATS), output, depth, float(megapixels),
                        r.boolean(build, "number-figures", "build."))


def _site(r: _Reader, site: Mapping[str, Any]) -> SiteOptions:
    r.check_keys(site, SITE_KEYS, "site.")
    links: list[FooterLink] = []
    raw = site.get("footer", [])
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, dict) and isinstance(item.get("title"), str) and isinstance(item.get("url"), str):
            if re.match(r"^\s*(javascript|vbscript|data|file):", item["url"], re.I):
                r.fail("footer", f"footer link '{item['url']}' is not a web address",
                       "use an https:// address or a relative link")
                continue
            links.append(FooterLink(item["title"], item["url"]))
        else:
            r.fail("footer", "each 'site.footer' entry must be { title = \"…\", url = \"…\" }")
    base_url = r.string(site, "base-url", "site.")
    if base_url and not re.match(r"^https?://", base_url):
        r.fail("base-url", f"'site.base-url' must start with http:// or https://, not '{base_url}'")
        base_url = None
    return SiteOptions(r.string(site, "header", "site."), tuple(links), base_url)


def _style(r: _Reader, style: Mapping[str, Any]) -> StyleOptions:
    r.check_keys(style, STYLE_KEYS, "style.")
    variables: list[tuple[str, str]] = []
    for key in sorted(STYLE_KEYS - {"sheets", *CODE_THEME_KEYS}):
        value = style.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if not isinstance(value, str | int | float) or any(c in str(value) for c in ";{}<>"):
            r.fail(key, f"'style.{key}' must be a plain CSS value")
            continue
        if key == "book-face" and value not in ("print", "all", "none"):
            r.fail(key, f"'style.book-face' must be \"print\", \"all\" or \"none\", not '{value}'",
                   "print: octavo's face in the PDF only; all: in the EPUB and web edition too")
            continue
        variables.append((key, str(value)))
    themes = [_code_theme(r, style, key) for key in CODE_THEME_KEYS]
    return StyleOptions(r.strings(style, "sheets", "style.") or (), tuple(variables), themes[0] or "octavo",
                        themes[1] or "")


def _code_theme(r: _Reader, style: Mapping[str, Any], key: str) -> str | None:
    """A Pygments style name that exists (octavo's own or one Pygments has), else a problem."""
    name = r.string(style, key, "style.")
    if name is None:
        return None
    known = sorted({*get_all_styles(), *OWN_CODE_THEMES})
    if name in known:
        return name
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"themes: {', '.join(known)}"
    r.fail(key, f"unknown code theme '{name}' in 'style.{key}'", hint)
    return None


def _citations(r: _Reader, book: Mapping[str, Any]) -> CitationOptions:
    style = r.string(book, "csl", "book.")
    alias = r.string(book, "citation-style", "book.")
    if style and alias and style != alias:
        r.fail("citation-style", "'book.csl' and 'book.citation-style' name different styles",
               "keep one of them: they are two names for the same setting")
    nocite = r.strings(book, "nocite", "book.") or ()
    return CitationOptions(
        bibliography=r.strings(book, "bibliography", "book.") or (),
        style=style or alias,
        nocite=tuple(key.strip().removeprefix("@") for item in nocite for key in item.split(",") if key.strip()),
        title=r.string(book, "reference-section-title", "book."),
    )


def _pdf(r: _Reader, pdf: Mapping[str, Any]) -> PdfOptions:
    r.check_keys(pdf, PDF_KEYS, "pdf.")
    return PdfOptions(bool(r.boolean(pdf, "page-references", "pdf.")))


def _toml_error(exc: tomllib.TOMLDecodeError) -> Diagnostic:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    return error("config.toml", f"invalid TOML: {message}", CONFIG_NAME, line, col=col,
                 hint="check quotes, brackets and commas on this line")


def key_line(root: Path, key: str) -> int | None:
    """The line of ``key = …`` in the book's book.toml, for a message about its value."""
    try:
        text = (root / CONFIG_NAME).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return _Reader(text).line_of(key)


def load_config(root: Path) -> tuple[Config | None, list[Diagnostic]]:
    """Read ``root/book.toml``; a folder without one is a book whose title comes from its chapters."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return Config(root, Metadata(title="", identifier=""), has_file=False), []
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        return None, [error("config.encoding", f"not UTF-8 (byte {exc.start})", CONFIG_NAME)]
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_error(exc)]
    r = _Reader(text)
    problems: list[Diagnostic] = []
    r.check_keys(data, TOP_KEYS, "")
    ignored = [key for key in IGNORED_TABLES if key in data]
    if ignored:
        problems.append(notice("config.ignored", "ignoring tables octavo does not use: "
                               + ", ".join(f"[{k}]" for k in ignored), CONFIG_NAME))
    book = r.table(data, "book")
    if "title" not in book:
        r.fail("book", "'book.title' is missing", 'add title = "My Book" under [book]')
    config = Config(
        root=root,
        meta=_metadata(r, book, fallback_title=""),
        outline=_outline(r, book),
        build=_build(r, r.table(data, "build")),
        site=_site(r, r.table(data, "site")),
        style=_style(r, r.table(data, "style")),
        citations=_citations(r, book),
        pdf=_pdf(r, r.table(data, "pdf")),
    )
    problems.extend(r.problems)
    return config, problems

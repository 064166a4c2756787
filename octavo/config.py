"""``book.toml`` -> frozen dataclasses, with every problem of the file reported at once.

Keys are checked against what octavo knows, so a typo (``autors``) is an error with a
did-you-mean instead of a setting that silently does nothing. Tables that belong to mdBook
(``[output.*]``, ``[rust]``) are ignored with one notice, so an mdBook project builds unchanged;
its ``[preprocessor.*]`` tables are run by :mod:`octavo.mdbook`.
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
from octavo.i18n import LABELS, Messages, direction, messages, missing
from octavo.writers.registry import DEFAULT_FORMATS, FORMATS

CONFIG_NAME = "book.toml"
IGNORED_TABLES = ("output", "preprocessor", "rust")  # not read here: their keys are the renderers' own
RUN_TABLES = ("preprocessor",)  # ... but octavo.mdbook runs these, so the notice does not name them

BOOK_KEYS = {
    "title", "subtitle", "authors", "language", "identifier", "publisher", "date", "description",
    "subjects", "rights", "cover", "chapters", "front", "back", "appendices", "parts",
    # what a publisher fills in: the series, each edition's ISBN, who else made the book
    "series", "series-number", "isbn", "contributors", "made-with-octavo",
    # citations, named as pandoc names them (citation-style is another name for csl)
    "bibliography", "csl", "citation-style", "nocite", "reference-section-title",
    # mdBook's own [book] keys, accepted so its projects build unchanged
    "src", "multilingual", "text-direction",
    # which way the text runs, when the language does not say it (direction = "rtl")
    "direction",
}
PART_KEYS = {"title", "intro", "chapters"}
BUILD_KEYS = {
    "formats", "output", "toc-depth", "max-megapixels", "number-figures",
    "build-dir", "create-missing", "use-default-preprocessors", "extra-watch-dirs",
    "include-root",
}
SITE_KEYS = {"header", "footer", "base-url"}
STYLE_KEYS = {
    "sheets", "body-font", "body-size", "heading-font", "line-height", "text-color", "accent-color",
    "page-size", "page-margins", "justify", "hyphenate", "code-theme", "code-theme-dark",
    "book-face", "script-faces",
}
PDF_KEYS = {"page-references", "profile", "trim", "bleed", "marks", "paper", "paper-ppi", "back-cover"}
PDF_PROFILES = ("screen", "print")
PRINT_ONLY = ("bleed", "marks", "paper", "paper-ppi", "back-cover")  # [pdf] keys the screen profile has no use for
# Lengths in PDF points (1/72 in) by CSS unit, for [pdf] trim and bleed.
POINTS = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "pc": 12.0, "px": 0.75}
# The trim sizes print-on-demand services offer most (KDP, IngramSpark, Lulu), by the names their
# price lists use; (width, height) in points. Royal and demy are the British octavo sizes.
TRIMS = {
    "5x8": (360.0, 576.0), "5.25x8": (378.0, 576.0), "5.5x8.5": (396.0, 612.0), "6x9": (432.0, 648.0),
    "6.14x9.21": (442.08, 663.12), "7x10": (504.0, 720.0), "8.5x11": (612.0, 792.0),
    "a5": (148 * 72 / 25.4, 210 * 72 / 25.4), "royal": (156 * 72 / 25.4, 234 * 72 / 25.4),
    "demy": (138 * 72 / 25.4, 216 * 72 / 25.4),
}
# Pages per inch of the usual book papers: 50 lb (74 gsm) white and 55 lb (80 gsm) cream offset.
PAPERS = {"white": 434.0, "cream": 370.0}
CODE_THEME_KEYS = ("code-theme", "code-theme-dark")  # Pygments style names, not CSS values
OWN_CODE_THEMES = ("octavo", "octavo-dark")  # octavo's own styles (octavo/codestyle.py), beside Pygments' ones
TOP_KEYS = {"book", "build", "site", "style", "pdf", "labels", *IGNORED_TABLES}
DIRECTIONS = ("ltr", "rtl")
ISBN_EDITIONS = ("epub", "print")  # the editions an ISBN can be given for: [book] isbn = { epub = "…", print = "…" }
# Contributor roles by the words a book.toml uses -> MARC relator codes (id.loc.gov/vocabulary/relators)
ROLES = {
    "author": "aut", "editor": "edt", "translator": "trl", "illustrator": "ill", "photographer": "pht",
    "introduction": "aui", "foreword": "aui", "afterword": "aft", "cover-designer": "cov", "designer": "bkd",
    "narrator": "nrt", "contributor": "ctb", "compiler": "com", "annotator": "ann",
}
# BCP 47, loosely: a primary language subtag, then script/region/variant subtags.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")


@dataclass(frozen=True)
class Contributor:
    """Someone besides the authors who made the book, with a MARC relator code (``edt``, ``trl``…)."""

    name: str
    role: str


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
    series: str | None = None
    series_number: str | None = None  # "2", "2.5": its place in the series
    isbns: tuple[tuple[str, str], ...] = ()  # (edition, ISBN-13 without hyphens), editions as ISBN_EDITIONS
    contributors: tuple[Contributor, ...] = ()
    made_with_octavo: bool = False  # a "Made with octavo" line on the copyright page, when asked
    direction: str = ""  # "ltr" or "rtl" as the book says; "": as its language is written (octavo.i18n)

    def isbn(self, edition: str) -> str | None:
        """The ISBN of ``edition`` ("epub", "print"), or None."""
        return dict(self.isbns).get(edition)


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
    appendices: tuple[str, ...] = ()  # back matter lettered A, B, …, after ``back``
    src: str | None = None

    @property
    def explicit(self) -> bool:
        return self.chapters is not None or bool(self.front or self.parts or self.back or self.appendices)


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = DEFAULT_FORMATS
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
    profile: str = "screen"  # "print": the interior without the cover, and a cover PDF beside it
    trim: tuple[float, float] | None = None  # the page's width and height in points; None: the style sheets'
    bleed: float = 0.0  # points the interior's pages extend past the trim on each side
    marks: bool = False  # crop marks in the interior's bleed
    paper_ppi: float = PAPERS["white"]  # pages per inch of the paper, for the cover's spine
    back_cover: str | None = None  # a book path: Markdown text or an image for the back of the cover


@dataclass(frozen=True)
class MdBookHtml:
    """The keys of mdBook's ``[output.html]`` that octavo honours, so a hosted mdBook book keeps its
    addresses: where it is served, its extra sheets, its edit link, its redirects and its Markdown."""

    site_url: str | None = None  # site-url: where the web edition is served ("/book/" or a full URL)
    additional_css: tuple[str, ...] = ()  # book-relative sheets the web edition loads after octavo's
    git_repository_url: str | None = None
    edit_url_template: str | None = None  # "{path}" is the chapter's path in the book folder
    mathjax_support: bool = False  # \\( \\) and \\[ \\] are math, as MathJax reads them
    smart_punctuation: bool = False  # mdBook's default: quotes and dashes as typed
    redirect: tuple[tuple[str, str], ...] = ()  # (old page, where it went), as written
    input_404: str | None = None  # input-404: the 404 page's Markdown file in src/ (mdBook's default 404.md)
    print_page: bool = True  # [output.html.print] enable: the book on one page, print.html
    print_page_break: bool = True  # [output.html.print] page-break: a page break before each chapter of it


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
    mdbook: MdBookHtml = field(default_factory=MdBookHtml)
    file: str = CONFIG_NAME  # where the settings come from: book.toml, or a Quarto or pandoc project's file
    labels: tuple[tuple[str, str], ...] = ()  # [labels]: the book's own words for octavo's (octavo.i18n.LABELS)

    @property
    def words(self) -> Messages:
        """The words octavo writes into this book: its language's, under its own [labels]."""
        return messages(self.meta.language, dict(self.labels))

    @property
    def direction(self) -> str:
        """"rtl" or "ltr": the book's ``direction``, else its language's."""
        return direction(self.meta.language, self.meta.direction)


class _Reader:
    """Reads typed values out of the parsed TOML, noting each problem with the key's path and line."""

    def __init__(self, text: str, file: str = CONFIG_NAME) -> None:
        self.text = text
        self.file = file
        self.problems: list[Diagnostic] = []

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*[=:]|^\s*\[+\s*[\w.-]*{re.escape(key)}\s*\]+', re.M)
        match = pattern.search(self.text)
        return self.text.count("\n", 0, match.start()) + 1 if match else None

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        leaf = key.rsplit(".", 1)[-1]
        self.problems.append(error("config", message, self.file, self.line_of(leaf), hint=hint))

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
        series=r.string(book, "series", "book."),
        series_number=_series_number(r, book),
        isbns=_isbns(r, book),
        contributors=_contributors(r, book),
        made_with_octavo=bool(r.boolean(book, "made-with-octavo", "book.")),
        direction=_direction(r, book),
    )


def _direction(r: _Reader, book: Mapping[str, Any]) -> str:
    """``direction``, or mdBook's ``text-direction`` ("ltr"/"rtl"); "" leaves it to the language."""
    key = "direction" if "direction" in book else "text-direction"
    value = r.string(book, key, "book.") or ""
    if value and value not in DIRECTIONS:
        r.fail(key, f"'book.{key}' must be \"ltr\" or \"rtl\", not '{value}'",
               "leave it out to follow the language (ar, he, fa, ur are right to left)")
        return ""
    return value


def _labels(r: _Reader, table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """``[labels]``: a book's own words for octavo's, by key (``chapter = "Kap. {number}"``)."""
    r.check_keys(table, set(LABELS), "labels.")
    found: list[tuple[str, str]] = []
    for key in sorted(table):
        text = r.string(table, key, "labels.")
        if key in LABELS and text is not None:
            allowed = set(re.findall(r"%\((\w+)\)s", LABELS[key]))
            unknown = sorted(set(re.findall(r"\{(\w+)\}", text)) - allowed)
            if unknown:
                r.fail(key, f"'labels.{key}' has {{{unknown[0]}}}, which octavo does not fill in",
                       "it can hold " + (", ".join(f"{{{name}}}" for name in sorted(allowed)) or "no placeholders"))
                continue
            found.append((key, text))
    return tuple(found)


def _series_number(r: _Reader, book: Mapping[str, Any]) -> str | None:
    value = book.get("series-number")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not re.fullmatch(
            r"\d+(\.\d+)?", str(value).strip()):
        r.fail("series-number", "'book.series-number' must be a number, such as 2",
               "the book's place in its series (book.series)")
        return None
    if "series" not in book:
        r.fail("series-number", "'book.series-number' is set but 'book.series' is not",
               'name the series too: series = "…"')
    return str(value).strip()


def isbn13(text: str) -> str | None:
    """``text`` as an ISBN-13 of digits alone (an ISBN-10 is converted), or None if it is not one."""
    digits = re.sub(r"[\s-]", "", text).upper().removeprefix("ISBN").removeprefix(":")
    if re.fullmatch(r"\d{9}[\dX]", digits):
        if sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits)) % 11:
            return None
        digits = "978" + digits[:9]
        return digits + str(-sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10)
    if re.fullmatch(r"97[89]\d{10}", digits):
        return digits if sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10 == 0 else None
    return None


def _isbns(r: _Reader, book: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    value = book.get("isbn")
    if value is None:
        return ()
    if not isinstance(value, dict):
        r.fail("isbn", "'book.isbn' must be a table of ISBNs by edition",
               'isbn = { epub = "978-…", print = "978-…" }')
        return ()
    found: list[tuple[str, str]] = []
    for edition, text in value.items():
        if edition not in ISBN_EDITIONS:
            r.fail("isbn", f"unknown edition '{edition}' in 'book.isbn'", f"editions: {', '.join(ISBN_EDITIONS)}")
        elif not isinstance(text, str) or (number := isbn13(text)) is None:
            r.fail("isbn", f"'{text}' in 'book.isbn.{edition}' is not a valid ISBN",
                   "an ISBN-13 (978-…) or ISBN-10 whose check digit matches; copy it from your ISBN agency")
        else:
            found.append((edition, number))
    return tuple(found)


def _contributors(r: _Reader, book: Mapping[str, Any]) -> tuple[Contributor, ...]:
    value = book.get("contributors", [])
    items = value if isinstance(value, list) else [value]
    found: list[Contributor] = []
    codes = set(ROLES.values())
    for item in items:
        name, role = (item.get("name"), item.get("role")) if isinstance(item, dict) else (None, None)
        if not isinstance(name, str) or not name.strip() or not isinstance(role, str):
            r.fail("contributors", "each 'book.contributors' entry must be { name = \"…\", role = \"…\" }",
                   'contributors = [{ name = "Ada Lane", role = "editor" }]')
            continue
        code = ROLES.get(role.strip().lower(), role.strip().lower())
        if code not in codes:
            close = difflib.get_close_matches(role, sorted(ROLES), n=1)
            r.fail("contributors", f"unknown contributor role '{role}'",
                   f"did you mean '{close[0]}'?" if close else f"roles: {', '.join(sorted(ROLES))}")
            continue
        found.append(Contributor(name.strip(), code))
    return tuple(found)


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
        appendices=r.strings(book, "appendices", "book.") or (),
        src=r.string(book, "src", "book."),
    )


def _build(r: _Reader, build: Mapping[str, Any]) -> BuildOptions:
    r.check_keys(build, BUILD_KEYS, "build.")
    formats = r.strings(build, "formats", "build.") or DEFAULT_FORMATS
    for name in formats:
        if name not in FORMATS:
            r.fail("formats", f"unknown format '{name}'", f"formats are {', '.join(FORMATS)}")
    depth = build.get("toc-depth", 2)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 6:
        r.fail("toc-depth", "'build.toc-depth' must be a whole number from 1 to 6")
        depth = 2
    output = r.string(build, "output", "build.") or r.string(build, "build-dir", "build.")
    r.string(build, "include-root", "build.")  # checked here, used by octavo.mdbook.includes
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
        if key == "script-faces" and value not in ("print", "epub"):
            r.fail(key, f"'style.script-faces' must be \"print\" or \"epub\", not '{value}'",
                   "print: the PDF embeds the faces it draws; epub: the EPUB carries subsets of them too")
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


def _mdbook_html(r: _Reader, output: Mapping[str, Any]) -> MdBookHtml:
    """mdBook's ``[output.html]``: the keys octavo uses, checked; its other keys are mdBook's own
    business (themes, playground, search tuning) and stay ignored with the table's notice."""
    html = r.table(output, "html") if isinstance(output, dict) else {}
    where = "output.html."
    redirect = r.table(html, "redirect")
    pairs: list[tuple[str, str]] = []
    for old, new in redirect.items():
        if not isinstance(new, str) or not new.strip():
            r.fail(old, f"'{where}redirect.\"{old}\"' must be the address of the page it moved to")
        elif not old.endswith(".html") or ".." in old.split("/") or "\\" in old:
            r.fail(old, f"redirect '{old}' must name an .html page inside the site", 'e.g. "/old/page.html"')
        elif is_unsafe_url(new):
            r.fail(old, f"redirect to '{new}' is not a web address or a page of the site")
        else:
            pairs.append((old.lstrip("/"), new))
    site_url = r.string(html, "site-url", where)
    input_404 = r.string(html, "input-404", where)
    if input_404 is not None and (input_404.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", input_404)):
        r.fail("input-404", f"'{where}input-404' must be a file in the src folder, not '{input_404}'",
               'e.g. "404.md"')
        input_404 = None
    printing = r.table(html, "print")
    enable = r.boolean(printing, "enable", where + "print.")
    page_break = r.boolean(printing, "page-break", where + "print.")
    for key in ("git-repository-url", "edit-url-template"):
        value = r.string(html, key, where)
        if value is not None and not re.match(r"^https?://", value):
            r.fail(key, f"'{where}{key}' must start with http:// or https://, not '{value}'")
    return MdBookHtml(
        site_url=site_url,
        additional_css=r.strings(html, "additional-css", where) or (),
        git_repository_url=_web_address(r.string(html, "git-repository-url", where)),
        edit_url_template=_web_address(r.string(html, "edit-url-template", where)),
        mathjax_support=bool(r.boolean(html, "mathjax-support", where)),
        smart_punctuation=bool(r.boolean(html, "smart-punctuation", where) or r.boolean(html, "curly-quotes", where)),
        redirect=tuple(pairs),
        input_404=input_404,
        print_page=enable is not False,
        print_page_break=page_break is not False,
    )


def _web_address(value: str | None) -> str | None:
    return value if value is not None and re.match(r"^https?://", value) else None


def is_unsafe_url(url: str) -> bool:
    """A link that would run something or read a local file rather than open a page."""
    return bool(re.match(r"^\s*(javascript|vbscript|data|file):", url, re.I))


def _pdf(r: _Reader, pdf: Mapping[str, Any]) -> PdfOptions:
    r.check_keys(pdf, PDF_KEYS, "pdf.")
    profile = r.string(pdf, "profile", "pdf.") or "screen"
    if profile not in PDF_PROFILES:
        r.fail("profile", f"unknown PDF profile '{profile}' in 'pdf.profile'",
               "screen: one PDF with the cover, to read; print: the interior and a cover PDF for a printer")
        profile = "screen"
    unused = [key for key in PRINT_ONLY if key in pdf]
    if pdf.get("profile", "screen") == "screen" and unused:
        r.problems.append(notice("config.print-only", f"'pdf.{unused[0]}'" + (f" and {len(unused) - 1} more" if
                                 len(unused) > 1 else "") + " only apply to the print profile, which is off",
                                 r.file, r.line_of(unused[0]), hint='add profile = "print" under [pdf]'))
    return PdfOptions(bool(r.boolean(pdf, "page-references", "pdf.")), profile, _trim(r, pdf), _bleed(r, pdf),
                      bool(r.boolean(pdf, "marks", "pdf.")), _paper(r, pdf), r.string(pdf, "back-cover", "pdf."))


def length(text: str) -> float | None:
    """A CSS length with its unit ("3mm", "0.125in") in points; None if it is not one."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*", text.lower())
    if match is None or match.group(2) not in POINTS:
        return None
    return float(match.group(1)) * POINTS[match.group(2)]


def trim_size(text: str) -> tuple[float, float] | None:
    """A named trim ("6x9", "A5", "royal") or "W x H" with units ("152mm x 229mm", "6.14x9.21in")
    as (width, height) in points; None if it is neither."""
    name = re.sub(r"\s+", "", text.lower()).replace("×", "x")
    if name.removesuffix("in") in TRIMS:
        return TRIMS[name.removesuffix("in")]
    match = re.fullmatch(r"([\d.]+)([a-z]*)x([\d.]+)([a-z]+)", name)
    if match is None:
        return None
    width, height = length(match.group(1) + (match.group(2) or match.group(4))), length(match.group(3) + match.group(4))
    return (width, height) if width and height else None


def _trim(r: _Reader, pdf: Mapping[str, Any]) -> tuple[float, float] | None:
    text = r.string(pdf, "trim", "pdf.")
    if text is None:
        return None
    size = trim_size(text)
    if size is None:
        r.fail("trim", f"unknown trim size '{text}' in 'pdf.trim'",
               f"a name ({', '.join(n if n[0].isdigit() else n.upper() if n == 'a5' else n for n in TRIMS)}) "
               'or a width and height with units: "152mm x 229mm"')
    elif not (72 <= size[0] <= 1440 and 72 <= size[1] <= 1440):
        r.fail("trim", f"trim size '{text}' in 'pdf.trim' is not a book's page", "each side from 1 in to 20 in")
        return None
    return size


def _bleed(r: _Reader, pdf: Mapping[str, Any]) -> float:
    text = pdf.get("bleed")
    if text is None or text == 0:
        return 0.0
    points = length(text) if isinstance(text, str) else None
    if points is None or points > 36:
        shown = text if isinstance(text, str) else type(text).__name__
        r.fail("bleed", f"'pdf.bleed' must be a length from 0 to 0.5in, not '{shown}'",
               'printers ask for 3mm or 0.125in: bleed = "3mm"; leave it out when no image runs to the edge')
        return 0.0
    return points


def _paper(r: _Reader, pdf: Mapping[str, Any]) -> float:
    paper, ppi = r.string(pdf, "paper", "pdf."), pdf.get("paper-ppi")
    if ppi is not None:
        if isinstance(ppi, bool) or not isinstance(ppi, int | float) or not 100 <= ppi <= 1000:
            r.fail("paper-ppi", "'pdf.paper-ppi' must be a number of pages per inch from 100 to 1000",
                   "your printer publishes it with its paper (KDP white: 444, cream: 400)")
            return PAPERS["white"]
        return float(ppi)
    if paper is not None and paper not in PAPERS:
        r.fail("paper", f"unknown paper '{paper}' in 'pdf.paper'",
               f"papers: {', '.join(PAPERS)}; or give its thickness: paper-ppi = 434")
        return PAPERS["white"]
    return PAPERS[paper or "white"]


def _toml_error(exc: tomllib.TOMLDecodeError) -> Diagnostic:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    return error("config.toml", f"invalid TOML: {message}", CONFIG_NAME, line, col=col,
                 hint="check quotes, brackets and commas on this line")


def key_line(root: Path, key: str, file: str = CONFIG_NAME) -> int | None:
    """The line of ``key = …`` in the book's book.toml (or ``key:`` in a project's YAML), for a
    message about its value."""
    try:
        text = (root / file).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return _Reader(text, file).line_of(key)


def project_config(root: Path, file: str, text: str, tables: Mapping[str, Mapping[str, Any]]
                   ) -> tuple[Config, list[Diagnostic]]:
    """A Quarto or pandoc project's settings (``tables`` in book.toml's shape, read from ``file``),
    checked by the rules of book.toml's tables, with messages at the lines of ``file``."""
    r = _Reader(text, file)
    book = tables.get("book", {})
    config = Config(
        root=root,
        meta=_metadata(r, book, fallback_title=""),
        outline=_outline(r, book),
        build=_build(r, tables.get("build", {})),
        site=_site(r, tables.get("site", {})),
        citations=_citations(r, book),
        file=file,
    )
    return config, r.problems


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
    ignored = [key for key in IGNORED_TABLES if key in data and key not in RUN_TABLES]
    if ignored:
        problems.append(notice("config.ignored", "ignoring tables octavo does not use: "
                               + ", ".join(f"[{k}]" for k in ignored)
                               + (" (but for the [output.html] keys octavo reads: site-url, additional-css, "
                                  "git-repository-url, edit-url-template, mathjax-support, smart-punctuation, "
                                  "redirect, input-404, print)" if "output" in ignored else ""), CONFIG_NAME))
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
        mdbook=_mdbook_html(r, r.table(data, "output")),
        labels=_labels(r, r.table(data, "labels")),
    )
    problems.extend(r.problems)
    untranslated = missing(config.meta.language, dict(config.labels))
    if untranslated:
        problems.append(notice("labels.missing", f"no {config.meta.language} words for "
                               + ", ".join(untranslated) + ": they are in English", CONFIG_NAME,
                               hint="give the book's own under [labels] in book.toml (see docs/book-format.md)"))
    return config, problems

"""The book's bibliography files and citation style, read and checked before anything is formatted.

Each file's keys are found with their lines, so an unknown key gets a did-you-mean and a key in two
files is an error naming both places. A CSL-JSON or CSL-YAML file that does not parse is an error at
its line here; a malformed BibTeX file is reported at its line by pandoc when it reads it (see
:mod:`octavo.citations.engine`). Styles are found by name among those octavo ships, or as a
``.csl`` file of the book.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from octavo.config import CONFIG_NAME, Config
from octavo.diagnostics import Diagnostic, error
from octavo.model import Book
from octavo.paths import OutsideBook, book_relative

STYLES = Path(__file__).resolve().parent / "styles"
SHIPPED = ("chicago-author-date", "apa", "chicago-notes-bibliography", "harvard", "ieee", "mla")
DEFAULT_STYLE = "chicago-author-date"  # pandoc's default
CSL_NS = "http://purl.org/net/xbiblio/csl"
BIB_ENTRY = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)
BIB_NOT_ENTRIES = {"string", "preamble", "comment"}
FORMATS = {".bib": "BibTeX", ".bibtex": "BibTeX", ".json": "CSL-JSON", ".yaml": "CSL-YAML", ".yml": "CSL-YAML"}


@dataclass(frozen=True)
class Place:
    path: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Sources:
    """What the citation stage formats with: files, style, and every key with where it is."""

    files: tuple[tuple[str, bytes], ...]  # (book path, contents) of each bibliography file
    style: str  # book path of the style, or a shipped style's name
    style_file: Path
    style_bytes: bytes
    notes: bool  # a note style: citations go in footnotes
    keys: dict[str, Place] = field(default_factory=dict)


def shipped_styles() -> str:
    return ", ".join(SHIPPED)


def book_line(config: Config, value: str) -> int | None:
    """The line of ``book.toml`` that holds ``value`` as a string, for a message about it."""
    path = config.root / CONFIG_NAME
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8-sig")
    found = re.search(rf"""["']{re.escape(value)}["']""", text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def bibliography_paths(book: Book) -> list[tuple[str, str, int | None]]:
    """(path as written, where it is written, line) for book.toml's files, then the chapters'."""
    config = book.config
    found = [(value, CONFIG_NAME, book_line(config, value)) for value in config.citations.bibliography]
    for chapter in book.chapters():
        found += [(value, chapter.source, 2) for value in chapter.bibliography]
    return found


def load_sources(book: Book) -> tuple[Sources | None, list[Diagnostic]]:
    """The bibliography and style of a book that has a bibliography; None for one that has none."""
    listed = bibliography_paths(book)
    if not listed:
        return None, []
    root = book.config.root
    problems: list[Diagnostic] = []
    files: list[tuple[str, bytes]] = []
    keys: dict[str, Place] = {}
    for value, where, line in listed:
        path, data, more = _read_file(root, value, where, line)
        problems += more
        if path is None or data is None or any(path == known for known, _ in files):
            continue
        files.append((path, data))
        found, more = file_keys(path, data)
        problems += more
        for key, place in found:
            if key in keys:
                problems.append(error("bibliography.duplicate", f"citation key '{key}' is defined twice: at "
                                      f"{keys[key]} and here", place.path, place.line,
                                      hint="keep one entry, or give one of them another key"))
            else:
                keys[key] = place
    style, more = load_style(book.config)
    problems += more
    if style is None or problems:
        return None, problems
    name, file, data, notes = style
    return Sources(tuple(files), name, file, data, notes, keys), problems


def _read_file(root: Path, value: str, where: str, line: int | None
               ) -> tuple[str | None, bytes | None, list[Diagnostic]]:
    try:
        path = book_relative(root, "", value)
    except OutsideBook:
        return None, None, [error("bibliography.outside", f"bibliography '{value}' is outside the book folder",
                                  where, line, hint="copy the file into the book folder")]
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        return None, None, [error("bibliography.format", f"bibliography '{value}' is not a format octavo reads",
                                  where, line, hint="use BibTeX or BibLaTeX (.bib), CSL-JSON (.json) or "
                                                    "CSL-YAML (.yaml)")]
    if not (root / path).is_file():
        return None, None, [error("bibliography.missing", f"bibliography '{value}' does not exist", where, line,
                                  hint="check the path: it is relative to " +
                                  ("the book folder" if where == CONFIG_NAME else "the chapter's folder"))]
    return path, (root / path).read_bytes(), []


def file_keys(path: str, data: bytes) -> tuple[list[tuple[str, Place]], list[Diagnostic]]:
    """Every entry's key in a bibliography file, with its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [error("bibliography.encoding", f"not UTF-8 (byte {exc.start})", path,
                          data.count(b"\n", 0, exc.start) + 1, hint="save the file as UTF-8")]
    kind = FORMATS[Path(path).suffix.lower()]
    if kind == "BibTeX":
        return [(m.group(2), Place(path, text.count("\n", 0, m.start()) + 1)) for m in BIB_ENTRY.finditer(text)
                if m.group(1).lower() not in BIB_NOT_ENTRIES], []
    items, problem = _csl_items(path, text, kind)
    if problem is not None:
        return [], [problem]
    found: list[tuple[str, Place]] = []
    for item in items:
        key = str(item.get("id", "")) if isinstance(item, dict) else ""
        if not key:
            return found, [error("bibliography.entry", "an entry has no id", path, hint="give every entry an id")]
        where = re.search(rf"""(["']?)id\1\s*:\s*["']?{re.escape(key)}\b""", text)
        found.append((key, Place(path, text.count("\n", 0, where.start()) + 1 if where else None)))
    return found, []


def _csl_items(path: str, text: str, kind: str) -> tuple[list[object], Diagnostic | None]:
    """The entries of a CSL-JSON or CSL-YAML file (a list, or ``references:`` holding one)."""
    hint = "check the brackets, quotes and commas on this line"
    if kind == "CSL-JSON":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], error("bibliography.syntax", f"invalid CSL-JSON: {exc.msg}", path, exc.lineno, hint=hint)
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            return [], error("bibliography.syntax", f"invalid CSL-YAML: {reason}", path,
                             mark.line + 1 if mark is not None else None, hint=hint)
    if isinstance(data, dict):
        data = data.get("references")
    if not isinstance(data, list):
        return [], error("bibliography.syntax", f"a {kind} bibliography must be a list of entries", path, 1,
                         hint="see https://citeproc-js.readthedocs.io/ for the format")
    return data, None


def load_style(config: Config) -> tuple[tuple[str, Path, bytes, bool] | None, list[Diagnostic]]:
    """(name, file, bytes, is a note style) of the book's style, checked to be a CSL style."""
    value = config.citations.style or DEFAULT_STYLE
    line = book_line(config, value)
    if value in SHIPPED:
        file = STYLES / f"{value}.csl"
        where = file.name
    elif value.lower().endswith(".csl"):
        try:
            path = book_relative(config.root, "", value)
        except OutsideBook:
            return None, [error("citation.style", f"style '{value}' is outside the book folder", CONFIG_NAME, line,
                                hint="copy the .csl file into the book folder")]
        file = config.root / path
        where = path
        if not file.is_file():
            return None, [error("citation.style", f"style file '{value}' does not exist", CONFIG_NAME, line,
                                hint=f"check the path, or use a style octavo ships: {shipped_styles()}")]
    else:
        close = [name for name in SHIPPED if name.startswith(value)] or difflib.get_close_matches(value, SHIPPED, n=1)
        hint = (f"did you mean '{close[0]}'? " if close else "") + f"octavo ships {shipped_styles()}; " \
            "or give the path of a .csl file in the book"
        return None, [error("citation.style", f"unknown citation style '{value}'", CONFIG_NAME, line, hint=hint)]
    data = file.read_bytes()
    problem = check_style(where, data)
    if problem is not None:
        return None, [problem]
    notes = etree.fromstring(data).get("class") == "note"
    return (value, file, data, notes), []


def check_style(path: str, data: bytes) -> Diagnostic | None:
    """A CSL file must be well-formed XML whose root is a CSL style with a citation layout."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return error("citation.style", f"the CSL style is not well-formed XML: {exc.msg}", path, exc.lineno,
                     hint="check the tag on this line; CSL styles are XML files")
    if root.tag != f"{{{CSL_NS}}}style":
        return error("citation.style", "this file is not a CSL style (its root element is not <style> in the "
                     "CSL namespace)", path, root.sourceline, hint="download the style's .csl file again")
    if root.find(f"{{{CSL_NS}}}citation") is None:
        parent = root.find(f"{{{CSL_NS}}}info/{{{CSL_NS}}}link[@rel='independent-parent']")
        hint = (f"it is a dependent style: use its parent, {parent.get('href')}" if parent is not None
                else "a style needs a <citation> element")
        return error("citation.style", "the CSL style has no <citation> layout", path, root.sourceline, hint=hint)
    return None

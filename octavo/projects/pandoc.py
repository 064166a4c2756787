"""A pandoc book in ``book.toml``'s shape: from a defaults file, ``metadata.yaml``, or the YAML
title block of the folder's first Markdown file.

pandoc's metadata names (``author``, ``lang``, ``cover-image``, ``subject``…) become octavo's
(``authors``, ``language``, ``cover``, ``subjects``); a defaults file's ``input-files`` is the
reading order, as pandoc would concatenate them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from octavo.diagnostics import Diagnostic, error, warning
from octavo.projects import common
from octavo.projects.common import METADATA_FILES, QUARTO_FILES, Project, front_matter, line_of, read_text, read_yaml

# pandoc's metadata name -> octavo's [book] key, for the keys that are plain strings
STRINGS = {"title": "title", "subtitle": "subtitle", "date": "date", "lang": "language", "publisher": "publisher",
           "rights": "rights", "description": "description", "abstract": "description",
           "cover-image": "cover", "epub-cover-image": "cover", "csl": "csl",
           "reference-section-title": "reference-section-title"}
# Folders pandoc books keep their chapters in, when the top of the folder has none
CHAPTER_FOLDERS = ("chapters", "src", "text", "content", "manuscript", "book")
# Keys that make a first file's YAML block the book's title block: none is a chapter's own key
# (octavo's chapters may set title, id, number, draft, lang and bibliography)
BOOK_KEYS = ("author", "subtitle", "date", "rights", "publisher", "cover-image", "csl")


def book_metadata(meta: dict[str, Any], name: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """pandoc's (and Quarto's) metadata as ``book.toml``'s ``[book]`` table."""
    book: dict[str, Any] = {}
    for key, target in STRINGS.items():
        value = meta.get(key)
        if value is not None and target not in book:
            book[target] = _plain(value)
    names = authors(meta.get("author"))
    if names:
        book["authors"] = names
    subjects = meta.get("subject") or meta.get("keywords")
    if subjects:
        book["subjects"] = [_plain(s) for s in subjects] if isinstance(subjects, list) else [_plain(subjects)]
    identifier = meta.get("identifier")
    if isinstance(identifier, list) and identifier and isinstance(identifier[0], dict):
        identifier = identifier[0].get("text")
    if isinstance(identifier, str | int):
        book["identifier"] = str(identifier)
    bibliography = meta.get("bibliography")
    if bibliography:
        book["bibliography"] = [str(b) for b in bibliography] if isinstance(bibliography, list) else [
            str(bibliography)]
    nocite = meta.get("nocite")
    if isinstance(nocite, str):
        book["nocite"] = [nocite]
    problems = []
    if "title" in meta and not isinstance(meta["title"], str | int | float):
        problems.append(warning("project.title", "the title is not plain text; octavo took its words", name))
    return book, problems


def _plain(value: Any) -> str:
    """A metadata value as text: pandoc allows lists and maps where octavo wants a string."""
    if isinstance(value, list):
        return " ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return _plain(value.get("text") or value.get("name") or " ".join(_plain(v) for v in value.values()))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def authors(value: Any) -> list[str]:
    """``author: A``, a list of names, or Quarto's ``- name: A`` (a name may be ``{given, family}``)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name", item)
            if isinstance(name, dict):
                name = name.get("literal") or " ".join(str(name[k]) for k in ("given", "family") if name.get(k))
            item = name
        if isinstance(item, str | int) and str(item).strip():
            names.append(str(item).strip())
    return names


def defaults_project(root: Path) -> Project | None:
    """The first YAML file atop the folder that is a pandoc defaults file (it has ``input-files``)."""
    skip = {*QUARTO_FILES, *METADATA_FILES}
    for file in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
        if file.name in skip or not file.is_file() or file.stat().st_size > 1_000_000:
            continue
        head = file.read_bytes()[:100_000]
        if b"input-file" not in head:
            continue
        data, text, problems = read_yaml(root, file.name)
        if problems:
            return Project("pandoc-defaults", file.name, text, {}, tuple(problems))
        if isinstance(data, dict) and ("input-files" in data or "input-file" in data):
            return _from_defaults(root, file.name, data, text)
    return None


def _from_defaults(root: Path, name: str, data: dict[str, Any], text: str) -> Project:
    problems: list[Diagnostic] = []
    meta: dict[str, Any] = {}
    files = data.get("metadata-files") or ([data["metadata-file"]] if data.get("metadata-file") else [])
    for extra in files if isinstance(files, list) else [files]:
        more, _, found = read_yaml(root, str(extra)) if (root / str(extra)).is_file() else (None, "", [error(
            "pandoc.metadata-file", f"metadata file '{extra}' does not exist", name, line_of(text, str(extra)))])
        problems += found
        if isinstance(more, dict):
            meta.update(more)
    if isinstance(data.get("metadata"), dict):
        meta.update(data["metadata"])  # pandoc: metadata given directly wins over metadata files
    for key in ("bibliography", "csl"):
        if data.get(key):
            meta[key] = data[key]
    if data.get("epub-cover-image"):
        meta["cover-image"] = data["epub-cover-image"]
    inputs = data.get("input-files") or [data.get("input-file")]
    chapters = [str(p) for p in (inputs if isinstance(inputs, list) else [inputs]) if p]
    first = read_text(root, chapters[0]) if chapters else ""
    for key, value in front_matter(first).items():
        meta.setdefault(key, value)  # the first file's title block fills what the defaults leave out
    book, more = book_metadata(meta, name)
    problems += more
    book["chapters"] = chapters
    build: dict[str, Any] = {}
    if isinstance(data.get("toc-depth"), int) and 1 <= data["toc-depth"] <= 6:
        build["toc-depth"] = data["toc-depth"]
    return Project("pandoc-defaults", name, text, {"book": book, "build": build}, tuple(problems))


def metadata_project(root: Path, name: str) -> Project:
    """``metadata.yaml`` beside the chapters: the book's metadata; the chapters are the folder's files."""
    data, text, problems = read_yaml(root, name)
    if not problems and not isinstance(data, dict):
        problems = [error("pandoc.metadata", f"{name} must be key: value lines", name, 1)]
    if problems:
        return Project("pandoc-metadata", name, text, {}, tuple(problems))
    book, more = book_metadata(data, name)
    chapters = chapter_files(root)
    if chapters is not None:
        book["chapters"] = chapters
    return Project("pandoc-metadata", name, text, {"book": book}, tuple(problems + more))


def title_block_project(root: Path) -> Project | None:
    """The folder's first Markdown file, when its YAML block describes a book (an author, a date…),
    or it opens with pandoc's ``%`` title block."""
    names = sorted(p.name for p in root.glob("*.md") if p.is_file() and p.name != "SUMMARY.md")
    if not names:
        return None
    text = read_text(root, names[0])
    meta = front_matter(text) or common.percent_block(text)[0]
    if "title" not in meta or not any(key in meta for key in BOOK_KEYS):
        return None  # a chapter's own front matter: the folder stays a plain folder
    book, problems = book_metadata(meta, names[0])
    return Project("pandoc-title-block", names[0], text, {"book": book}, tuple(problems))


def chapter_files(root: Path) -> list[str] | None:
    """The chapters of a pandoc book without a list: None when the top of the folder has Markdown
    files (the usual folder rule applies), else those of its chapter folder."""
    if any(p.is_file() and p.name not in ("README.md", "SUMMARY.md") for p in root.glob("*.md")):
        return None
    for folder in CHAPTER_FOLDERS:
        found = sorted(p.relative_to(root).as_posix() for p in (root / folder).glob("*.md") if p.is_file())
        if found:
            return found
    return None

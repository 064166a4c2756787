"""A Quarto book (``_quarto.yml`` with a ``book:`` table) in ``book.toml``'s shape.

Quarto's reading order is ``book.chapters`` (files, and ``part:`` groups whose value is a title
or a file that opens the part) then ``book.appendices``. Chapters before the first numbered one
whose heading is marked ``{.unnumbered}`` (the usual ``index.qmd`` preface) are front matter; loose
chapters after the parts (``references.qmd``) are back matter, and the appendices back
matter lettered A, B, … ("Appendix A"), as Quarto letters them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from octavo.diagnostics import Diagnostic, error, warning
from octavo.projects.common import Project, front_matter, line_of, read_text, read_yaml
from octavo.projects.pandoc import book_metadata

HEADING = re.compile(r"^#\s+(.*?)\s*(\{[^{}]*\})?\s*$", re.M)
UNNUMBERED = re.compile(r"(^|\s)(\.unnumbered|-)(\s|$)")


def project(root: Path, name: str) -> Project:
    data, text, problems = read_yaml(root, name)
    if problems:
        return Project("quarto", name, text, {}, tuple(problems))
    if not isinstance(data, dict) or not isinstance(data.get("book"), dict):
        kind = data.get("project", {}).get("type") if isinstance(data, dict) and isinstance(
            data.get("project"), dict) else None
        return Project("quarto", name, text, {}, (error(
            "quarto.not-book", f"{name} has no 'book:' table" + (f" (the project's type is '{kind}')" if kind
                                                                   else ""), name, 1,
            hint="octavo builds Quarto book projects: project: {type: book} and book: {title, chapters}"),))
    book_yaml: dict[str, Any] = data["book"]
    merged = {k: v for k, v in data.items() if k in ("bibliography", "csl", "lang", "nocite")}
    merged.update(book_yaml)
    if "author" not in merged and "author" in data:
        merged["author"] = data["author"]
    if str(merged.get("date", "")).lower() in ("today", "now", "last-modified"):
        merged.pop("date")  # Quarto's words for the day of the build: the EPUB's date is that already
    book, more = book_metadata(merged, name)
    problems += more
    if "cover-image" in book_yaml and "cover" not in book:
        book["cover"] = str(book_yaml["cover-image"])
    outline, more = _outline(root, book_yaml, name, text)
    problems += more
    book.update(outline)
    site = {"base-url": str(book_yaml["site-url"])} if book_yaml.get("site-url") else {}
    return Project("quarto", name, text, {"book": book, "site": site}, tuple(problems))


def _outline(root: Path, book: dict[str, Any], name: str, text: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """``book.chapters`` and ``book.appendices`` as front, chapters, parts and back."""
    problems: list[Diagnostic] = []
    front: list[str] = []
    chapters: list[str] = []
    parts: list[dict[str, Any]] = []
    back: list[str] = []
    lettered: list[str] = []
    items = book.get("chapters", [])
    if not isinstance(items, list):
        problems.append(error("quarto.chapters", "'book.chapters' must be a list", name, line_of(text, "chapters:")))
        items = []
    for item in items:
        if isinstance(item, dict) and "part" in item:
            parts.append(_part(root, item, name, text, problems))
            continue
        path = _path(item)
        if path is None:
            problems.append(warning("quarto.chapter", f"left out a chapter entry octavo cannot read: {item!r}",
                                    name, line_of(text, str(item)[:20]), hint="write the chapter's file name"))
        elif parts:
            back.append(path)
        elif not chapters and _unnumbered(root, path):
            front.append(path)
        else:
            chapters.append(path)
    appendices = book.get("appendices", [])
    for item in appendices if isinstance(appendices, list) else []:
        path = _path(item)
        if path is not None:
            lettered.append(path)
    return {"front": front, "chapters": chapters, "parts": parts, "back": back, "appendices": lettered}, problems


def _part(root: Path, item: dict[str, Any], name: str, text: str, problems: list[Diagnostic]) -> dict[str, Any]:
    """A ``part:`` group: its value is a title, or a file that opens the part (whose heading is its title)."""
    value = str(item.get("part") or "")
    files = [p for p in (_path(c) for c in item.get("chapters") or []) if p is not None]
    part: dict[str, Any] = {"title": value, "chapters": files}
    if re.search(r"\.(q?md|markdown)$", value, re.I):
        part["intro"] = value
        part["title"] = _title(root, value) or Path(value).stem
    if not files:
        problems.append(warning("quarto.part", f"part '{part['title']}' has no chapters", name,
                                line_of(text, value)))
    return part


def _path(item: Any) -> str | None:
    if isinstance(item, str) and item.strip():
        return item.strip()
    if isinstance(item, dict):
        value = item.get("href") or item.get("file")
        return str(value) if value else None
    return None




def _title(root: Path, path: str) -> str | None:
    """A part file's title: its front matter's, or its first top-level heading's."""
    text = read_text(root, path)
    meta = front_matter(text)
    if isinstance(meta.get("title"), str):
        return str(meta["title"])
    match = HEADING.search(text)
    return match.group(1).strip() if match else None


def _unnumbered(root: Path, path: str) -> bool:
    return unnumbered(read_text(root, path))


def unnumbered(text: str) -> bool:
    """pandoc's and Quarto's unnumbered chapter: ``# Preface {.unnumbered}`` (or ``{-}``) as its
    first heading."""
    match = HEADING.search(text)
    return bool(match and match.group(2) and UNNUMBERED.search(match.group(2)[1:-1]))

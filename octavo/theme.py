"""``octavo theme``: see which template and style files each output uses, and copy the defaults
into a book to edit them.

Exported templates override the defaults by name; exported style sheets are the book's own
layers (``styles/book.css`` for every output, ``styles/<output>.css`` for one), so a copied file
changes nothing until it is edited, and an edit changes only what it touches.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from octavo.styles import DEFAULTS as STYLE_DEFAULTS
from octavo.templates import DEFAULTS as TEMPLATE_DEFAULTS
from octavo.writers.registry import STYLED

STYLE_EXPORTS = {"base.css": "book.css", "epub.css": "epub.css", "pdf.css": "pdf.css", "web.css": "web.css"}


@dataclass(frozen=True)
class Used:
    output: str
    kind: str  # "template" or "style"
    name: str
    origin: str  # "default" or "book"
    path: Path


def default_templates(output: str) -> list[str]:
    """Template names an output renders, with the shared partials."""
    names = []
    for folder in (output, "partials"):
        base = TEMPLATE_DEFAULTS / folder
        names += sorted(str(p.relative_to(TEMPLATE_DEFAULTS)) for p in base.rglob("*") if p.is_file())
    return names


def used(book: Path) -> list[Used]:
    """Every template and style sheet each output uses, and whether the book's copy wins."""
    result: list[Used] = []
    for output in STYLED:
        for name in default_templates(output):
            own = book / "templates" / name
            origin, path = ("book", own) if own.is_file() else ("default", TEMPLATE_DEFAULTS / name)
            result.append(Used(output, "template", name, origin, path))
        for name in ("base.css", f"{output}.css"):
            result.append(Used(output, "style", f"css/{name}", "default", STYLE_DEFAULTS / name))
        for name in ("book.css", f"{output}.css"):
            own = book / "styles" / name
            if own.is_file():
                result.append(Used(output, "style", f"styles/{name}", "book", own))
    return result


def export(book: Path) -> tuple[list[Path], list[Path]]:
    """Copy the defaults into ``book``; returns (written, kept) and never overwrites a file."""
    written: list[Path] = []
    kept: list[Path] = []
    pairs = [(p, book / "templates" / p.relative_to(TEMPLATE_DEFAULTS))
             for p in sorted(TEMPLATE_DEFAULTS.rglob("*")) if p.is_file()]
    pairs += [(STYLE_DEFAULTS / src, book / "styles" / dest) for src, dest in STYLE_EXPORTS.items()
              if (STYLE_DEFAULTS / src).is_file()]
    for source, target in pairs:
        if target.exists():
            kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written, kept

"""The one gate between a path written in a book and the file system.

Every file that can reach an output (chapters, images, styles, fonts, the cover) goes through
:func:`inside`, which refuses paths that leave the book folder, directly or through a symlink,
so no output can ever carry ``/etc/passwd`` or a file from the user's home.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class OutsideBook(ValueError):
    """The path leaves the book folder; the file must never be read."""


def is_url(target: str) -> bool:
    """True for ``https://…``, ``mailto:…``, ``data:…`` and friends (but not ``C:\\…``-style paths)."""
    return bool(SCHEME.match(target)) and not re.match(r"^[A-Za-z]:[\\/]", target)


def book_relative(root: Path, base: str, target: str, real_root: Path | None = None) -> str:
    """Resolve ``target`` (URL-style, relative to the book-relative folder ``base``) to a book path.

    Raises :class:`OutsideBook` for absolute paths, ``..`` that climbs out of the book, and
    symlinks whose real target is outside the book. ``real_root`` is ``root.resolve()``, for a
    caller that checks many paths at once.
    """
    path = unquote(urlsplit(target).path) if "%" in target or "?" in target else target.split("#", 1)[0]
    if path.startswith("/") or "\\" in path or "\x00" in path:
        raise OutsideBook(target)
    parts: list[str] = [p for p in PurePosixPath(base).parts if p not in ("", ".")]
    for piece in PurePosixPath(path).parts:
        if piece == "..":
            if not parts:
                raise OutsideBook(target)
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    relative = "/".join(parts)
    real_root = real_root or root.resolve()
    real = (root / relative).resolve()
    if real != real_root and not real.is_relative_to(real_root):
        raise OutsideBook(target)
    return relative


def slugify(text: str, fallback: str = "section") -> str:
    """ASCII, lowercase, hyphenated: safe as a file name, an XML id and a URL path segment."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug or fallback

"""Unit layouts from the cache: a rebuild lays out again only the units whose input changed.

A unit's layout (and its folio document) is a plain function of its job: the HTML, the style
sheets, the first page number, the CSS that leaves folios out. The job's digest is the key, with
what a layout also reads that is not in the job: octavo's layout code, WeasyPrint's version, and
the size and time of the book's images and fonts and of the system's font folders. With one
chapter edited, the other chapters keep their first page number when their page count does not
change, and even when it does, a stamped layout (laid out at page 1 or 2) is still reused.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from octavo import i18n
from octavo.memo import Memo, code_digest, digest
from octavo.model import Assembled
from octavo.output import holds_outputs
from octavo.pool import Pool

T = TypeVar("T")
R = TypeVar("R")
CODE = ("writers/pdf/layout.py", "writers/pdf/folios.py", "writers/pdf/jobs.py", "writers/pdf/footnotes.py",
        "writers/pdf/weasy/__init__.py", "writers/pdf/weasy/notes.py", "writers/pdf/weasy/note_area.py",
        "writers/pdf/weasy/resume.py", "writers/pdf/weasy/margins.py", "writers/pdf/weasy/checked.py",
        "writers/pdf/weasy/flate.py", "writers/pdf/weasy/kinds.py", "writers/pdf/weasy/leaders.py",
        "writers/pdf/weasy/starts.py", "writers/pdf/weasy/ends.py",
        "writers/pdf/tags.py",  # the unit's structure tree, tidied where it is laid out
        "assets.py", "raster.py", "svg.py", "urls.py",  # how a resource WeasyPrint refused is explained
        *i18n.CODE)  # the words of the book's language
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts",
                Path.home() / ".local/share/fonts")
FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2", ".ttc")


class CachedPool:
    """A pool whose calls are answered from the cache when the same call was made before."""

    def __init__(self, pool: Pool[None], memo: Memo, salt: str) -> None:
        self.pool = pool
        self.memo = memo
        self.salt = salt

    def submit(self, fn: Callable[[None, T], R], arg: T, /) -> Future[R]:
        if self.memo.folder is None:
            return self.pool.submit(fn, arg)
        key = digest(self.salt, fn.__name__, arg)
        found = self.memo.load_object(key)
        if found is not None:
            future: Future[R] = Future()
            future.set_result(found)
            return future
        made = self.pool.submit(fn, arg)
        made.add_done_callback(lambda done: self._store(key, done))
        return made

    def _store(self, key: str, done: Future[R]) -> None:
        if not done.cancelled() and done.exception() is None:
            self.memo.store_object(key, done.result())


def salt(assembled: Assembled, output: Path) -> str:
    """What every layout reads besides its job: the code, WeasyPrint, the images and fonts
    (those of ``output``, should it be inside the book, are copies and left out)."""
    from importlib.metadata import version

    files = _book_assets(assembled.book.config.root.resolve(), output.resolve())
    system = [folder for folder in FONT_FOLDERS if folder.is_dir()]
    return digest(code_digest(*CODE), version("weasyprint"), [(str(p), _stamp(p)) for p in files],
                  sorted(assembled.downloads.items()), [(str(f), _stamp(f)) for f in system],
                  [(str(d), _stamp(d)) for f in system for d in sorted(f.rglob("*")) if d.is_dir()])


def _is_asset(path: Path) -> bool:
    kind = mimetypes.guess_type(path.name)[0] or ""
    return kind.startswith(("image/", "font/")) or path.suffix.lower() in FONT_SUFFIXES


def _book_assets(root: Path, output: Path) -> list[Path]:
    """The book's images and fonts, in a fixed order. Not those in a dot-folder (``.git``) nor in
    an output folder kept in the book (``output``, the default ``dist/``, any ``-o``): copies, not
    input, and walking a big site and its cache would cost a rebuild more than its layouts."""
    found: list[Path] = []
    for current, folders, names in os.walk(root):
        here = Path(current)
        folders[:] = [name for name in folders if not name.startswith(".") and here / name != output
                      and not holds_outputs(here / name)]
        found += [here / name for name in names if _is_asset(here / name) and (here / name).is_file()]
    return sorted(found)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns

"""Kindle's AZW3 (KF8), converted from octavo's EPUB by Calibre's ``ebook-convert``.

Amazon's own tools take the EPUB (KDP accepts it as it is); AZW3 is for a Kindle loaded by
hand or a store that wants the file. Calibre is a large program that octavo does not install:
when ``ebook-convert`` is not on the PATH, the build stops with an error naming the package. The
EPUB is the one this build wrote when ``-f epub`` was asked too, else one written for the
conversion alone through the EPUB's :class:`~octavo.writers.base.Writer` (by the registry's
name, the interface every output offers, never its internals). Calibre's page breaks before
every ``h1`` and its "chapter" detection are turned off: each chapter is already a file of its
own, and the breaks would only add blank pages. Calibre's settings go to a folder of the
conversion, never the user's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from octavo.diagnostics import BookError, error
from octavo.model import Assembled
from octavo.options import Options
from octavo.writers.base import Writer
from octavo.writers.common import book_epub

TOOL = "ebook-convert"
PACKAGE_HINT = ("install Calibre (the Debian and Ubuntu package 'calibre', or calibre-ebook.com), "
                "or build without -f azw3")
OPTIONS = ("--page-breaks-before", "/", "--chapter-mark", "none", "--no-inline-toc")
TIMEOUT = 900  # seconds: the diary of Pepys (7 MB of XHTML) converts in about a minute


def write_azw3(assembled: Assembled, dest: Path, options: Options) -> list[Path]:
    """Write ``dest/<slug>.azw3`` from the book's EPUB with Calibre."""
    tool = shutil.which(TOOL)
    if tool is None:
        raise BookError([error("azw3.calibre", "AZW3 needs Calibre's ebook-convert, which is not installed",
                               hint=PACKAGE_HINT)])
    out = dest / f"{assembled.slug}.azw3"
    with tempfile.TemporaryDirectory(prefix="octavo-azw3-") as work:
        convert(tool, book_epub(assembled, dest, options, Path(work)), out, Path(work))
    return [out]


def convert(tool: str, source: Path, out: Path, work: Path) -> None:
    """Run ``ebook-convert source out``; a failure is a :class:`BookError` with Calibre's last words."""
    settings = work / "calibre"
    settings.mkdir(exist_ok=True)
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(settings), "QT_QPA_PLATFORM": "offscreen",
           "CALIBRE_TEMP_DIR": str(work)}
    try:
        done = subprocess.run([tool, str(source), str(out), *OPTIONS], capture_output=True, text=True,
                              env=env, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BookError([error("azw3.convert", f"Calibre took more than {TIMEOUT} s to convert the EPUB",
                               out.name)]) from exc
    if done.returncode != 0 or not out.is_file():
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()][-3:]
        raise BookError([error("azw3.convert", f"Calibre could not convert the EPUB: {' / '.join(said)}",
                               out.name, hint="run ebook-convert on the EPUB yourself to see the whole log")])


WRITER = Writer("Kindle AZW3", ("azw3",), write_azw3)

"""The Noto faces of other scripts a book's text needs, for the outputs that carry fonts.

base.css follows the book face with a chain of faces for other scripts (``--script-serif`` for the
text, ``--script-sans`` for headings without the book face). The PDF embeds what Pango draws from
them; an EPUB only names them, and a reading system that lacks them draws its own face or empty
boxes. With ``[style] script-faces = "epub"`` the EPUB carries, for each installed Noto face of the
chain that draws a character of the book the faces before it cannot, a subset to those characters,
declared with ``@font-face`` under the face's own name so the chain finds it, and the faces' licence.
Subsets are made with fontTools' subsetter, which gives the same bytes for the same font and
characters (the font's own timestamp is kept), so a build stays reproducible.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

from octavo import styles
from octavo.memo import Memo, digest
from octavo.model import Book

LICENCE = styles.DEFAULTS / "fonts" / "noto" / "OFL.txt"
FOLDER = "css/fonts/noto"  # where an EPUB carries the subsets and their licence
SHEET = "css/script-faces.css"
# The CJK faces base.css gives a book in each language (its :root:lang() rules), Japanese's otherwise.
CJK_REGIONS = (("zh-hant", "TC"), ("zh-tw", "TC"), ("zh-hk", "HK"), ("zh", "SC"), ("ko", "KR"), ("ja", "JP"))
# Every reading system has a face for Latin-1: without the book face, no Noto face is shipped for it.
LATIN_1 = frozenset(range(0x100))
FONT_FILES = (".ttf", ".otf", ".woff", ".woff2", ".ttc")
GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math"}
ROOT = re.compile(r"^:root \{(.*?)^\}", re.S | re.M)
PROPERTY = re.compile(r"--([\w-]+):\s*([^;]*);")


@dataclass(frozen=True)
class Face:
    """One installed face the output carries (a subset of), and the characters it draws there."""

    family: str
    path: str
    index: int  # the face's number in a collection (.ttc), else 0
    codes: tuple[int, ...]  # sorted

    @property
    def name(self) -> str:
        """The file name of its subset: the family in lower case, words joined by hyphens."""
        return self.family.lower().replace(" ", "-")


def wants_epub(book: Book) -> bool:
    """Whether the book asks for the faces in its EPUB (``[style] script-faces = "epub"``)."""
    return dict(book.config.style.variables).get("script-faces", "print") == "epub"


def cjk_region(language: str) -> str:
    """The region of the Noto CJK face base.css draws Han characters with for ``language``."""
    lowered = language.lower()
    return next((region for prefix, region in CJK_REGIONS if lowered == prefix or lowered.startswith(prefix + "-")),
                "JP")


def _variables(names: Iterable[str]) -> dict[str, str]:
    """The custom properties of the first ``:root`` rule of each of octavo's sheets, later wins."""
    found: dict[str, str] = {}
    for name in names:
        rule = ROOT.search((styles.DEFAULTS / name).read_text(encoding="utf-8"))
        if rule is not None:
            found.update((key, " ".join(value.split())) for key, value in PROPERTY.findall(rule.group(1)))
    return found


def families(prop: str, language: str, book_face: bool = False) -> tuple[str, ...]:
    """The family names of octavo's ``--<prop>`` (``script-serif``, ``body-font``…), its var()s
    expanded, the CJK face the book's ``language`` gets, generic families left out."""
    variables = _variables(("base.css", *(("fonts.css",) if book_face else ())))
    region = cjk_region(language)
    variables["cjk-serif"], variables["cjk-sans"] = f'"Noto Serif CJK {region}"', f'"Noto Sans CJK {region}"'

    def expand(value: str, depth: int = 0) -> list[str]:
        names: list[str] = []
        for part in value.split(","):
            part = part.strip()
            if part.startswith("var(--") and depth < 8:
                names += expand(variables.get(part[6:].rstrip(")").strip(), ""), depth + 1)
            elif part and part.strip("\"'") not in GENERIC:
                names.append(part.strip("\"'"))
        return names

    return tuple(dict.fromkeys(expand(variables.get(prop, ""))))


@lru_cache(maxsize=128)
def locate(family: str) -> tuple[str, int] | None:
    """The regular face of an installed ``family`` as (file, index in it), by fontconfig; None
    when it is not installed (or fontconfig is missing)."""
    command = shutil.which("fc-list")
    if command is None or not re.fullmatch(r"[\w ]+", family):
        return None
    try:
        listed = subprocess.run([command, "--format", "%{file}|%{index}\n", f"{family}:style=Regular"],
                                capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = sorted((path, int(index or 0)) for path, _, index in (line.partition("|") for line in listed.splitlines()))
    return found[0] if found else None


@lru_cache(maxsize=128)
def cmap(path: str, index: int | None = 0, stamp: float = 0.0) -> frozenset[int]:
    """The code points face ``index`` of a font file has glyphs for, or with None every face of a
    collection (.ttc); nothing when fontTools cannot read it. ``stamp``, the file's mtime, keys the
    cache for the book's own files, which may change between builds of one process (``serve``)."""
    try:
        if index is None and path.endswith(".ttc"):
            collection = TTCollection(path, lazy=True)
            try:
                return frozenset(code for font in collection.fonts for code in (font.getBestCmap() or {}))
            finally:
                collection.close()
        with TTFont(path, fontNumber=index or 0, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except Exception:  # a font fontTools cannot read: the build goes on without it (WeasyPrint reports it)
        return frozenset()


def covered_by(files: Iterable[Path]) -> frozenset[int]:
    """The code points these font files have together (every face of a collection); files of other
    kinds (a licence beside them) are passed over."""
    found: set[int] = set()
    for file in files:
        if file.suffix.lower() in FONT_FILES and file.is_file():
            found |= cmap(str(file), None, file.stat().st_mtime)
    return frozenset(found)


def drawn(chars: Iterable[str]) -> frozenset[int]:
    """The code points of ``chars`` that need a glyph: not controls, format characters or spaces."""
    return frozenset(ord(char) for char in chars if unicodedata.category(char)[0] not in "CZ")


def plan(codes: Iterable[int], chain: Sequence[str], own: frozenset[int], noto_only: bool = True
         ) -> tuple[list[Face], list[str], list[int]]:
    """The faces of ``chain`` that draw ``codes`` the book face (``own``) lacks, each with the code
    points it is first in the chain to have; the Noto families that are not installed; and the
    code points no face drew. With ``noto_only`` (an EPUB, which ships no other face) only the Noto
    faces count; else (the PDF) an installed face of another family draws its own characters too."""
    left = sorted(set(codes) - own)
    faces: list[Face] = []
    missing: list[str] = []
    for family in chain:
        noto = family.startswith("Noto ")
        if not left or (noto_only and not noto):
            continue
        found = locate(family)
        if found is None:
            if noto:
                missing.append(family)
            continue
        has = cmap(*found)
        taken = [code for code in left if code in has]
        if taken and noto:
            faces.append(Face(family, found[0], found[1], tuple(taken)))
        left = [code for code in left if code not in has]
    return faces, missing, left


def book_face_codes(book: Book, output: str) -> frozenset[int]:
    """What octavo's book face draws in ``output`` (nothing when the output does not use it)."""
    return covered_by(file for _, file in styles.book_face_files(book, output))


def pdf_faces(book: Book) -> list[Face]:
    """The Noto faces the PDF draws some of the book's text with, as Pango falls back along the
    body and heading chains: those whose licence the PDF must carry."""
    codes = drawn(char for chapter in book.chapters() for char in set(chapter.text))
    language = book.config.meta.language
    book_face = styles.uses_book_face(book, "pdf")
    own = book_face_codes(book, "pdf")
    faces: dict[str, Face] = {}
    for prop in ("body-font", "heading-font"):
        for face in plan(codes, families(prop, language, book_face), own, noto_only=False)[0]:
            faces.setdefault(face.family, face)
    return sorted(faces.values(), key=lambda face: face.family)


def subset_bytes(face: Face, memo: Memo) -> tuple[bytes, str]:
    """The face cut down to its characters (and the glyphs their shaping reaches), as WOFF2 when
    brotli is installed, else WOFF; and the file suffix. Kept in ``memo`` by the font file's
    identity and the characters: cutting a CJK face takes seconds."""
    flavor = "woff2" if _has_brotli() else "woff"
    stat = Path(face.path).stat()
    key = digest("subset", fontTools.version, face.path, stat.st_size, stat.st_mtime_ns, face.index, face.codes,
                 flavor)
    kept = memo.load(key)
    if kept is not None:
        return kept, flavor
    options = subset.Options()
    options.flavor = flavor
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # with the copyright and licence records
    options.notdef_outline = True
    with TTFont(face.path, fontNumber=face.index, recalcTimestamp=False) as font:
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=face.codes)
        cutter.subset(font)
        font.flavor = flavor
        buffer = io.BytesIO()
        font.save(buffer)
    data = buffer.getvalue()
    memo.store(key, data)
    return data, flavor


@lru_cache(maxsize=1)
def _has_brotli() -> bool:
    """Whether fontTools can write WOFF2 (it compresses with brotli, which fonttools[woff] brings)."""
    return importlib.util.find_spec("brotli") is not None


def notice(face: Face) -> str:
    """The copyright notice of a face, from its own ``name`` table."""
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        text = font["name"].getDebugName(0) or ""
    return f"{face.family}: {' '.join(text.split())}"


def licence(faces: Sequence[Face]) -> bytes:
    """The licence the faces travel with: their copyright notices, then the SIL Open Font License."""
    notices = "\n".join(dict.fromkeys(notice(face) for face in faces))
    return (f"{notices}\n\nThis Font Software is licensed under the SIL Open Font License, Version 1.1.\n\n"
            + LICENCE.read_text(encoding="utf-8")).encode("utf-8")


def sheet(faces: Sequence[tuple[Face, str]]) -> str:
    """``@font-face`` rules naming each subset (face, its href relative to the sheet) by the
    family the chain asks for; regular only, so a reading system makes bold and italic from it."""
    if not faces:
        return "/* [style] script-faces = \"epub\": the book's text needs no face beyond the book face. */\n"
    rules = ["/* Subsets of the faces this book's scripts need ([style] script-faces = \"epub\"),\n"
             "   under the SIL Open Font License 1.1: fonts/noto/OFL.txt. */\n"]
    for face, href in faces:
        kind = href.rsplit(".", 1)[-1]
        rules.append(f'@font-face {{\n  font-family: "{face.family}";\n  font-style: normal;\n  font-weight: 400;\n'
                     f'  src: url({href}) format("{kind}");\n}}\n')
    return "".join(rules)

"""Images and other files that a book's outputs carry: what they are and whether they are sound.

A missing, corrupt or hostile image is an error here, before any writer runs, because WeasyPrint
only logs it, an EPUB reader shows a broken picture, and a reader's image decoder or XML parser is
what a hostile file attacks. A raster image's real type, size and soundness are read from its
header by Pillow (:mod:`octavo.raster`) before any decoding; an SVG is parsed without a DTD and checked
(:mod:`octavo.svg`), and the files it uses are checked in turn and travel with it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NoReturn
from urllib.parse import unquote_to_bytes

from octavo import raster, svg
from octavo.paths import OutsideBook, book_relative, is_url

MEDIA_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml",
    ".css": "text/css", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
}
SVG_TAG = svg.SVG_TAG
MEGAPIXEL = 1_000_000
DEFAULT_MEGAPIXELS = 50  # a 200 MB RGBA bitmap once decoded; a 24-megapixel photo is half of it
NESTING = 4  # an SVG's image that is an SVG whose image is...: deeper is refused
# What the stores publish as their limits for the images inside an EPUB (a warning, not an error:
# the EPUB is valid, a store may refuse it or scale the image down).
APPLE_PIXELS = 5_600_000  # Apple Books Asset Guide 5.3: "cannot exceed 5.6 million pixels"
KOBO_BYTES = 5 * 1024 * 1024  # Kobo EPUB guidelines, "Limitations and Maximums": 5 MB per image


@dataclass(frozen=True)
class Limits:
    """What octavo accepts in an image: ``[build] max-megapixels`` of book.toml."""

    pixels: int = DEFAULT_MEGAPIXELS * MEGAPIXEL

    @staticmethod
    def megapixels(value: float) -> Limits:
        return Limits(round(value * MEGAPIXEL))


@dataclass(frozen=True)
class Finding:
    """Something about a usable image the user should know; a warning where the image is used."""

    code: str
    message: str
    hint: str
    path: str = ""  # the file it is about, when that is not the image used (an SVG's image)


@dataclass(frozen=True)
class Inspection:
    """An image checked: ``problem`` (with its code and hint) if it cannot be used."""

    problem: str | None = None
    code: str = "image.invalid"
    hint: str = "check the path and the file"
    findings: tuple[Finding, ...] = ()
    files: tuple[str, ...] = ()  # other files of the book an SVG uses, checked too: they travel with it


PRINT_FORMATS = (".pdf", ".eps", ".ps", ".ai")  # figures LaTeX books keep: no reading system shows them


def convert_hint(name: str) -> str:
    """How to turn a PDF or EPS figure into an SVG (or a PNG) the outputs can carry."""
    stem = PurePosixPath(name).stem
    if name.lower().endswith(".pdf"):
        return (f"convert it to SVG and link that: pdftocairo -svg {name} {stem}.svg (poppler-utils), or to PNG: "
                f"pdftoppm -png -r 300 -singlefile {name} {stem}")
    return (f"convert it to SVG and link that: inkscape {name} --export-filename={stem}.svg, or "
            f"ps2pdf -dEPSCrop {name} {stem}.pdf then pdftocairo -svg {stem}.pdf {stem}.svg")


def media_type(path: str) -> str | None:
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())


def inspect_file(root: Path, path: str, limits: Limits | None = None) -> Inspection:
    """The image at book path ``path``, checked."""
    return _Inspector(root, limits or Limits()).top(lambda inspector: inspector.file(path, 0))


def inspect_data(data: bytes, kind: str, limits: Limits | None = None) -> Inspection:
    """Bytes from outside the book (a download, a ``data:`` URL) as an image of type ``kind``;
    such an SVG may use its own fragments and ``data:`` images only."""
    return _Inspector(None, limits or Limits()).top(lambda inspector: inspector.data(data, kind, None, 0))


def check_image(root: Path, path: str) -> str | None:
    """None if ``root/path`` is an image octavo can carry; otherwise what is wrong."""
    return inspect_file(root, path).problem


def check_data(data: bytes, kind: str) -> str | None:
    """None if ``data`` is a sound image of media type ``kind``; otherwise what is wrong."""
    return inspect_data(data, kind).problem


def sniff(data: bytes) -> str | None:
    """The image type ``data`` is, from its first bytes, for a file whose name says nothing (a
    download); an SVG is recognised by its root element, so it must still pass :func:`check_data`."""
    found = raster.kind_of(data)
    if found is not None:
        return found
    return "image/svg+xml" if svg.root_tag(data) in (SVG_TAG, None) else None


def clean_copies(root: Path, paths: Iterable[str], folder: Path) -> dict[str, Path]:
    """The SVGs among ``paths`` that have a plain DOCTYPE, as the outputs carry them: without it,
    written once into ``folder`` under a name made from their content, by book path."""
    copies: dict[str, Path] = {}
    for path in dict.fromkeys(paths):
        if media_type(path) != "image/svg+xml":
            continue
        try:
            data = (root / path).read_bytes()
        except OSError:
            continue
        if not any(mark in data for mark in (b"DOCTYPE", b"D\0O\0C\0T", b"\0D\0O\0C\0T")) or not svg.has_doctype(data):
            continue
        target = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.svg"
        if not target.is_file():
            write_atomically(target, svg.without_doctype(data))
        copies[path] = target
    return copies


def without_doctype(url: str) -> str:
    """A ``data:`` SVG as the outputs carry it: without a plain DOCTYPE (see :mod:`octavo.svg`)."""
    embedded = data_url(url)
    if embedded is None or embedded[0] != "image/svg+xml" or not svg.has_doctype(embedded[1]):
        return url
    return "data:image/svg+xml;base64," + base64.b64encode(svg.without_doctype(embedded[1])).decode("ascii")


def write_atomically(target: Path, data: bytes) -> None:
    """So that an interrupted build never leaves half a file for a later one to use."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def extension(kind: str) -> str:
    """The file extension octavo gives an image of media type ``kind`` (``.jpg``, not ``.jpeg``)."""
    return next(suffix for suffix, known in MEDIA_TYPES.items() if known == kind)


def data_url(url: str) -> tuple[str, bytes] | None:
    """The media type and bytes of a ``data:`` URL; None if it is not a well-formed one."""
    if url[:5].lower() != "data:":
        return None
    head, comma, body = url[5:].partition(",")
    if not comma:
        return None
    parameters = [part.strip().lower() for part in head.split(";")]
    raw = unquote_to_bytes(body)
    try:
        data = base64.b64decode(raw) if "base64" in parameters[1:] else raw
    except ValueError:
        return None
    return parameters[0], data


@dataclass
class _Inspector:
    """Checks an image and, for an SVG, every file it uses, collecting what it finds."""

    root: Path | None
    limits: Limits
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problem: tuple[str, str, str] | None = None  # (message, code, hint) of the first problem

    def top(self, run: Callable[[_Inspector], None]) -> Inspection:
        with contextlib.suppress(_Stop):
            run(self)
        if self.problem is not None:
            message, code, hint = self.problem
            return Inspection(message, code, hint)
        return Inspection(None, findings=tuple(self.findings), files=tuple(dict.fromkeys(self.files)))

    def fail(self, message: str, code: str = "image.invalid", hint: str = "check the path and the file"
             ) -> NoReturn:
        self.problem = (message, code, hint)
        raise _Stop

    def file(self, path: str, depth: int) -> None:
        assert self.root is not None
        file = self.root / path
        kind = media_type(path)
        if not file.is_file():
            self.fail("the file does not exist")
        suffix = PurePosixPath(path).suffix.lower()
        if suffix in PRINT_FORMATS:
            self.fail(f"'{suffix}' is a print format EPUB and web pages cannot show", "image.format",
                      convert_hint(PurePosixPath(path).name))
        if kind is None or not kind.startswith("image/"):
            self.fail(f"'{PurePosixPath(path).suffix}' is not an image type octavo knows "
                      "(use JPEG, PNG, GIF, WebP or SVG)")
        self.data(file.read_bytes(), kind, path, depth)

    def data(self, data: bytes, kind: str, path: str | None, depth: int) -> None:
        """Check bytes of type ``kind``; ``path`` is their book path (None for bytes from elsewhere)."""
        about = path or ""
        if len(data) > KOBO_BYTES:
            self.note("image.store", f"is {len(data) / (1024 * 1024):.1f} MB, more than Kobo advises for an "
                      f"EPUB image ({KOBO_BYTES // (1024 * 1024)} MB)", "compress it or scale it down", about, depth)
        if kind == "image/svg+xml":
            self.svg(data, path, depth)
            return
        found = raster.kind_of(data)
        if found != kind:
            named = kind.split("/")[1].upper()
            if found is None:
                self.fail(f"the file is not a valid {named} image (corrupt, or a wrong extension)")
            self.fail(f"the file is a {found.split('/')[1].upper()} image, not a {named} one (its extension is "
                      "wrong)", hint=f"rename it to end in {extension(found)}")
        try:
            image = raster.measure(data)
            self.measured(image, about, depth)
            raster.verify(data)  # only once its size is known to be acceptable
        except raster.Unsound as unsound:
            self.fail(str(unsound), hint="the file is damaged: export or download it again")

    def measured(self, image: raster.Raster, about: str, depth: int) -> None:
        size = f"{image.width:,} × {image.height:,} pixels"
        frames = f"{image.frames:,} frames of " if image.frames > 1 else ""
        if image.pixels > self.limits.pixels:
            self.fail(f"it is {frames}{size} ({image.pixels / MEGAPIXEL:,.0f} megapixels"
                      f"{' in all' if frames else ''}), more than the {self.limits.pixels / MEGAPIXEL:g} megapixels "
                      "octavo accepts in an image (a reader has to decode every pixel)", "image.large",
                      "scale the image down; or, if a reader should really decode it, raise "
                      "max-megapixels under [build] in book.toml")
        if image.bomb:
            self.fail(f"it is {frames}{size}, more than the image library Pillow decodes safely "
                      f"({raster.pillow_limit() / MEGAPIXEL:.0f} megapixels a frame), whatever "
                      "max-megapixels allows", "image.large", "scale the image down")
        if image.width * image.height > APPLE_PIXELS:
            self.note("image.store", f"is {size} ({image.width * image.height / MEGAPIXEL:.1f} megapixels), more "
                      f"than Apple Books accepts in an EPUB ({APPLE_PIXELS / MEGAPIXEL:g} megapixels)",
                      "scale it down, e.g. to 2,000 pixels on its longer side", about, depth)

    def note(self, code: str, message: str, hint: str, about: str, depth: int) -> None:
        self.findings.append(Finding(code, message, hint, about if depth else ""))

    def svg(self, data: bytes, path: str | None, depth: int) -> None:
        base = str(PurePosixPath(path).parent) if path else None
        try:
            checked = svg.check(data, lambda url: self.resource(url, base if base != "." else "", depth))
        except svg.Refused as refused:
            self.fail(str(refused), hint=refused.hint)
        if checked.doctype and path is None and depth:  # inside another file, which is carried as it is
            self.fail("the SVG has a <!DOCTYPE>", hint=svg.DTD_HINT)
        if checked.doctype:
            self.note("image.doctype", "has a <!DOCTYPE>, which the outputs leave out",
                      "delete the <!DOCTYPE …> line from the file; SVG needs none", path or "", depth)

    def resource(self, url: str, base: str | None, depth: int) -> str | None:
        """What is wrong with a URL an SVG uses (a ``data:`` image or a file of the book), or None."""
        if depth + 1 >= NESTING:
            return "the SVG nests images too deeply"
        embedded = data_url(url)
        if embedded is not None:
            kind, data = embedded
            if kind not in MEDIA_TYPES.values() or not kind.startswith("image/"):
                return f"the SVG embeds a '{kind}' file, which is not an image"
            return self.nested(lambda: self.data(data, kind, None, depth + 1), "an image it embeds")
        if base is None or is_url(url):
            return f"the SVG refers to another file ({url[:80]})"
        assert self.root is not None
        try:
            path = book_relative(self.root, base, url)
        except OutsideBook:
            return f"the SVG refers to a file outside the book ({url})"
        if path in self.files:
            return None
        self.files.append(path)
        return self.nested(lambda: self.file(path, depth + 1), f"'{path}', which it uses")

    def nested(self, run: Callable[[], None], what: str) -> str | None:
        """Run a nested check; its problem, said of ``what``, or None."""
        try:
            run()
        except _Stop:
            assert self.problem is not None
            message = self.problem[0]
            self.problem = None
            return f"{what}: {message}"
        return None


class _Stop(Exception):
    """Ends a check at its first problem (kept in :attr:`_Inspector.problem`)."""

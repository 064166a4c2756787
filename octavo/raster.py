"""A raster image's size and soundness, read by Pillow before any writer or reader decodes it.

A 100 KB PNG can hold 30,000 × 30,000 pixels (900 megapixels, gigabytes once decoded), and a
truncated JPEG shows as half a picture. :func:`measure` has Pillow read the header only (type,
size, an animation's frames), so the book's megapixel limit is checked before a pixel is decoded;
Pillow's own decompression-bomb limit is reported, never raised past or changed. :func:`verify`,
for an image already under the limits, has Pillow check it (PNG checksums) and decode every frame
with truncated images refused, which finds damage a structural walk cannot see.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import (
    GifImagePlugin,
    Image,
    ImageFile,
    ImageSequence,
    JpegImagePlugin,
    PngImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Media type -> Pillow's format name and its header reader (used alone only to name a bomb's size).
FORMATS: dict[str, tuple[str, type[ImageFile.ImageFile]]] = {
    "image/png": ("PNG", PngImagePlugin.PngImageFile), "image/jpeg": ("JPEG", JpegImagePlugin.JpegImageFile),
    "image/gif": ("GIF", GifImagePlugin.GifImageFile), "image/webp": ("WEBP", WebPImagePlugin.WebPImageFile)}
# A whole file's last bytes, which Pillow never reads: a PNG's IEND chunk with its checksum, a
# GIF's trailer. Without them the pixels may all be there, but the file was cut short.
ENDS = {"image/png": b"IEND\xaeB`\x82", "image/gif": b";"}
STRICT = threading.Lock()  # held while LOAD_TRUNCATED_IMAGES is False for octavo's checks (see _strict)
# What Pillow raises for a file that is cut short or malformed, at open, verify or decode.
BROKEN = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, zlib.error)


@dataclass(frozen=True)
class Raster:
    kind: str  # media type
    width: int
    height: int
    frames: int = 1  # an animation's frames; each is decoded at up to width × height
    bomb: bool = False  # above the size Pillow decodes safely (its MAX_IMAGE_PIXELS), whatever the book allows

    @property
    def pixels(self) -> int:
        """Pixels a reader decodes to show every frame."""
        return self.width * self.height * self.frames


class Unsound(ValueError):
    """The bytes are not a whole, well-formed image; the message says what is wrong, for the user."""


def kind_of(data: bytes) -> str | None:
    """The raster type ``data`` is, from its signature (so that a file cut short is still named)."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def measure(data: bytes) -> Raster:
    """The image's type, size and frames from its header; :class:`Unsound` if that cannot be read.
    Pillow's decompression-bomb error or warning is a :class:`Raster` with ``bomb`` set."""
    kind = kind_of(data)
    if kind is None:
        raise Unsound("the file is not a PNG, JPEG, GIF or WebP image")
    name, header = FORMATS[kind]
    try:
        with _strict(), _bomb_warnings() as warned:
            try:
                with Image.open(io.BytesIO(data), formats=[name]) as image:
                    width, height = image.size
                    frames = getattr(image, "n_frames", 1)
            except Image.DecompressionBombError:
                with header(io.BytesIO(data)) as image:  # the same header read, to say how large it is
                    (width, height), frames = image.size, 1
                warned.append(True)
    except BROKEN as error:
        raise _unsound(error) from None
    end = ENDS.get(kind)
    if end is not None and not (end in data if kind == "image/png" else data.endswith(end)):
        raise Unsound("the file is truncated (it ends before the image's end marker)")
    if width <= 0 or height <= 0:
        raise Unsound(f"the image says it is {width} × {height} pixels")
    return Raster(kind, width, height, max(1, frames), bool(warned))


def verify(data: bytes) -> None:
    """For an image :func:`measure` passed and the book's limit allows: Pillow checks it and
    decodes every frame, refusing a truncated one, so that no writer carries a damaged image
    (WeasyPrint copies a PNG's pixel data into the PDF without decoding it)."""
    name = FORMATS[kind_of(data) or "image/png"][0]
    try:
        with _strict():
            with _bomb_warnings() as warned, Image.open(io.BytesIO(data), formats=[name]) as image:
                image.verify()  # a PNG's chunk checksums; a no-op for most other formats
            if warned:
                raise Unsound("the image is larger than Pillow decodes safely")
            with Image.open(io.BytesIO(data), formats=[name]) as image:
                for frame in ImageSequence.Iterator(image):
                    frame.load()
    except Image.DecompressionBombError:
        raise Unsound("the image is larger than Pillow decodes safely") from None
    except BROKEN as error:
        raise _unsound(error) from None


@contextmanager
def _strict() -> Iterator[None]:
    """Pillow refusing a truncated image, as it does by default: WeasyPrint, once imported, sets
    LOAD_TRUNCATED_IMAGES for the whole process (weasyprint/images.py), which would let a cut file
    through. Restored after, under a lock, so WeasyPrint's own decoding keeps its setting."""
    with STRICT:
        tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


@contextmanager
def _bomb_warnings() -> Iterator[list[bool]]:
    """Pillow's DecompressionBombWarning, caught as a value (True in the list) rather than shown."""
    found: list[bool] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Image.DecompressionBombWarning)
        yield found
    found.extend(True for warning in caught if issubclass(warning.category, Image.DecompressionBombWarning))


def pillow_limit() -> int:
    """The pixels a frame may have before Pillow calls it a decompression bomb (read, never set)."""
    return Image.MAX_IMAGE_PIXELS or 0


def _unsound(error: BaseException) -> Unsound:
    """Pillow's reason, as the user's: truncated, a checksum, or corrupt."""
    if isinstance(error, UnidentifiedImageError):  # its message names a buffer object, not a reason
        return Unsound("the file is corrupt (its header cannot be read)")
    reason = str(error) or type(error).__name__
    if isinstance(error, (EOFError, struct.error, IndexError)) or "truncated" in reason or "end of" in reason:
        return Unsound(f"the file is truncated (it ends in the middle of the image: {reason})")
    if "crc" in reason.lower():
        return Unsound(f"the file is corrupt (a checksum is wrong: {reason})")
    return Unsound(f"the file is corrupt or truncated ({reason})")

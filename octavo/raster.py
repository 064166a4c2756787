"""A raster image's size and soundness, read from its structure without decoding a pixel.

A 100 KB PNG can hold 30,000 × 30,000 pixels (900 megapixels, gigabytes once decoded), and a
truncated JPEG shows as half a picture, so each image octavo carries is measured and walked here
before any writer or reader decodes it: PNG chunk by chunk (each checksum verified), JPEG marker
by marker to its end-of-image marker, GIF block by block (counting frames), WebP chunk by chunk.
That costs a pass over the bytes at memory speed, never the decoded image's memory. What it cannot
see is damage inside compressed pixel data that keeps the structure intact (a JPEG's scan data).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A marker in a JPEG's entropy-coded data: 0xFF followed by anything but a stuffed zero, a restart
# marker (D0-D7) or another 0xFF (fill).
JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class Raster:
    kind: str  # media type
    width: int
    height: int
    frames: int = 1  # an animation's frames; each is decoded at up to width × height

    @property
    def pixels(self) -> int:
        """Pixels a reader decodes to show every frame."""
        return self.width * self.height * self.frames


class Unsound(ValueError):
    """The bytes are not a whole, well-formed image; the message says what is wrong, for the user."""


def kind_of(data: bytes) -> str | None:
    """The raster type ``data`` is, from its first bytes."""
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
    """The image's type, size and frames; :class:`Unsound` if it is truncated or malformed."""
    kind = kind_of(data)
    readers = {"image/png": _png, "image/jpeg": _jpeg, "image/gif": _gif, "image/webp": _webp}
    if kind is None:
        raise Unsound("the file is not a PNG, JPEG, GIF or WebP image")
    try:
        raster = readers[kind](data)
    except (IndexError, struct.error):
        raise Unsound("the file is truncated (it ends in the middle of the image)") from None
    if raster.width <= 0 or raster.height <= 0:
        raise Unsound(f"the image says it is {raster.width} × {raster.height} pixels")
    return raster


def _png(data: bytes) -> Raster:
    view = memoryview(data)  # checksums over slices of it copy nothing
    width = height = 0
    frames = 1
    position, seen_data = len(PNG_SIGNATURE), False
    while True:
        if position + 12 > len(data):
            raise Unsound("the file is truncated (the PNG has no end chunk)")
        length, = struct.unpack_from(">I", data, position)
        name = data[position + 4 : position + 8]
        end = position + 8 + length
        if end + 4 > len(data):
            raise Unsound(f"the file is truncated (its '{name.decode('latin-1')}' chunk is cut off)")
        if zlib.crc32(view[position + 4 : end]) != struct.unpack_from(">I", data, end)[0]:
            raise Unsound(f"the file is corrupt (the checksum of its '{name.decode('latin-1')}' chunk is wrong)")
        if position == len(PNG_SIGNATURE):
            if name != b"IHDR" or length != 13:
                raise Unsound("the file is corrupt (a PNG starts with its IHDR chunk)")
            width, height = struct.unpack_from(">II", data, position + 8)
        elif name == b"acTL":
            frames = max(1, struct.unpack_from(">I", data, position + 8)[0])
        elif name == b"IDAT":
            seen_data = True
        elif name == b"IEND":
            break
        position = end + 4
    if not seen_data:
        raise Unsound("the file is corrupt (the PNG has no image data)")
    return Raster("image/png", width, height, frames)


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
INFLATE_STEP = 1 << 20  # bytes of pixel data inflated at a time, and forgotten


def verify(data: bytes) -> None:
    """For a PNG that :func:`measure` passed (so its size is known to be acceptable): inflate its
    pixel data a megabyte at a time, keeping none of it, and check it is whole and exactly as long
    as the image needs. WeasyPrint copies a PNG's data into the PDF without inflating it, so a
    damaged stream would otherwise reach the reader. Other formats have nothing to do here."""
    if kind_of(data) != "image/png":
        return
    width, height, depth, colour, _, _, interlace = struct.unpack_from(">IIBBBBB", data, 16)
    bits = depth * CHANNELS.get(colour, 4)
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    expected = 0
    for x, y, dx, dy in passes:
        columns, rows = -(-(width - x) // dx), -(-(height - y) // dy)
        expected += rows * (1 + -(-(columns * bits) // 8)) if columns > 0 and rows > 0 else 0
    inflater, produced, view = zlib.decompressobj(), 0, memoryview(data)
    position = len(PNG_SIGNATURE)
    try:
        while position + 8 <= len(data):
            length, = struct.unpack_from(">I", data, position)
            if data[position + 4 : position + 8] == b"IDAT":
                pending = view[position + 8 : position + 8 + length]
                while pending and produced <= expected:
                    produced += len(inflater.decompress(pending, INFLATE_STEP))
                    pending = memoryview(inflater.unconsumed_tail)
            position += length + 12
        produced += len(inflater.flush())
    except zlib.error:
        raise Unsound("the file is corrupt (its pixel data cannot be decompressed)") from None
    if not inflater.eof or produced != expected:
        raise Unsound("the file is corrupt or truncated (its pixel data is not as long as the image)")


def _jpeg(data: bytes) -> Raster:
    position, size, scanned = 2, None, False
    while True:
        if data[position] != 0xFF:
            raise Unsound("the file is corrupt (a JPEG marker was expected)")
        while data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        marker = data[position]
        position += 1
        if marker == 0xD9:  # end of image: anything after it (a camera's trailer) is not the picture
            break
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:  # restart, start of image, TEM: no length
            continue
        length, = struct.unpack_from(">H", data, position)
        if length < 2 or position + length > len(data):
            raise Unsound("the file is truncated (a JPEG segment is cut off)")
        if marker in JPEG_FRAMES:
            height, width = struct.unpack_from(">HH", data, position + 3)
            size = (width, height)
        position += length
        if marker == 0xDA:  # start of scan: compressed data up to the next marker
            scanned = True
            found = JPEG_MARKER.search(data, position)
            if found is None:
                raise Unsound("the file is truncated (the JPEG has no end-of-image marker)")
            position = found.start()
    if size is None or not scanned:
        raise Unsound("the file is corrupt (the JPEG has no frame or no image data)")
    return Raster("image/jpeg", size[0], size[1])


def _gif(data: bytes) -> Raster:
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while (block := data[position]) != 0x3B:  # up to the trailer, which a truncated file lacks
        if block == 0x21:  # extension: label, then sub-blocks
            position = _gif_blocks(data, position + 2)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            _, _, frame_width, frame_height, local = struct.unpack_from("<HHHHB", data, position + 1)
            width, height = max(width, frame_width), max(height, frame_height)
            position += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            position = _gif_blocks(data, position + 1)
            frames += 1
        else:
            raise Unsound("the file is corrupt (an unknown GIF block)")
    if frames == 0:
        raise Unsound("the file is corrupt (the GIF has no image)")
    return Raster("image/gif", width, height, frames)


def _gif_blocks(data: bytes, position: int) -> int:
    """The position after a chain of GIF sub-blocks (each a length byte and that many bytes)."""
    while (length := data[position]) != 0:
        position += length + 1
        if position >= len(data):
            raise Unsound("the file is truncated (a GIF block is cut off)")
    return position + 1


def _webp(data: bytes) -> Raster:
    size, = struct.unpack_from("<I", data, 4)
    if size + 8 > len(data):
        raise Unsound("the file is truncated (the WebP is shorter than its header says)")
    position, end = 12, size + 8
    width = height = 0
    frames = 0
    while position + 8 <= end:
        name = data[position : position + 4]
        length, = struct.unpack_from("<I", data, position + 4)
        body = position + 8
        if body + length > end:
            raise Unsound(f"the file is truncated (its '{name.decode('latin-1')}' chunk is cut off)")
        if name == b"VP8X":
            width = 1 + int.from_bytes(data[body + 4 : body + 7], "little")
            height = 1 + int.from_bytes(data[body + 7 : body + 10], "little")
        elif name == b"VP8 " and not width:
            if data[body + 3 : body + 6] != b"\x9d\x01\x2a":
                raise Unsound("the file is corrupt (its VP8 frame has no start code)")
            width, height = (v & 0x3FFF for v in struct.unpack_from("<HH", data, body + 6))
        elif name == b"VP8L" and not width:
            if data[body] != 0x2F:
                raise Unsound("the file is corrupt (its VP8L frame has no signature)")
            bits, = struct.unpack_from("<I", data, body + 1)
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        frames += name in (b"ANMF", b"VP8 ", b"VP8L")
        position = body + length + (length & 1)
    if frames == 0:
        raise Unsound("the file is corrupt (the WebP has no image)")
    return Raster("image/webp", width, height, frames)

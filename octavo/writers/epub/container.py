"""The EPUB's zip container, written by hand so that it is reproducible and cheap to rebuild.

The OCF rules: ``mimetype`` first and stored, everything else may be deflated. Python's zipfile
would do, but it deflates every member on every build, and a long book's pages are most of the
build's remaining time once chapters come from the cache. Here each member's deflated bytes are
kept in the cache by the digest of its content, so a rebuild deflates only the pages that
changed, and the container is assembled from the stored pieces. Times, permissions and order are
fixed, so the same members give the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from octavo.diagnostics import BookError, error
from octavo.memo import Memo, digest

LEVEL = 6  # zipfile's default, and what every reading system expects to inflate
EPOCH = datetime(1980, 1, 1)  # the earliest time a zip can hold
LIMIT = 0xFFFFFFFF  # no zip64: an EPUB of 4 GB would not load in any reading system anyway
LOCAL = struct.Struct("<IHHHHHIIIHH")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
END = struct.Struct("<IHHHHIIH")


def deflated(data: bytes, memo: Memo, known: str = "") -> tuple[int, bytes]:
    """(CRC-32, raw deflate stream) of ``data``; from the cache when these bytes were seen before.

    ``known`` is a digest that stands for ``data`` (the key of a page in the writer's cache, made
    from all the page was made from), which spares hashing the bytes themselves.
    """
    key = digest("deflate-known", LEVEL, known) if known else digest("deflate", LEVEL, data)
    found = memo.load(key)
    if found is not None and len(found) >= 4:
        return int.from_bytes(found[:4], "little"), found[4:]
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    crc = zlib.crc32(data)
    memo.store(key, crc.to_bytes(4, "little") + body)
    return crc, body


def dos_time(when: datetime) -> tuple[int, int]:
    stamp = max(when.replace(tzinfo=None), EPOCH)
    return (stamp.hour << 11 | stamp.minute << 5 | stamp.second // 2,
            (stamp.year - 1980) << 9 | stamp.month << 5 | stamp.day)


def write_container(path: Path, members: Sequence[tuple[str, bytes]], when: datetime, memo: Memo,
                    known: Mapping[str, str] | None = None) -> None:
    """Write ``members`` (name, content) to ``path``, ``mimetype`` first whatever its place.

    ``known`` gives, by name, a digest that stands for a member's content (see :func:`deflated`).
    """
    known = known or {}
    ordered = sorted(members, key=lambda member: member[0] != "mimetype")
    time, date = dos_time(when)
    central: list[bytes] = []
    with path.open("wb") as out:
        for name, data in ordered:
            stored = name == "mimetype"
            crc, body = (zlib.crc32(data), data) if stored else deflated(data, memo, known.get(name, ""))
            encoded = name.encode("utf-8")
            flags = 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8
            method = 0 if stored else 8
            offset = out.tell()
            if max(offset, len(data), len(body)) > LIMIT:
                raise BookError([error("epub.size", "the EPUB would be larger than 4 GB", name,
                                       hint="split the book into volumes")])
            out.write(LOCAL.pack(0x04034B50, 20, flags, method, time, date, crc, len(body), len(data),
                                 len(encoded), 0))
            out.write(encoded)
            out.write(body)
            central.append(CENTRAL.pack(0x02014B50, 3 << 8 | 20, 20, flags, method, time, date, crc, len(body),
                                        len(data), len(encoded), 0, 0, 0, 0, 0o100644 << 16, offset) + encoded)
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(END.pack(0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0))

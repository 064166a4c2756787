"""Results by the digest of their inputs, so that a rebuild redoes only what changed.

A :class:`Memo` is a folder of entries under the output's ``.cache/`` (safe to delete at any
time), one area per kind of result: rendered chapters, written web pages, EPUB pages, deflated
zip members. An entry's key is a SHA-256 of everything the result is made from, octavo's own
code and the templates included, so an entry is only ever reused for identical inputs: the
cache can make a build faster, never different. A cache that cannot be read or written costs
time, not a build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from octavo import __version__

PACKAGE = Path(__file__).resolve().parent


def digest(*parts: object) -> str:
    """A key for ``parts``: bytes and strings as they are, anything else by its ``repr``.

    Parts must have a repr that is the same in every process: strings, numbers, tuples and
    frozen dataclasses of those. Not sets: their order follows string hashing, which Python
    randomises per process (sort them first).
    """
    hashed = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else (part if isinstance(part, str) else repr(part)).encode()
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()


@cache
def code_digest(*modules: str) -> str:
    """octavo's version and the path and source of ``modules`` (paths under the package): a change
    of code that makes a result invalidates every entry made by the old code, and so does a move
    (a pickled entry names its classes by module)."""
    return digest(__version__, *(part for name in modules for part in (name, (PACKAGE / name).read_bytes())))


def files_digest(folders: Iterable[Path]) -> str:
    """Names and contents of every file under ``folders`` (templates, say), in a fixed order."""
    parts: list[object] = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


class Recall:
    """The entries a long-running process has read or written lately, kept in memory.

    ``octavo serve`` builds the same book again on every save; with a :class:`Recall` its builds
    find the cache's entries in memory (already unpickled), not on disk. Least recently used
    entries go first once ``limit`` bytes (counted as the entries' sizes on disk) are held.
    Entries are immutable values (bytes, rendered chapters), so sharing them between builds is safe.
    """

    def __init__(self, limit: int = 768 * 2**20) -> None:
        self.limit = limit
        self.size = 0
        self.entries: OrderedDict[tuple[str, str], tuple[object, int]] = OrderedDict()

    def get(self, kind: str, path: str) -> object | None:
        found = self.entries.get((kind, path))
        if found is None:
            return None
        self.entries.move_to_end((kind, path))
        return found[0]

    def put(self, kind: str, path: str, value: object, size: int) -> None:
        old = self.entries.pop((kind, path), None)
        self.size += size - (old[1] if old else 0)
        self.entries[(kind, path)] = (value, size)
        while self.size > self.limit and len(self.entries) > 1:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped


@dataclass(frozen=True)
class Memo:
    """One area of the cache; ``folder`` None is no cache at all (``--no-cache``).

    With ``recall``, entries are also kept in memory, for the next build of the same process.
    """

    folder: Path | None
    recall: Recall | None = field(default=None, compare=False)

    def area(self, name: str) -> Memo:
        return Memo(self.folder / name if self.folder is not None else None, self.recall)

    @cached_property
    def _base(self) -> str:
        """The folder as a string ending in a separator: an entry's name in the Recall is this and
        its key (a Path join per lookup costs a rebuild more than the lookups themselves)."""
        return os.path.join(str(self.folder), "")

    def load(self, key: str) -> bytes | None:
        """The entry's bytes, or None if there is none or it is damaged (its checksum is wrong)."""
        if self.folder is None:
            return None
        if self.recall is not None and isinstance(kept := self.recall.get("bytes", self._base + key), bytes):
            return kept
        data = self._read(key)
        if data is not None and self.recall is not None:
            self.recall.put("bytes", self._base + key, data, len(data))
        return data

    def has(self, key: str) -> bool:
        """Whether there is an entry for ``key`` (damaged or not): a cheap guess of the work ahead."""
        return self.folder is not None and (self.folder / key).is_file()

    def store(self, key: str, data: bytes) -> None:
        if self.folder is None:
            return
        if self.recall is not None:
            self.recall.put("bytes", self._base + key, data, len(data))
        self._write(key, data)

    def _read(self, key: str) -> bytes | None:
        """The entry from disk, if its checksum holds."""
        assert self.folder is not None
        try:
            entry = (self.folder / key).read_bytes()
        except OSError:
            return None
        check, data = entry[:CHECK], entry[CHECK:]
        return data if check == _checksum(data) else None

    def _write(self, key: str, data: bytes) -> None:
        assert self.folder is not None
        temp = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(_checksum(data) + data)
            os.replace(temp, self.folder / key)
        except BaseException as exc:  # a full disk, or Ctrl-C or SIGTERM halfway: no .tmp left behind
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            if not isinstance(exc, OSError):
                raise

    def text(self, key: str, make: Callable[[], str]) -> str:
        """The cached text for ``key``, or ``make()``'s, stored for next time."""
        found = self.load(key)
        if found is not None:
            with contextlib.suppress(UnicodeDecodeError):
                return found.decode("utf-8")
        made = make()
        self.store(key, made.encode("utf-8"))
        return made

    def data(self, key: str, make: Callable[[], str]) -> bytes:
        """:meth:`text` as UTF-8, for a result that is only written out: not decoded to be encoded again."""
        found = self.load(key)
        if found is not None:
            return found
        made = make().encode("utf-8")
        self.store(key, made)
        return made

    def recent(self, name: str) -> object | None:
        """What :meth:`keep` last kept under ``name`` in this process; None without a Recall."""
        if self.folder is None or self.recall is None:
            return None
        return self.recall.get("recent", self._base + name)

    def keep(self, name: str, value: object, size: int) -> None:
        """Keep ``value`` in memory only, for the next build of this process, under a name rather
        than a digest: the latest result of its kind (a block of the search index, say), which the
        next build updates where its inputs changed instead of making it again. Unlike an entry,
        such a value is not known to fit the next build's inputs: it must carry the keys of what
        it was made from, for the reader to check them."""
        if self.folder is not None and self.recall is not None:
            self.recall.put("recent", self._base + name, value, size)

    def load_object(self, key: str) -> Any:
        """The picklable value stored for ``key``, or None if there is none or it cannot be read.

        Only octavo's own entries are ever unpickled: the folder is the build's own output.
        """
        if self.folder is None:
            return None
        path = self._base + key
        if self.recall is not None and (kept := self.recall.get("object", path)) is not None:
            return kept
        found = self._read(key)  # the value, not its pickle, is what memory keeps
        if found is None:
            return None
        try:
            value = pickle.loads(found)
        except (pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
            return None
        if self.recall is not None:
            self.recall.put("object", path, value, len(found))
        return value

    def store_object(self, key: str, value: object) -> None:
        if self.folder is None:
            return
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._write(key, data)
        if self.recall is not None:
            self.recall.put("object", self._base + key, value, len(data))


NO_CACHE = Memo(None)
CHECK = 8  # length and CRC-32 before each entry, so a damaged entry is a miss, never an output


def _checksum(data: bytes) -> bytes:
    """Against a truncated or scribbled entry, not an attacker (the folder is the build's own):
    CRC-32 is several times cheaper than a cryptographic hash, and a rebuild checks every entry."""
    return (len(data) & 0xFFFFFFFF).to_bytes(4, "little") + zlib.crc32(data).to_bytes(4, "little")

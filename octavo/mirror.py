"""A book's files sent with its tasks, for the cluster's workers that cannot see its folder.

With no shared file system, a worker cannot read the book at the path the client reads it. The
client then packs the book's files (what ``inputs_digest`` reads: no outputs, no ``.git``) into one
:class:`Bundle`; such a worker writes it once to a folder of its own (``TMPDIR/octavo-books/DIGEST``)
and runs the task on a copy of its inputs whose paths name that folder, and the result's paths are
turned back into the client's. A worker that cannot write the copy fails the task with a
diagnostic: the book fails whole, and the client publishes nothing of it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from octavo.diagnostics import BookError, Diagnostic, error

T = TypeVar("T")
FOLDER = "octavo-books"  # under the worker's temporary folder


@dataclass(frozen=True)
class Bundle:
    """The book at ``root`` as bytes, and the workers that see it there (which do not use this)."""

    root: str
    files: tuple[tuple[str, bytes], ...]  # (path relative to root, with "/", its bytes), sorted
    digest: str
    readers: frozenset[str] = frozenset()

    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


def book_files(root: Path, output: Path) -> list[Path]:
    """The files of the book at ``root`` a build may read: not its outputs', not ``.git``'s, and
    none that resolves outside the folder (a link out of the book is never sent)."""
    base, out = root.resolve(), output.resolve()
    return [p for p in sorted(base.rglob("*"))
            if p.is_file() and out not in p.parents and ".git" not in p.relative_to(base).parts
            and p.resolve().is_relative_to(base)]


def pack(root: Path, output: Path, readers: frozenset[str] = frozenset()) -> Bundle:
    base = root.resolve()
    files = tuple((p.relative_to(base).as_posix(), p.read_bytes()) for p in book_files(root, output))
    listing = hashlib.sha256()
    for name, data in files:
        listing.update(f"{name}\0{len(data)}\0".encode())
        listing.update(hashlib.sha256(data).digest())
    return Bundle(str(base), files, listing.hexdigest(), readers)


_unpacked: dict[str, str] = {}  # in a worker: bundle digest -> the folder its copy is in


def unpack(bundle: Bundle, where: str) -> str:
    """The folder holding ``bundle``'s files on this machine, written on first use (whole, then
    renamed into place, so a copy is never seen half-written). ``where`` names the worker."""
    if bundle.digest in _unpacked:
        return _unpacked[bundle.digest]
    top = Path(tempfile.gettempdir()) / FOLDER / bundle.digest
    folder = top / Path(bundle.root).name  # the book's own folder name, as some outputs use it
    if not folder.is_dir():
        partial = Path(f"{top}.{os.getpid()}.partial")
        try:
            shutil.rmtree(partial, ignore_errors=True)
            for name, data in bundle.files:
                path = (partial / folder.name / name)
                if ".." in Path(name).parts or Path(name).is_absolute():
                    raise OSError(f"refused a path out of the book: {name}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            (partial / folder.name).mkdir(parents=True, exist_ok=True)
            try:
                partial.rename(top)
            except OSError:
                if not folder.is_dir():  # another process of this machine was not first
                    raise
        except OSError as exc:
            raise BookError([cannot_get(bundle, where, exc)]) from None
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    _unpacked[bundle.digest] = str(folder.resolve())
    return _unpacked[bundle.digest]


def cannot_get(bundle: Bundle, where: str, exc: OSError) -> Diagnostic:
    return error("cluster.files", f"the Dask worker {where} cannot see the book's folder and could not "
                 f"write the copy sent to it: {exc}", bundle.root,
                 hint="give the worker room in its temporary folder (TMPDIR), or let it see the book's "
                      "folder at the same path (a shared file system); no output of this book was changed")


def relocated(value: T, old: str, new: str) -> T:
    """``value`` with every path (and file URL) under ``old`` moved under ``new``: the plain values
    a task is made of (dataclasses, tuples, lists, dicts, strings, paths); anything else as it is."""
    moves = [(old, new), (Path(old).as_uri(), Path(new).as_uri())]
    return _moved(value, moves, {})  # type: ignore[no-any-return]


def _moved(value: Any, moves: list[tuple[str, str]], seen: dict[int, Any]) -> Any:
    if isinstance(value, str):
        for old, new in moves:
            if value == old:
                return new
            if old + "/" in value:  # a path under the folder, wherever it is in the text
                value = value.replace(old + "/", new + "/")
        return value
    if isinstance(value, (bytes, int, float, bool)) or value is None:
        return value
    if id(value) in seen:
        return seen[id(value)]
    made: Any = value
    if isinstance(value, Path):
        made = type(value)(_moved(str(value), moves, seen))
    elif type(value) in (tuple, list, frozenset, set):  # not a named tuple: none is sent with a task
        items = [_moved(item, moves, seen) for item in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            made = type(value)(items)
    elif isinstance(value, Mapping) and isinstance(value, dict):
        pairs = [(_moved(k, moves, seen), _moved(v, moves, seen)) for k, v in value.items()]
        if any(a is not k or b is not v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            made = type(value)(pairs)
    elif isinstance(value, BookError):
        made = BookError(_moved(value.diagnostics, moves, seen))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: _moved(getattr(value, f.name), moves, seen) for f in dataclasses.fields(value)
                   if hasattr(value, f.name)}
        changed = {name: v for name, v in changed.items() if v is not getattr(value, name)}
        if changed:
            made = copy.copy(value)
            for name, v in changed.items():
                object.__setattr__(made, name, v)
    seen[id(value)] = made
    return made


def run_from(bundle: Bundle, where: str, task: Callable[..., T], *args: Any) -> T:
    """``task(*args)`` on this worker's copy of the book, its result's paths the client's again."""
    folder = unpack(bundle, where)
    try:
        result = task(*relocated(args, bundle.root, folder))
    except BookError as exc:
        raise relocated(exc, folder, bundle.root) from None
    return relocated(result, folder, bundle.root)

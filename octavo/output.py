"""Outputs appear complete or not at all, and each output folder knows which book it holds.

Each writer writes into a staging folder inside the destination (same file system, so the final
move is a rename); only when every requested output is complete are they moved into place, all of
them or, if one move fails or the user stops the build midway, none: those already moved are put
back. Whether every output can be replaced is checked before anything moves. A failed,
interrupted or crashed build leaves the previous outputs as they were and no temporary files
behind, and its errors name the user's paths, not the staging folder's.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from octavo.signals import deferred

STAGING = ".octavo-staging-"  # a build's staging folder, inside the output folder
REPLACED = ".replaced"  # inside the staging folder: the outputs a publish replaced, until it is kept
OWNER = ".built-by-octavo"  # in an output folder: which book's outputs it holds (JSON)
ALL_ACCESS = os.R_OK | os.W_OK | os.X_OK


class OutputError(OSError):
    """An output that cannot be replaced: the user's path, what is wrong, and what to do."""

    def __init__(self, message: str, path: Path, hint: str, code: int = errno.EACCES) -> None:
        super().__init__(code, message, str(path))
        self.hint = hint


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder inside ``out_dir``, removed whatever happens (a stop waits for that)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    temp: Path | None = None
    try:
        temp = Path(tempfile.mkdtemp(prefix=STAGING, dir=out_dir))
        yield temp
    finally:
        if temp is not None:
            with deferred():
                shutil.rmtree(temp, ignore_errors=True)


def shown(path: str | os.PathLike[str]) -> Path:
    """The user's path for a path in a staging folder (``out/.octavo-staging-x/site/a.html`` is
    ``out/site/a.html``): internal names never reach a message."""
    return Path(*[part for part in Path(path).parts if not part.startswith(STAGING) and part != REPLACED])


def check_replaceable(out_dir: Path, names: Iterable[str]) -> None:
    """Raise :class:`OutputError` unless outputs can be published into ``out_dir``, replacing
    those of ``names`` that are there: before a build and before a publish, so that a folder the
    user made read-only stops the build, not a publish halfway through."""
    folder = out_dir
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent  # staging() creates the rest
    hint = "build into another folder with -o"
    if not folder.is_dir():
        raise OutputError(f"'{folder}' is not a folder", folder, hint, errno.ENOTDIR)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"the folder '{folder}' is read-only", folder,
                          f"make it writable (chmod u+w '{folder}'), or {hint}")
    if folder != out_dir:
        return  # nothing to replace yet
    for name in names:
        target = out_dir / name
        locked = _locked(target) if target.is_dir() and not target.is_symlink() else None
        if locked is not None:
            raise OutputError(f"'{locked}' is read-only, so '{target}' cannot be replaced", target,
                              f"make it writable (chmod -R u+w '{target}'), or {hint}")


def _locked(folder: Path) -> Path | None:
    """The first folder in ``folder``'s tree that this process may not empty, if any: a replaced
    folder is moved aside and then removed, which needs each of its folders readable and writable."""
    unreadable: list[Path] = []
    for current, _, _ in os.walk(folder, onerror=lambda exc: unreadable.append(Path(exc.filename or folder))):
        if not os.access(current, ALL_ACCESS):
            return Path(current)
    return unreadable[0] if unreadable else None


def place(path: Path, data: bytes, previous: Path | None = None) -> None:
    """Write ``data`` to ``path`` in a staging folder; ``previous`` is the published file at the same
    place, linked instead when it holds exactly ``data``.

    The check reads the file back, so the link is never stale whoever wrote it; and the published
    file is only ever replaced by a rename, never written in place, so a link cannot change after.
    Only a regular file with no other link is linked: a symbolic link's target could change, and a
    file the user linked elsewhere could be written in place there.
    """
    if previous is not None:
        try:
            found = previous.lstat()
            if (stat.S_ISREG(found.st_mode) and found.st_nlink == 1 and found.st_size == len(data)
                    and previous.read_bytes() == data):
                os.link(previous, path)
                return
        except OSError:  # none there, or no links on this file system: write it
            pass
    path.write_bytes(data)


def publish(staged: Path, out_dir: Path) -> list[Path]:
    """Move each staged file or folder into ``out_dir``: all of them, or none.

    Each output it replaces is first moved into the staging folder (and removed with it), so a
    move that fails, or Ctrl-C or SIGTERM at any point (held back until the moves are done), puts
    back every output as it was. Returns the outputs placed, the folder's owner record aside.
    """
    items = sorted(staged.iterdir())
    check_replaceable(out_dir, [item.name for item in items])
    replaced = staged / REPLACED
    replaced.mkdir()
    placed: list[tuple[Path, Path]] = []  # (published, where it was staged)
    moved_aside: list[tuple[Path, Path]] = []  # (replaced output, where it was published)
    with deferred() as pending:
        try:
            for item in items:
                target = out_dir / item.name
                if os.path.lexists(target):
                    os.replace(target, replaced / item.name)
                    moved_aside.append((replaced / item.name, target))
                os.replace(item, target)
                placed.append((target, item))
                if pending.signum is not None:
                    break
        except BaseException:
            _put_back(placed, moved_aside)
            raise
        if pending.signum is not None:  # raised as the block ends, once everything is back
            _put_back(placed, moved_aside)
            placed = []
    return [target for target, _ in placed if target.name != OWNER]


def _put_back(placed: list[tuple[Path, Path]], moved_aside: list[tuple[Path, Path]]) -> None:
    """Undo a publish: each new output back into staging, each replaced one back into place."""
    failed: list[Path] = []
    for source, dest in [*reversed(placed), *reversed(moved_aside)]:
        try:
            os.replace(source, dest)
        except OSError:
            failed.append(shown(dest))
    if failed:
        where = failed[0]
        raise OutputError(f"'{where}' could not be put back as it was", where,
                          "the output folder changed while octavo was publishing; build again")


@dataclass(frozen=True)
class Owner:
    """The book whose outputs a folder holds: its folder (resolved) and its title."""

    book: Path
    title: str


def owner(out_dir: Path) -> Owner | None:
    """Which book's outputs ``out_dir`` holds; None when it records none (a new or empty folder,
    or outputs written before octavo kept the record)."""
    try:
        found = json.loads((out_dir / OWNER).read_text(encoding="utf-8"))
        return Owner(Path(found["book"]), str(found["title"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_owner(staged: Path, book: Path, title: str) -> None:
    """Write the owner record into ``staged``: it is published with the outputs it describes."""
    text = json.dumps({"book": str(book.resolve()), "title": title}, ensure_ascii=False, indent=1)
    (staged / OWNER).write_text(text + "\n", encoding="utf-8")


def holds_outputs(folder: Path) -> bool:
    """Whether ``folder`` is an output folder, whose files are never a book's input."""
    return (folder / OWNER).is_file()

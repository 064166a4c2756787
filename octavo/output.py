"""Outputs appear complete or not at all.

Each writer writes into a staging folder beside the destination (same file system, so the final
move is a rename); only when every requested output is complete are they moved into place. A
failed, interrupted or crashed build leaves the previous outputs as they were and no temporary
files behind.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder inside ``out_dir``'s parent, removed whatever happens."""
    out_dir.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".octavo-", dir=out_dir))
    try:
        yield temp
    finally:
        shutil.rmtree(temp, ignore_errors=True)


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
    """Move each staged file or folder into ``out_dir``, replacing the old one only at the end."""
    placed: list[Path] = []
    for item in sorted(staged.iterdir()):
        target = out_dir / item.name
        if item.is_dir():
            old = out_dir / f".{item.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                os.replace(target, old)
            os.replace(item, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(item, target)
        placed.append(target)
    return placed

"""Outputs appear complete or not at all.

Each writer writes into a staging folder beside the destination (same file system, so the final
move is a rename); only when every requested output is complete are they moved into place. A
failed, interrupted or crashed build leaves the previous outputs as they were and no temporary
files behind.
"""

from __future__ import annotations

import os
import shutil
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

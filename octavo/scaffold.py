"""``octavo new DIR``: a small book that builds to every output and passes EPUBCheck as it is,
so a new user starts from something that works and changes it a piece at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

from octavo.diagnostics import BookError, error

SKELETON = Path(__file__).resolve().parent / "skeleton"


def new_book(target: Path) -> list[Path]:
    if target.exists() and any(target.iterdir()):
        raise BookError([error("new.exists", f"'{target}' already exists and is not empty", str(target),
                               hint="choose a new folder name, or empty this one")])
    shutil.copytree(SKELETON, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return sorted(p for p in target.rglob("*") if p.is_file())

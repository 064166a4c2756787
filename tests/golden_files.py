"""Expected files a reader can diff (tests/golden/), and the one switch that rewrites them.

``OCTAVO_UPDATE_GOLDEN=1`` rewrites each expected file that differs from what the code makes now
and still fails its test, naming the file, so an update is never silent: run again to see it pass,
and review ``git diff tests/golden`` before committing. Without the switch, a difference fails with
a unified diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

SWITCH = "OCTAVO_UPDATE_GOLDEN"
GOLDEN = Path(__file__).resolve().parent / "golden"


def updating() -> bool:
    return os.environ.get(SWITCH, "") not in ("", "0")


def check(expected: Path, actual: str) -> None:
    """Fail unless ``expected`` holds ``actual``; with the switch set, rewrite it first."""
    before = expected.read_text(encoding="utf-8") if expected.is_file() else None
    if before == actual:
        return
    if updating():
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(actual, encoding="utf-8")
        raise AssertionError(f"{expected} was {'rewritten' if before is not None else 'written'}: "
                             "review `git diff`, then run the tests again")
    if before is None:
        raise AssertionError(f"{expected} is missing: run the tests with {SWITCH}=1 to write it")
    diff = "".join(difflib.unified_diff(before.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        str(expected), "what the code makes now", n=2))
    raise AssertionError(f"{expected} differs ({SWITCH}=1 rewrites it):\n{diff}")

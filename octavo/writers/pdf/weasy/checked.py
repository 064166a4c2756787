"""Whether WeasyPrint's internals are the ones a speed-up was checked against.

octavo's PDF speed-ups (:mod:`note_area`, :mod:`margins`) replace or wrap functions that
are not WeasyPrint's public API, and each is only right for the code it was checked against. So
each names the functions its correctness rests on and the sha256 of their source; on any other
WeasyPrint (an upgrade, a local patch) the speed-up stays off and WeasyPrint runs as it is.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

VERSION = "70.0"


def source_digest(functions: Iterable[Callable[..., Any] | type]) -> str:
    """sha256 of the functions' source, in order."""
    digest = hashlib.sha256()
    for function in functions:
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()


def matches(functions: Callable[[], Iterable[Callable[..., Any] | type]], checked: str) -> bool:
    """Whether this is WeasyPrint :data:`VERSION` and ``functions()`` hash to ``checked``; False
    when anything is missing (an import, an attribute, a source file)."""
    try:
        import weasyprint

        return getattr(weasyprint, "__version__", None) == VERSION and source_digest(functions()) == checked
    except Exception:  # keep WeasyPrint as it is
        return False

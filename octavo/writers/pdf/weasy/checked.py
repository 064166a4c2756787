"""Whether WeasyPrint's internals are the ones a patch was checked against.

:mod:`note_area` and :mod:`margins` replace or wrap functions that are not WeasyPrint's public
API, and each is only right for the code it was checked against. So each names the functions its
correctness rests on and the sha256 of their source. The version is the door's to check
(:data:`~octavo.writers.pdf.weasy.PINNED`); this catches a WeasyPrint of that version whose
code is not the one released (patched locally, say).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any


def source_digest(functions: Iterable[Callable[..., Any] | type]) -> str:
    """sha256 of the functions' source, in order."""
    digest = hashlib.sha256()
    for function in functions:
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()


def matches(functions: Callable[[], Iterable[Callable[..., Any] | type]], checked: str) -> bool:
    """Whether ``functions()`` hash to ``checked``; False when anything is missing (an import, an
    attribute, a source file)."""
    try:
        return source_digest(functions()) == checked
    except Exception:  # the patch does not apply
        return False

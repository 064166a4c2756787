"""pydyf's zlib swapped for one at a fixed level while a PDF is written (pydyf's ``zlib`` global)."""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LEVEL = 6  # zlib's default; pydyf asks for 9


def applies() -> bool:
    """pydyf compresses through its module's ``zlib`` name, which this swaps."""
    import pydyf

    return getattr(pydyf, "zlib", None) is zlib and "zlib.compressobj(" in inspect.getsource(pydyf)


class _Zlib:
    """zlib, but ``compressobj`` at a fixed level whatever level it is asked for."""

    def __init__(self, level: int) -> None:
        self.level = level

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


@contextmanager
def level(level: int) -> Iterator[None]:
    """pydyf compresses WeasyPrint's page content at zlib's level 9, much slower than the default
    level 6 for streams barely smaller (benchmarks/README.md); so it is given a zlib whose
    ``compressobj`` uses ``level`` while the PDF is written."""
    import pydyf

    kept = pydyf.zlib
    pydyf.zlib = _Zlib(level)
    try:
        yield
    finally:
        pydyf.zlib = kept

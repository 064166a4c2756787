"""The one interface every output's writer offers the pipeline.

A writer reads the :class:`~octavo.model.Assembled` book (never changing it), writes its files
into ``dest`` (a staging folder, published only when every output is complete) and returns their
paths. It raises :class:`~octavo.diagnostics.BookError` for a problem that spoils its output and
sends the others to ``options.report``; long work reports its steps to ``options.progress``.
It never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from octavo.model import Assembled
from octavo.options import Options

Write = Callable[[Assembled, Path, Options], list[Path]]


@dataclass(frozen=True)
class Writer:
    name: str  # for people: "EPUB 3", "print PDF"
    formats: tuple[str, ...]  # the outputs it writes, as the registry names them
    write: Write

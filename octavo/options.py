"""A build's options, merged once: the command line's flags over ``book.toml``'s ``[build]`` table.

A flag the user did not give (``None``) leaves the book's setting, and the book's leaves the
default. The result is one frozen value: :func:`octavo.pipeline.build` takes it, every writer
reads it, and no other module merges flags with the config. ``build``, ``check`` and ``serve``
all make theirs with :func:`resolve`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from octavo.config import Config, Metadata, load_config
from octavo.diagnostics import Diagnostic
from octavo.model import PrintPage
from octavo.writers.registry import DEFAULT_FORMATS, FORMATS


@dataclass(frozen=True)
class Progress:
    """One step of long work (laying out a PDF's chapters), for the command line to draw."""

    task: str  # the output at work: "pdf"
    done: int  # steps finished or under way, of ``total``
    total: int
    label: str = ""  # what the step works on: a chapter's title


def quiet(_: object) -> None:
    """The default for :attr:`Options.progress` and :attr:`Options.report`: library code never prints."""


@dataclass(frozen=True)
class Options:
    """What one build is asked to do; flags and ``book.toml`` already merged (:func:`resolve`)."""

    output: Path  # the output folder, where the previous build's files are
    formats: tuple[str, ...] = DEFAULT_FORMATS  # in the order they are written
    strict: bool = False  # warnings count as errors
    allow_remote: bool = False  # images at web addresses are downloaded
    jobs: int = 1  # processes to use
    use_cache: bool = True  # OUT/.cache is read and written
    force: bool = False  # build even into an output folder that holds another book's outputs
    skip_preprocessors: tuple[str, ...] = ()  # [preprocessor.NAME] tables of book.toml not to run
    progress: Callable[[Progress], None] = field(default=quiet, compare=False, repr=False)
    report: Callable[[Diagnostic], None] = field(default=quiet, compare=False, repr=False)
    """Where a writer sends the warnings that do not stop it; :func:`~octavo.pipeline.build` collects
    them with the others, so they count under ``strict`` and come back in its result."""
    print_pages: Callable[[tuple[PrintPage, ...]], None] = field(default=quiet, compare=False, repr=False)
    """Where the PDF writer sends where each of its pages begins; the pipeline hands them to the
    EPUB writer (written after the PDF when both are built) for its page-list."""


DEFAULT_OUTPUT = "dist"  # inside the book folder


def output_dir(config: Config, output: Path | None) -> Path:
    """``-o`` as given, else ``[build] output``, else ``dist/``, both relative to the book: beside
    the book, as mdBook does, so two books built from one folder never share an output folder."""
    if output is not None:
        return output
    return config.root / (config.build.output or DEFAULT_OUTPUT)


def resolve(root: Path, *, output: Path | None = None, formats: Iterable[str] | None = None, strict: bool = False,
            allow_remote: bool = False, jobs: int | None = None, use_cache: bool = True, force: bool = False,
            progress: Callable[[Progress], None] = quiet, skip_preprocessors: Iterable[str] = ()) -> Options:
    """The options of a build of ``root`` with these flags (``None``: not given on the command line).

    A ``book.toml`` that cannot be read counts as empty here: the build reads it again and reports
    its problems, all together, before anything is written.
    """
    config, _ = load_config(root)
    config = config or Config(root, Metadata(title=""))
    wanted = tuple(formats or ()) or config.build.formats
    return Options(output_dir(config, output), tuple(f for f in FORMATS if f in wanted), strict, allow_remote,
                   jobs or os.cpu_count() or 1, use_cache, force, tuple(skip_preprocessors), progress)

"""Many books in one run (``octavo build-all``): a publisher's catalogue rebuilt after a change.

Each book is built as ``octavo build`` would build it, into its own output folder; a book that
fails leaves its previous outputs as they were and never stops the others. A book whose inputs
(its files, octavo's code, templates and styles, the options) are those of its last successful
build, with its outputs still there, is "unchanged" and not built again; a book that did change
is rebuilt from the chapter cache, so one edited chapter costs that chapter's work.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Literal

from octavo.diagnostics import BookError, Diagnostic, error
from octavo.memo import PACKAGE, digest, files_digest
from octavo.options import Options
from octavo.output import owner
from octavo.styles import DEFAULTS as DEFAULT_STYLES
from octavo.templates import DEFAULTS as DEFAULT_TEMPLATES

CATALOGUE_NAME = "catalogue.toml"
INPUTS_FILE = "inputs.sha256"  # in OUT/.cache: the inputs of the last successful build

State = Literal["built", "unchanged", "failed"]


@dataclass(frozen=True)
class Entry:
    """One book of the catalogue and where its outputs go (None: where ``octavo build`` puts them)."""

    root: Path
    output: Path | None = None


@dataclass(frozen=True)
class Outcome:
    entry: Entry
    state: State
    title: str = ""
    outputs: tuple[Path, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=(), repr=False)


def entries(paths: Sequence[Path]) -> tuple[list[Entry], list[Diagnostic]]:
    """The books named on the command line: book folders, catalogue files, or folders holding a
    ``catalogue.toml`` (and no ``book.toml``); each book once, in order."""
    found: list[Entry] = []
    problems: list[Diagnostic] = []
    for path in paths:
        listing = path if path.is_file() else path / CATALOGUE_NAME
        if path.is_file() or (listing.is_file() and not (path / "book.toml").is_file()):
            more, wrong = read_catalogue(listing)
            found += more
            problems += wrong
        else:
            found.append(Entry(path))
    unique = list({entry.root.resolve(): entry for entry in reversed(found)}.values())[::-1]
    return unique, problems


def read_catalogue(path: Path) -> tuple[list[Entry], list[Diagnostic]]:
    """``[[book]]`` tables with a ``path`` (a folder, or a pattern such as ``books/*``) and an
    optional ``output``, both relative to the catalogue file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [error("catalogue.read", f"cannot read the catalogue: {exc}", str(path))]
    except tomllib.TOMLDecodeError as exc:
        return [], [error("catalogue.toml", f"the catalogue is not valid TOML: {exc}", str(path),
                          hint="see https://toml.io; each book is a [[book]] table with a path")]
    books = data.get("book")
    if not isinstance(books, list) or not books:
        return [], [error("catalogue.empty", "the catalogue lists no books", str(path),
                          hint='add one [[book]] table per book, e.g. [[book]] path = "books/sherlock"')]
    base = path.parent
    found: list[Entry] = []
    problems: list[Diagnostic] = []
    for number, book in enumerate(books, 1):
        where = book.get("path") if isinstance(book, dict) else None
        if not isinstance(where, str) or not where:
            problems.append(error("catalogue.path", f"book {number} of the catalogue has no path", str(path),
                                  hint='give each [[book]] a path = "folder"'))
            continue
        output = book.get("output")
        pattern = any(c in where for c in "*?[")
        folders = sorted(p for p in base.glob(where) if p.is_dir()) if pattern else [base / where]
        if not folders:
            problems.append(error("catalogue.path", f"no book folder matches '{where}'", str(path)))
        found += [Entry(folder, base / output / (folder.name if len(folders) > 1 else "") if output else None)
                  for folder in folders]
    return found, problems


def inputs_digest(root: Path, options: Options) -> str:
    """Everything a build of ``root`` reads: its files (not its outputs'), octavo's code,
    templates and styles, the versions of the libraries that write the outputs, and the options."""
    out = options.output.resolve()
    files = [p for p in sorted(root.resolve().rglob("*"))
             if p.is_file() and out not in p.parents and ".git" not in p.relative_to(root.resolve()).parts]
    book = digest(*(part for p in files for part in (p.relative_to(root.resolve()).as_posix(), p.read_bytes())))
    return digest(book, files_digest([PACKAGE, DEFAULT_TEMPLATES, DEFAULT_STYLES]),
                  [version(name) for name in ("ebooklib", "weasyprint", "jinja2", "markdown-it-py")],
                  options.formats, options.strict, options.allow_remote)


def _record(options: Options) -> Path:
    return options.output / ".cache" / INPUTS_FILE


def unchanged(root: Path, options: Options, inputs: str) -> Outcome | None:
    """The outcome "unchanged" when the last build of this book into this folder (which it still
    owns) had these inputs and its outputs are all still there; else None."""
    found = owner(options.output)
    if not options.use_cache or options.allow_remote or found is None or found.book != root.resolve():
        return None
    try:
        record = json.loads(_record(options).read_text(encoding="utf-8"))
        made = [options.output / name for name in record["outputs"]]
        same = record["inputs"] == inputs
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not same or not all(path.exists() for path in made):
        return None
    return Outcome(Entry(root), "unchanged", found.title, tuple(made))


def build_one(entry: Entry, options: Options) -> Outcome:
    """One book, built as ``octavo build`` builds it, unless it is unchanged. Any failure of this
    book, even one of octavo's own or of a cluster, is this book's outcome, not the run's."""
    from octavo.pipeline import build

    inputs = inputs_digest(entry.root, options)
    if (same := unchanged(entry.root, options, inputs)) is not None:
        return replace(same, entry=entry)
    try:
        result = build(entry.root, options)
    except BookError as exc:
        return Outcome(entry, "failed", diagnostics=tuple(exc.diagnostics))
    except Exception as exc:  # one book's crash must not stop the catalogue
        message = f"the build stopped: {type(exc).__name__}: {exc}"
        return Outcome(entry, "failed", diagnostics=(error("build.crash", message, str(entry.root),
                                                           hint="build this book alone with --debug"),))
    if options.use_cache:
        names = [path.relative_to(options.output).as_posix() for path in result.outputs]
        _record(options).parent.mkdir(parents=True, exist_ok=True)
        _record(options).write_text(json.dumps({"inputs": inputs, "outputs": names}), encoding="utf-8")
    return Outcome(entry, "built", result.assembled.book.title, tuple(result.outputs), tuple(result.diagnostics))


Placement = Callable[[Entry, Options], AbstractContextManager[object]]


def build_all(books: Sequence[Entry], options_for: Callable[[Entry], Options], at_once: int = 1,
              placed: Placement | None = None, done: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
    """Every book, ``at_once`` at a time (threads: on a cluster, their tasks share the workers);
    ``placed`` wraps each build (it says which workers may take the book's tasks); ``done`` hears
    of each book as it ends. Outcomes come back in the catalogue's order."""
    def one(entry: Entry) -> Outcome:
        options = options_for(entry)
        with (placed or _anywhere)(entry, options):
            outcome = build_one(entry, options)
        done(outcome)
        return outcome

    if at_once < 2:
        return [one(entry) for entry in books]
    with _threads(at_once) as threads:
        futures: list[Future[Outcome]] = [threads.submit(one, entry) for entry in books]
        return [future.result() for future in futures]


def _anywhere(_: Entry, __: Options) -> AbstractContextManager[object]:
    return nullcontext()


class _threads(AbstractContextManager[ThreadPoolExecutor]):
    """Threads that stop taking books on Ctrl-C (a book under way finishes or fails whole)."""

    def __init__(self, count: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="octavo-book")

    def __enter__(self) -> ThreadPoolExecutor:
        return self.executor

    def __exit__(self, kind: object, *_: object) -> None:
        self.executor.shutdown(wait=kind is None, cancel_futures=kind is not None)


def summary(outcomes: Sequence[Outcome]) -> str:
    counts = {state: sum(1 for o in outcomes if o.state == state) for state in ("built", "unchanged", "failed")}
    return ", ".join(f"{count} {state}" for state, count in counts.items())


def failed(outcomes: Sequence[Outcome]) -> Iterator[Outcome]:
    return (o for o in outcomes if o.state == "failed")

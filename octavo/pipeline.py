"""The build, start to end: load -> render each chapter -> transforms -> one writer per output.

Each stage hands the next a new value; nothing is shared and mutated. Writers receive the
:class:`Assembled` book, read-only, and write into a staging folder; the outputs move into
place together only when all of them are complete.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from octavo.batch import render_all
from octavo.diagnostics import BookError, Diagnostic, error, has_errors
from octavo.load import load_book
from octavo.memo import NO_CACHE, Memo, Recall
from octavo.model import Assembled, Book, BuildResult, RenderedChapter
from octavo.options import Options, output_dir
from octavo.output import publish, staging
from octavo.render import RenderContext, place_remote
from octavo.stack import in_one_chunk
from octavo.transforms import numbering, toc, xrefs
from octavo.writers.base import Writer
from octavo.writers.registry import OUTPUTS

if TYPE_CHECKING:
    from octavo.remote import Store


def build_time() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def assemble(root: Path, allow_remote: bool = False, jobs: int = 1,
             memo: Memo = NO_CACHE) -> tuple[Assembled, list[Diagnostic]]:
    book, problems = load_book(root)
    return assemble_book(book, problems, allow_remote, jobs, memo)


def assemble_book(book: Book, problems: list[Diagnostic], allow_remote: bool = False, jobs: int = 1,
                  memo: Memo = NO_CACHE, store: Store | None = None) -> tuple[Assembled, list[Diagnostic]]:
    """Number a loaded book's chapters, render them and run the transforms every writer shares.

    With ``allow_remote``, images at web addresses are downloaded into ``store`` (by default the
    remote cache of the book's default output folder) and become files of the book.
    """
    problems = list(problems)
    book = numbering.number_chapters(book)
    ctx = RenderContext(str(book.config.root), book.config.meta.language,
                        {c.source: c.id for c in book.chapters()}, allow_remote)
    rendered = render_all(list(book.chapters()), ctx, jobs, memo.area("render"))
    for chapter in rendered.values():
        problems += chapter.diagnostics
    downloads: dict[str, Path] = {}
    if allow_remote:
        from octavo.remote import Store  # the network code only when the network may be used

        store = store or Store(output_dir(book.config, None) / ".cache" / "remote")
        rendered, downloads, more = download_remote(rendered, store)
        problems += more
    index, more = xrefs.index(rendered.values())
    problems += more
    entries = toc.with_pages(toc.build(book, rendered, book.config.build.toc_depth))
    pages = toc.pages(book, rendered, entries)
    return Assembled(book, rendered, index, entries, tuple(pages), build_time(), memo, downloads), problems


def download_remote(rendered: Mapping[str, RenderedChapter], store: Store
                    ) -> tuple[dict[str, RenderedChapter], dict[str, Path], list[Diagnostic]]:
    """The chapters with their remote images downloaded (each URL once for the whole book) and
    pointing at the downloads; the downloads by book path; an error for each use of a failed one.

    A stage after rendering, so the render cache never holds a result that depends on the network.
    """
    from octavo.remote import Downloaded, fetch_all

    uses = [(chapter, image) for chapter in rendered.values() for image in chapter.remote]
    if not uses:
        return dict(rendered), {}, []
    fetched = fetch_all([image.url for _, image in uses], store)
    names = {url: result.name if isinstance(result, Downloaded) else None for url, result in fetched.items()}
    downloads = {result.name: result.file for result in fetched.values() if isinstance(result, Downloaded)}
    problems = [error("image.remote", f"image '{image.url}' cannot be used: {result.reason}", chapter.source,
                      image.line, hint="check the address in a web browser; or download the image into the "
                      "book folder and use its path")
                for chapter, image in uses if not isinstance(result := fetched[image.url], Downloaded)]
    return {key: place_remote(chapter, names) for key, chapter in rendered.items()}, downloads, problems


def writer(output: str) -> Writer:
    """The writer of ``output``, imported only now (so an EPUB build never loads WeasyPrint)."""
    found: Writer = importlib.import_module(OUTPUTS[output]).WRITER
    return found


@in_one_chunk
def build(root: Path, options: Options, recall: Recall | None = None) -> BuildResult:
    """Build the book in ``root`` as ``options`` say; raises :class:`BookError` with every problem if it can't.

    ``recall`` keeps the cache's entries in memory for the next build of this process (``serve``).
    """
    book, problems = load_book(root, recall)
    out = options.output
    memo = Memo(out / ".cache" if options.use_cache else None, recall)
    store = None
    if options.allow_remote:
        from octavo.remote import Store

        store = Store(out / ".cache" / "remote", reuse=options.use_cache)
    assembled, problems = assemble_book(book, problems, options.allow_remote, options.jobs, memo, store)
    if has_errors(problems, options.strict):
        raise BookError(problems)
    options = replace(options, report=problems.append)  # a writer's warnings count with the others
    try:
        with staging(out) as temp:
            for output in options.formats:
                writer(output).write(assembled, temp, options)
            if has_errors(problems, options.strict):
                raise BookError(problems)
            outputs = publish(temp, out)
    except OSError as exc:
        where = exc.filename or out
        raise BookError([*problems, error("output.write", f"cannot write the outputs: {exc.strerror or exc}",
                                          str(where), hint="check that the output folder is writable and the "
                                          "disk has room; the previous outputs were left as they were")]) from None
    return BuildResult(outputs, problems, assembled)

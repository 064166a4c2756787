"""The build, start to end: load -> render each chapter -> transforms -> one writer per output.

Each stage hands the next a new value; nothing is shared and mutated. Writers receive the
:class:`Assembled` book, read-only, and write into a staging folder; the outputs move into
place together only when all of them are complete.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from octavo import mdbook, styles
from octavo.assets import Finding, Limits, clean_copies, inspect_data, media_type
from octavo.batch import render_all
from octavo.citations import resolve as citations
from octavo.config import Config
from octavo.diagnostics import BookError, Diagnostic, error, has_errors, warning
from octavo.load import load_book
from octavo.memo import NO_CACHE, Memo, Recall
from octavo.model import Assembled, Book, BuildResult, PrintPage, RenderedChapter
from octavo.options import Options, output_dir
from octavo.output import OutputError, check_replaceable, owner, publish, record_owner, shown, staging
from octavo.paths import slugify
from octavo.projects import syntax
from octavo.render import RenderContext, place_remote, render_chapter
from octavo.signals import Interrupted, signum_of
from octavo.stack import in_one_chunk
from octavo.transforms import crossrefs, numbering, toc, xrefs
from octavo.writers.base import Writer
from octavo.writers.registry import OUTPUTS, STYLED

if TYPE_CHECKING:
    from octavo.remote import Store


def mdbook_markdown(book: Book) -> tuple[bool, str]:
    """Smart punctuation and math syntax: an mdBook project's as its ``[output.html]`` says."""
    if book.mdbook_src is None:
        return True, "tex"
    html = book.config.mdbook
    return html.smart_punctuation, "mathjax" if html.mathjax_support else "none"


def link_base(config: Config) -> str | None:
    """The web address the site is served at, for links that leave the book: ``[site] base-url``,
    or mdBook's ``site-url`` when it is a whole address (a bare path like ``/book/`` is not one)."""
    site_url = config.mdbook.site_url or ""
    return config.site.base_url or (site_url if re.match(r"^https?://", site_url) else None)


def build_time() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def assemble(root: Path, allow_remote: bool = False, jobs: int = 1, memo: Memo = NO_CACHE,
             skip_preprocessors: Sequence[str] = ()) -> tuple[Assembled, list[Diagnostic]]:
    book, problems = load_book(root, skip_preprocessors=skip_preprocessors)
    return assemble_book(book, problems, allow_remote, jobs, memo)


def assemble_book(book: Book, problems: list[Diagnostic], allow_remote: bool = False, jobs: int = 1,
                  memo: Memo = NO_CACHE, store: Store | None = None, cache: Path | None = None
                  ) -> tuple[Assembled, list[Diagnostic]]:
    """Number a loaded book's chapters, render them and run the transforms every writer shares.

    With ``allow_remote``, images at web addresses are downloaded into ``store`` (by default the
    remote cache of the book's default output folder) and become files of the book. ``cache``
    (by default that output folder's ``.cache``) keeps the SVGs the outputs carry rewritten.
    """
    loaded, problems = list(problems), []
    book = numbering.number_chapters(book)
    sources, more = citations.citation_notes(book)
    problems += more
    ctx = RenderContext(str(book.config.root), book.config.meta.language,
                        {c.source: c.id for c in book.chapters()}, allow_remote,
                        Limits.megapixels(book.config.build.max_megapixels).pixels, bool(sources and sources.notes),
                        book.mdbook_src, link_base(book.config), *mdbook_markdown(book),
                        labels=book.config.labels)
    rendered = render_all(list(book.chapters()), ctx, jobs, memo.area("render"))
    not_found = render_chapter(book.not_found, ctx) if book.not_found is not None else None
    if not_found is not None:
        problems += not_found.diagnostics
    for chapter in rendered.values():
        problems += chapter.diagnostics
    problems = syntax.one_notice(problems)
    cache = cache or output_dir(book.config, None) / ".cache"
    downloads = carried_copies(book, rendered, cache / "svg")
    if allow_remote:
        from octavo.remote import Store  # the network code only when the network may be used

        store = store or Store(cache / "remote", images=Limits.megapixels(book.config.build.max_megapixels))
        rendered, fetched, more = download_remote(rendered, store)
        downloads.update(fetched)
        problems += more
    cited = citations.resolve(book, rendered, sources, memo.area("citations"))
    book, rendered = cited.book, cited.rendered
    problems += cited.problems
    rendered, more = crossrefs.resolve(book, rendered)
    problems += more
    index, more = xrefs.index(rendered.values())
    problems += more
    entries = toc.with_pages(toc.build(book, rendered, book.config.build.toc_depth))
    pages = toc.pages(book, rendered, entries)
    problems = loaded + mdbook.relocated(problems, list(book.chapters()))  # lines of included files: theirs
    return Assembled(book, rendered, index, entries, tuple(pages), build_time(), memo, downloads,
                     not_found=not_found), problems


def carried_copies(book: Book, rendered: Mapping[str, RenderedChapter], folder: Path) -> dict[str, Path]:
    """The book's SVGs that start with a plain DOCTYPE, as every output carries them: without it
    (see :mod:`octavo.svg`), by book path. Their warnings were given where they were checked."""
    sheets = [path for output in STYLED for path in _sheet_assets(book, output)]
    used = (path for chapter in rendered.values() for path in chapter.images)
    cover = [book.cover] if book.cover else []
    return clean_copies(book.config.root, [*cover, *book.cover_files, *used, *sheets], folder)


def _sheet_assets(book: Book, output: str) -> tuple[str, ...]:
    """The files an output's style sheets use; none for a sheet that cannot be read (the writer of
    an output that uses it reports that)."""
    try:
        return styles.layers(book, output)[0].assets
    except (OSError, UnicodeDecodeError):
        return ()


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
    findings = {result.url: inspect_data(result.file.read_bytes(), media_type(result.name) or "", store.images).findings
                for result in fetched.values() if isinstance(result, Downloaded)}
    noted: dict[tuple[str, str, Finding], int | None] = {}  # at the first use in each chapter
    for chapter, image in uses:
        for finding in findings.get(image.url, ()):
            noted.setdefault((chapter.source, image.url, finding), image.line)
    problems += [warning(finding.code, f"image '{url}' {finding.message}", source, line, hint=finding.hint)
                 for (source, url, finding), line in noted.items()]
    return {key: place_remote(chapter, names) for key, chapter in rendered.items()}, downloads, problems


def for_outputs(problems: list[Diagnostic], chosen: Sequence[str]) -> list[Diagnostic]:
    """Each problem once, without the stores' limits for EPUB images when no EPUB is made (a
    print PDF wants the large images a store would refuse)."""
    return [p for p in dict.fromkeys(problems) if p.code != "image.store" or {"epub", "azw3", "kepub"} & set(chosen)]


def output_names(slug: str, formats: Sequence[str]) -> list[str]:
    """What each writer publishes, for the check made before the build (the writers name them)."""
    names = {"epub": f"{slug}.epub", "pdf": f"{slug}.pdf", "azw3": f"{slug}.azw3",
             "kepub": f"{slug}.kepub.epub", "web": "site"}
    return [names[name] for name in formats]


def other_book(book: Book, out: Path) -> list[Diagnostic]:
    """An error if ``out`` holds the outputs of another book: a build would replace them."""
    found = owner(out)
    mine = book.config.root.resolve()
    if found is None or found.book == mine:
        return []
    return [error("output.other-book", f"the output folder '{out}' holds the outputs of another book, "
                  f"'{found.title}' ({found.book}); this is '{book.title}' ({mine})", str(out),
                  hint="build into another folder with -o, or give --force to replace that book's outputs")]


def write_error(exc: OSError, out: Path, problems: list[Diagnostic]) -> BookError:
    """The outputs could not be written: every problem so far and this one, at the user's path."""
    hint = exc.hint if isinstance(exc, OutputError) else "check that the output folder is writable and has room"
    message = f"cannot write the outputs: {exc.strerror or type(exc).__name__}"
    return BookError([*problems, error("output.write", message, str(shown(exc.filename or out)),
                                       hint=f"{hint}; the previous outputs were left as they were")])


def writing_order(formats: Sequence[str]) -> list[str]:
    """``formats`` in the registry's order, except that the PDF comes before the EPUB: the EPUB
    carries the PDF's page breaks (its page-list) when both are built."""
    order = list(formats)
    if "epub" in order and "pdf" in order and order.index("epub") < order.index("pdf"):
        order.remove("epub")
        order.insert(order.index("pdf") + 1, "epub")
    return order


def writer(output: str) -> Writer:
    """The writer of ``output``, imported only now (so an EPUB build never loads WeasyPrint)."""
    found: Writer = importlib.import_module(OUTPUTS[output]).WRITER
    return found


@in_one_chunk
def build(root: Path, options: Options, recall: Recall | None = None) -> BuildResult:
    """Build the book in ``root`` as ``options`` say; raises :class:`BookError` with every problem if it can't.

    ``recall`` keeps the cache's entries in memory for the next build of this process (``serve``).
    An output folder that holds another book's outputs is an error unless ``force`` is given;
    one that cannot be replaced is found before the build, not after it.
    """
    book, problems = load_book(root, recall, options.skip_preprocessors)
    out = options.output
    if not options.force and (conflict := other_book(book, out)):
        raise BookError([*problems, *conflict])  # before its cache is touched
    try:
        check_replaceable(out, output_names(slugify(book.title, "book"), options.formats))
    except OSError as exc:
        raise write_error(exc, out, problems) from None
    memo = Memo(out / ".cache" if options.use_cache else None, recall)
    store = None
    if options.allow_remote:
        from octavo.remote import Store

        store = Store(out / ".cache" / "remote", reuse=options.use_cache, images=Limits.megapixels(
            book.config.build.max_megapixels))
    assembled, problems = assemble_book(book, problems, options.allow_remote, options.jobs, memo, store, out / ".cache")
    sheet_problems = [p for f in options.formats if f in STYLED for p in styles.layers(book, f)[1]]
    problems = for_outputs(problems + sheet_problems, options.formats)
    if has_errors(problems, options.strict):
        raise BookError(problems)
    printed: list[tuple[PrintPage, ...]] = []  # the PDF's pages, for the EPUB's page-list
    options = replace(options, report=problems.append, print_pages=printed.append)  # warnings count with the others
    outputs: list[Path] | None = None
    # Every writer's module is imported before anything is staged: an extension module (pikepdf)
    # stopped by Ctrl-C in the middle of its import aborts the process instead of unwinding.
    chosen = {output: writer(output) for output in writing_order(options.formats)}
    try:
        with staging(out) as temp:
            for output, chosen_writer in chosen.items():
                chosen_writer.write(replace(assembled, print_pages=printed[-1]) if output == "epub" and printed
                                     else assembled, temp, options)
            if has_errors(problems, options.strict):
                raise BookError(problems)
            record_owner(temp, book.config.root, book.title)
            outputs = publish(temp, out)
    except OSError as exc:
        raise write_error(exc, out, problems) from None
    except KeyboardInterrupt as stop:
        if outputs is None:
            raise
        # the stop came as the staging folder was removed, after the outputs were all in place
        raise Interrupted(signum_of(stop), published=True) from None
    return BuildResult(outputs, problems, assembled)

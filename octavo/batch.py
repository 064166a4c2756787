"""Render many chapters: from the cache where nothing changed, in parallel for the rest.

The cache (``<output>/.cache/render``, safe to delete) keys each chapter by a hash of everything
its rendering reads: its text and outline data, the book-wide context, and octavo's own code. A
hit is re-checked against the files the chapter used (images), so a deleted or replaced image is
never hidden by a stale entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from octavo import highlight, i18n
from octavo.memo import NO_CACHE, Memo, code_digest, digest
from octavo.model import Chapter, RenderedChapter
from octavo.pool import gc_paused, portable, spreading, workers
from octavo.render import RenderContext, render_chapter

CODE = ("markdown.py", "highlight.py", "math.py", "render.py", "sanitize.py", "assets.py", "paths.py", "urls.py",
        "svg.py", "raster.py", "model/rendered.py", "citations/syntax.py", "model/citations.py", "blocks.py", "refs.py",
        "leftovers.py", "labels.py", "mdbook/web.py", "projects/syntax.py", *i18n.CODE,
        "projects/tables.py")
T = TypeVar("T")


def context_key(ctx: RenderContext) -> str:
    """What every chapter's rendering shares: octavo's code and the book-wide context."""
    return digest(code_digest(*CODE), highlight.ENGINE, ctx.root, ctx.language, sorted(ctx.chapter_ids.items()),
                  ctx.allow_remote, ctx.max_pixels, ctx.citation_notes, ctx.mdbook_src, ctx.link_base,
                  ctx.smart_punctuation, ctx.math_syntax)


def chapter_key(chapter: Chapter, context: str, memo: Memo = NO_CACHE) -> str:
    return digest(context, replace(chapter, text=""), text_digest(chapter.text, memo, chapter.source))


def text_digest(text: str, memo: Memo, name: str) -> str:
    """The digest of a chapter's text; with a Recall, kept with the text under ``name``, so that
    a text equal to the one kept (most often the very same string, see
    :func:`octavo.load.decode_kept`) is not encoded and hashed again."""
    kept = memo.recent(f"text/{name}")
    if isinstance(kept, tuple) and len(kept) == 2 and (kept[0] is text or kept[0] == text):
        return str(kept[1])
    made = digest(text)
    memo.keep(f"text/{name}", (text, made), len(text))
    return made


def _stamp(root: Path, path: str) -> tuple[int, int] | None:
    try:
        stat = (root / path).stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


Stamps = dict[str, tuple[int, int] | None]  # each image a chapter uses: its size and time, or None


def _load(memo: Memo, key: str, root: Path) -> tuple[RenderedChapter, Stamps] | None:
    """The cached chapter and its images' stamps, if they are still the images' stamps."""
    entry = memo.load_object(key)
    if not isinstance(entry, tuple) or len(entry) != 2 or not isinstance(entry[0], RenderedChapter):
        return None
    stamps = _stamps(root, entry[0])
    return (entry[0], stamps) if entry[1] == stamps else None


def _stamps(root: Path, rendered: RenderedChapter) -> Stamps:
    return {path: _stamp(root, path) for path in rendered.images}


def _with_digest(rendered: RenderedChapter, key: str, stamps: Stamps) -> RenderedChapter:
    """The chapter named by its key and the files it used: the same two, the same chapter."""
    return replace(rendered, digest=digest(key, sorted(stamps.items())))


@portable  # reads images under ctx.root, returns the chapters
def _render(ctx: RenderContext, chapters: list[Chapter]) -> list[RenderedChapter]:
    with gc_paused():
        return [render_chapter(chapter, ctx) for chapter in chapters]


def guided(items: Sequence[T], jobs: int) -> list[list[T]]:
    """``items`` (largest first) in runs that shrink as the work runs out: each a share of what is
    left, down to single items at the end. Few runs cost the main process few round trips (each
    is a message, a pickle and a wake-up), and the small last ones keep the workers finishing
    together."""
    runs: list[list[T]] = []
    start = 0
    while start < len(items):
        size = max(1, (len(items) - start) // (4 * jobs))
        runs.append(list(items[start:start + size]))
        start += size
    return runs


def render_all(chapters: Sequence[Chapter], ctx: RenderContext, jobs: int = 1,
               memo: Memo = NO_CACHE) -> dict[str, RenderedChapter]:
    """Every chapter rendered, in the given order; ``jobs`` > 1 spreads the misses over processes."""
    root = Path(ctx.root)
    context = context_key(ctx)
    keys = {c.id: chapter_key(c, context, memo) for c in chapters} if memo.folder else {}
    done: dict[str, RenderedChapter] = {}
    stamps: dict[str, Stamps] = {}
    for chapter in chapters if memo.folder else ():
        hit = _load(memo, keys[chapter.id], root)
        if hit is not None:
            done[chapter.id], stamps[chapter.id] = hit
    todo = [c for c in chapters if c.id not in done]
    size = sum(len(c.text) for c in todo)
    if spreading(jobs, len(todo), size):
        runs = guided(sorted(todo, key=lambda c: -len(c.text)), jobs)
        highlight.lexers_ahead(c.text for c in todo)  # once here, not once in each worker
        with workers(min(jobs, len(todo)), ctx) as pool:
            results = [pool.submit(_render, run) for run in runs]  # the workers start here, collecting
            with gc_paused():  # while the results are unpickled here
                for run, rendered in zip(runs, results, strict=True):
                    done.update((chapter.id, made) for chapter, made in zip(run, rendered.result(), strict=True))
    else:
        done.update(zip((c.id for c in todo), _render(ctx, todo), strict=True))
    if memo.folder is None:
        return {c.id: done[c.id] for c in chapters}
    for chapter in todo:
        stamps[chapter.id] = _stamps(root, done[chapter.id])
        memo.store_object(keys[chapter.id], (done[chapter.id], stamps[chapter.id]))
    return {c.id: _with_digest(done[c.id], keys[c.id], stamps[c.id]) for c in chapters}

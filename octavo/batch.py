"""Render many chapters: from the cache where nothing changed, in parallel for the rest.

The cache (``<output>/.cache/render``, safe to delete) keys each chapter by a hash of everything
its rendering reads: its text and outline data, the book-wide context, and octavo's own code. A
hit is re-checked against the files the chapter used (images), so a deleted or replaced image is
never hidden by a stale entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path

from octavo import __version__
from octavo.book import Chapter
from octavo.render import RenderContext, RenderedChapter, render_chapter

CODE = ("markdown.py", "render.py", "sanitize.py", "assets.py", "paths.py")
PARALLEL_MIN_BYTES = 512 * 1024  # below this, starting processes costs more than it saves


@lru_cache(maxsize=1)
def code_hash() -> str:
    digest = hashlib.sha256(__version__.encode())
    for name in CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def chapter_key(chapter: Chapter, ctx: RenderContext) -> str:
    digest = hashlib.sha256(code_hash().encode())
    digest.update(repr((ctx.root, ctx.language, sorted(ctx.chapter_ids.items()), ctx.allow_remote)).encode())
    digest.update(repr(astuple(chapter)).encode())
    return digest.hexdigest()


def _stamp(root: Path, path: str) -> tuple[int, int] | None:
    try:
        stat = (root / path).stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _load(cache: Path, key: str, root: Path) -> RenderedChapter | None:
    entry = cache / f"{key}.pickle"
    try:
        rendered, stamps = pickle.loads(entry.read_bytes())
    except (OSError, pickle.PickleError, EOFError, ValueError, TypeError):
        return None
    if any(_stamp(root, path) != stamp for path, stamp in stamps.items()):
        return None
    return rendered  # type: ignore[no-any-return]


def _store(cache: Path, key: str, rendered: RenderedChapter, root: Path) -> None:
    stamps = {path: _stamp(root, path) for path in rendered.images}
    temp = cache / f".{key}.{os.getpid()}.tmp"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(pickle.dumps((rendered, stamps), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temp, cache / f"{key}.pickle")
    except OSError:  # a cache that cannot be written only costs time
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def _render(args: tuple[Chapter, RenderContext]) -> RenderedChapter:
    return render_chapter(*args)


def render_all(chapters: Sequence[Chapter], ctx: RenderContext, jobs: int = 1,
               cache: Path | None = None) -> dict[str, RenderedChapter]:
    """Every chapter rendered, in the given order; ``jobs`` > 1 spreads the misses over processes."""
    root = Path(ctx.root)
    keys = {c.id: chapter_key(c, ctx) for c in chapters} if cache else {}
    done: dict[str, RenderedChapter] = {}
    if cache is not None:
        for chapter in chapters:
            hit = _load(cache, keys[chapter.id], root)
            if hit is not None:
                done[chapter.id] = hit
    todo = [c for c in chapters if c.id not in done]
    size = sum(len(c.text) for c in todo)
    if jobs > 1 and len(todo) > 1 and size >= PARALLEL_MIN_BYTES:
        largest_first = sorted(todo, key=lambda c: -len(c.text))
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            for chapter, rendered in zip(largest_first, pool.map(_render, [(c, ctx) for c in largest_first]),
                                         strict=True):
                done[chapter.id] = rendered
    else:
        for chapter in todo:
            done[chapter.id] = render_chapter(chapter, ctx)
    if cache is not None:
        for chapter in todo:
            _store(cache, keys[chapter.id], done[chapter.id], root)
    return {c.id: done[c.id] for c in chapters}

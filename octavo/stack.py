"""Deep call trees without CPython mapping and unmapping a stack chunk on every call.

CPython 3.11 keeps its Python frames on a stack made of 16 KiB chunks. When a call needs a new
chunk, the chunk is mapped (``mmap``); when that call returns, it is unmapped again. A hot call
that sits at a chunk's first frame therefore costs two system calls and a page fault each time
(CPython gh-142183; 3.13 and 3.14 keep one spare chunk since their 2026 releases). WeasyPrint's
layout recurses through boxes and calls small methods from deep inside, so long books hit such
edges hundreds of thousands of times (figures in benchmarks/README.md).

The way round it uses what CPython does with a frame too large for a chunk: it gets a chunk of
its own, rounded up to a power of two, and the frames it calls are put in the rest of that chunk.
:func:`in_one_chunk` calls through a function whose code declares a large value stack
(``co_stacksize``, of which a frame only writes what it uses), so everything below it runs in
one chunk of a few megabytes of address space. Only the pages the frames touch are ever backed
by memory, so it costs no more than the frames themselves. Elsewhere than CPython, or if its code
objects cannot be changed so, the task is called directly: the results are the same either way.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# A frame of 2 MiB and a little more gets a chunk of 4 MiB, leaving 2 MiB for the calls below it:
# thousands of frames, more than the recursion limit allows.
SLOTS = (2 << 20) // 8 + 64

_inside = threading.local()  # each thread has its own stack of chunks


def _through(task: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    _inside.yes = True
    try:
        return task(*args, **kwargs)
    finally:
        _inside.yes = False


def _enlarge() -> bool:
    if sys.implementation.name != "cpython":
        return False
    try:
        _through.__code__ = _through.__code__.replace(co_stacksize=SLOTS)
    except (AttributeError, TypeError, ValueError):
        return False
    return True


ENLARGED = _enlarge()


def in_one_chunk(task: Callable[P, R]) -> Callable[P, R]:
    """``task``, run with its whole call tree in one stack chunk (once per thread: a call made
    from inside another runs directly, as it is in that chunk already)."""

    @wraps(task)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not ENLARGED or getattr(_inside, "yes", False):
            return task(*args, **kwargs)
        result: R = _through(task, args, kwargs)
        return result

    return run

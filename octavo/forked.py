"""Worker processes that inherit what the main process built, instead of receiving it pickled.

A writer prepares once what all its pages need (the assembled book, compiled templates, the
contents list); a process forked after that already holds it all, so a task is only a function
and a few numbers, and sending the whole book to each worker (7 MB of chapters for the diary of
Pepys) costs nothing. Where forking is not safe (any system but Linux; macOS forks, but its
system libraries may not survive it) or ``jobs`` is 1, the tasks run here, one after another,
as they are submitted: the same results in the same files.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

_shared: Any = None  # in a worker: what the main process handed to Workers


def _adopt(shared: object) -> None:
    global _shared
    _shared = shared


def _call(task: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
    return task(_shared, *args, **kwargs)


class Workers(Generic[S]):
    """Run ``task(shared, *args)`` in forked workers, or here when there are none."""

    def __init__(self, shared: S, pool: ProcessPoolExecutor | None) -> None:
        self.shared = shared
        self.pool = pool

    def submit(self, task: Callable[Concatenate[S, P], R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """``task`` must be a module-level function (it is sent by name); its arguments small."""
        if self.pool is not None:
            return self.pool.submit(_call, task, args, kwargs)
        done: Future[R] = Future()
        done.set_result(task(self.shared, *args, **kwargs))
        return done


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def workers(shared: S, jobs: int) -> Iterator[Workers[S]]:
    """``jobs`` forked processes that share ``shared`` as it is now; none when ``jobs`` < 2.

    The processes are forked when the first task is submitted, so ``shared`` must be complete
    (and no other thread of this process busy) by then.
    """
    if jobs < 2 or not can_fork():
        yield Workers(shared, None)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_adopt, initargs=(shared,)) as pool:
        yield Workers(shared, pool)

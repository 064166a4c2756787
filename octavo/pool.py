"""One way to run work in parallel: worker processes, or this process when there is one job.

A :class:`Pool` runs ``task(shared, *args)`` and hands back a future, whatever runs it:

- ``jobs`` < 2: this process, at once, as each task is submitted; the future holds the result
  or the exception, as a process pool's would. ``--jobs 1`` and short work take this path.
- ``start="fork"``: worker processes forked from this one once ``shared`` is made, so they hold
  it already (the assembled book, compiled templates) and a task is only a function and a few
  numbers. Forking is only safe on Linux (macOS forks, but its system libraries may not survive
  it); elsewhere the tasks run here.
- ``start="spawn"``: fresh interpreters that carry nothing of this process. The PDF's workers
  are these: a forked one would start with the whole rendered book in its memory, and they
  need only WeasyPrint. ``shared`` is pickled to each once. As with any spawned pool, a script
  that uses one needs the ``if __name__ == "__main__":`` guard.

A task must be a module-level function (it is sent by name) and its arguments small.

- A Dask cluster (``octavo build-all --cluster`` or ``--scheduler``, :mod:`octavo.cluster`): while
  :func:`distributed` holds a client, every pool sends its tasks there, with ``shared`` scattered to
  the workers once; :func:`sees` says which workers read a thread's book and, when some do not,
  the :class:`~octavo.mirror.Bundle` of its files that goes to those with a :func:`portable` task
  (another task goes only to the readers; with none, it runs here). Futures come back as the local
  pool's would.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec, TypeVar

if TYPE_CHECKING:
    from distributed import Client

    from octavo.mirror import Bundle

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
Start = Literal["fork", "spawn"]

SETTLE_SECONDS = 30  # for a cluster pool's cancelled tasks to be handed over when it closes
PARALLEL_MIN_BYTES = 512 * 1024  # of chapters to make: below this, starting processes costs more than it saves

_shared: Any = None  # in a worker: the ``shared`` of the pool that started it
_client: Client | None = None  # the run's Dask client, while :func:`distributed` holds it
_where = threading.local()  # .workers, .bundle: the Dask workers that read this thread's book, the others' copy
_portable: set[Callable[..., Any]] = set()  # tasks that run as well on a copy of the book (mirror.run_from)


def _adopt(shared: object) -> None:
    global _shared
    _shared = shared


def _call(task: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
    return task(_shared, *args, **kwargs)


class Pool(Generic[S]):
    """Runs ``task(shared, *args)`` in worker processes, or here when there are none."""

    def __init__(self, shared: S, executor: ProcessPoolExecutor | None = None) -> None:
        self.shared = shared
        self.executor = executor

    def submit(self, task: Callable[Concatenate[S, P], R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        if self.executor is not None:
            return self.executor.submit(_call, task, args, kwargs)
        done: Future[R] = Future()
        try:
            done.set_result(task(self.shared, *args, **kwargs))
        except BaseException as exc:  # handed over as a pool would: raised by result()
            done.set_exception(exc)
        return done


class ClusterPool(Pool[S]):
    """Sends tasks to a Dask cluster; ``shared`` goes to each worker once, not with each task.

    A :func:`portable` task may go to any worker (one that does not see the book gets its
    ``bundle`` and runs on a copy of it); any other only to the ``readers``, or runs here when
    there are none. A task whose worker dies is run again on another (Dask retries it): the
    tasks are pure.
    """

    def __init__(self, shared: S, client: Client, readers: list[str], bundle: Bundle | None = None) -> None:
        super().__init__(shared)
        self.client, self.readers, self.bundle = client, readers, bundle
        self.refs: dict[str, Any] = {}  # shared and the bundle, once sent
        self.running: set[Any] = set()  # Dask forgets a task whose client future is dropped: held until done

    def _ref(self, name: str, value: object, where: list[str] | None) -> Any:
        """A task that returns ``value``, not scattered data: should every worker holding it die,
        the scheduler makes it again instead of forgetting the tasks that need it."""
        if value is not None and name not in self.refs:
            self.refs[name] = self.client.submit(_value, value, pure=False, workers=where)
        return self.refs.get(name)

    def submit(self, task: Callable[Concatenate[S, P], R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        anywhere = self.bundle is not None and task in _portable
        if not anywhere and not self.readers:
            return super().submit(task, *args, **kwargs)
        where = None if anywhere else self.readers
        bundle = self._ref("bundle", self.bundle, None) if anywhere else None
        remote = self.client.submit(_given, task, self._ref("shared", self.shared, where), bundle, args, kwargs,
                                    pure=False, workers=where)
        done: Future[R] = Future()

        def hand_over(finished: Any) -> None:
            try:
                done.set_result(finished.result())
            except BaseException as exc:  # raised by result(), as a process pool's future would
                done.set_exception(exc)
            finally:
                self.running.discard(finished)

        self.running.add(remote)
        remote.add_done_callback(hand_over)
        return done

    def settle(self) -> None:
        """Cancels the tasks still under way (a failed book's) and waits for their futures to be
        handed over: a hand-over that ran after the client closed would wait for it forever."""
        if self.running:
            self.client.cancel(list(self.running))
        deadline = time.monotonic() + SETTLE_SECONDS
        while self.running and time.monotonic() < deadline:
            time.sleep(0.01)


def portable(task: Callable[P, R]) -> Callable[P, R]:
    """Marks ``task`` as one that reads the book only through the paths in its inputs and hands
    back its results (it writes no file): a worker without the book runs it on a copy."""
    _portable.add(task)
    return task


def _value(shared: S) -> S:
    return shared


def _given(task: Callable[..., R], shared: object, bundle: Bundle | None, args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> R:
    with gc_paused():
        if bundle is not None:
            from distributed import get_worker

            from octavo.mirror import run_from

            where = get_worker().address
            if where not in bundle.readers:
                return run_from(bundle, where, lambda shared, args, kwargs: task(shared, *args, **kwargs),
                                shared, args, kwargs)
        return task(shared, *args, **kwargs)


@contextmanager
def distributed(client: Client) -> Iterator[None]:
    """Every pool made while this holds sends its tasks to ``client``'s cluster."""
    global _client
    _client = client
    try:
        yield
    finally:
        _client = None


@contextmanager
def sees(workers: list[str], bundle: Bundle | None = None) -> Iterator[None]:
    """This thread's tasks go only to ``workers`` (the ones that read its book's files), or, with
    the ``bundle`` of the book's files, portable ones to any worker; with neither: they run in
    this process."""
    _where.workers, _where.bundle = workers, bundle
    try:
        yield
    finally:
        del _where.workers, _where.bundle


def _allowed() -> tuple[list[str], Bundle | None] | None:
    """The readers of this thread's book and the others' bundle, or None when its tasks run on this
    machine."""
    if _client is None:
        return None
    readers: list[str] = getattr(_where, "workers", None) or []
    bundle: Bundle | None = getattr(_where, "bundle", None)
    return (readers, bundle) if readers or bundle is not None else None


def spreading(jobs: int, tasks: int, size: int) -> bool:
    """Whether work of ``tasks`` tasks and ``size`` bytes is worth sending to other processes: on
    a cluster whenever there are two tasks, on this machine only for work of some size."""
    if tasks < 2:
        return False
    return (_client is not None and _allowed() is not None) or (jobs > 1 and size >= PARALLEL_MIN_BYTES)


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def workers(jobs: int, shared: S, start: Start = "fork") -> Iterator[Pool[S]]:
    """A pool of ``jobs`` processes that share ``shared`` as it is now, or none when ``jobs`` < 2.

    Forked workers are made when the first task is submitted, so ``shared`` must be complete
    (and no other thread of this process busy) by then. On a cluster (:func:`distributed`), the
    cluster's workers take the tasks whatever ``jobs`` says.
    """
    if _client is not None:  # a thread of the cluster's client: never fork it
        allowed = _allowed()
        if allowed is None:
            yield Pool(shared)
            return
        pool = ClusterPool(shared, _client, *allowed)
        try:
            yield pool
        finally:
            pool.settle()
        return
    if jobs < 2 or (start == "fork" and not can_fork()):
        yield Pool(shared)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(start),
                             initializer=_adopt, initargs=(shared,)) as executor:
        yield Pool(shared, executor)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Making a book's pages makes no reference cycles (none in rendering the 116 chapters of
    Pepys's diary), so the cyclic garbage collector only costs a task time, more in a worker
    process, whose collections also walk all it inherited. It is paused, not turned off: whatever
    a task might leave behind is collected once it resumes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

"""Ctrl-C, ``kill`` and a closed terminal stop a build the same way: by unwinding it.

Python turns SIGINT into :class:`KeyboardInterrupt`, so ``finally`` blocks run and temporary
files are removed; SIGTERM and SIGHUP would end the process on the spot. :func:`unwinding` makes
them raise :class:`Interrupted` (a ``KeyboardInterrupt``) too. :func:`deferred` holds a signal back
while a few steps that must not be cut in two run (moving outputs into place, removing a staging
folder), then delivers it. Both only act in the main thread, the only one Python signals reach.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
Handler = Callable[[int, FrameType | None], Any] | int | None  # what signal.getsignal() returns


class Interrupted(KeyboardInterrupt):
    """A stop asked for by ``signum``; ``published`` when it came after the outputs were in place."""

    def __init__(self, signum: int = signal.SIGINT, published: bool = False) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.published = published


def signum_of(stop: KeyboardInterrupt) -> int:
    return stop.signum if isinstance(stop, Interrupted) else signal.SIGINT


def _raise(signum: int, frame: FrameType | None) -> None:
    """Unwind, and stop the worker processes as Ctrl-C in a terminal would: it reaches them too,
    a ``kill`` only this process, whose pools would otherwise wait for the tasks they are running."""
    for child in multiprocessing.active_children():
        if child.pid:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGINT)
    raise Interrupted(signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def unwinding(*signums: int) -> Iterator[None]:
    """SIGTERM and SIGHUP (or ``signums``) raise :class:`Interrupted` in this block, as Ctrl-C
    raises ``KeyboardInterrupt``; a signal the process ignores (``nohup``) stays ignored."""
    previous: dict[int, Handler] = {}
    if _main_thread():
        for signum in signums or (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _raise)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass
class Pending:
    """The first stopping signal that arrived while it was deferred, if any."""

    signum: int | None = None


@contextmanager
def deferred() -> Iterator[Pending]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back until the block ends, then act on the first one as
    its handler would have (``pending.signum`` tells the block one came, so it can undo its work)."""
    pending = Pending()
    if not _main_thread():
        yield pending
        return
    previous: dict[int, Handler] = {}

    def note(signum: int, frame: FrameType | None) -> None:
        pending.signum = pending.signum or signum

    for signum in STOPPING:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):  # None: set outside Python, left alone
            previous[signum] = signal.signal(signum, note)
    try:
        yield pending
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if pending.signum is not None and pending.signum in previous:
            _deliver(pending.signum, previous[pending.signum])


def _deliver(signum: int, handler: Handler) -> None:
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action, now that nothing is half done

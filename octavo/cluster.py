"""A Dask cluster for a catalogue's work: ``--scheduler ADDRESS`` or ``--cluster local``.

Dask is an optional extra (``pip install 'octavo[dask]'``), imported here only, and only when a
cluster is asked for. While :func:`connect` holds, :mod:`octavo.pool` sends every pool's tasks
to the cluster. A worker that reads the same book folder (a shared filesystem: :func:`readers`)
takes any of the book's tasks; the others, only its chapters' rendering and PDF layouts, with the
book's files sent along (:mod:`octavo.mirror`), so no worker ever works from half a book. The
web edition's pages, written into the output folder, are made by the readers, or here.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from octavo.mirror import Bundle, book_files, pack
from octavo.pool import distributed

if TYPE_CHECKING:
    from distributed import Client

CONNECT_SECONDS = 10  # to reach a scheduler before the run gives up, before anything is written


class ClusterError(Exception):
    """The cluster cannot be used; nothing was built."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Cluster:
    client: Client
    dashboard: str | None  # the scheduler's dashboard, when it has one
    workers: int


@contextmanager
def connect(scheduler: str | None, local_workers: int | None = None) -> Iterator[Cluster]:
    """A client of the scheduler at ``scheduler``, or of a :class:`LocalCluster` started for the
    run (``local_workers`` processes of one thread, the machine's cores by default); closed on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("Dask is not installed", "install it with: pip install 'octavo[dask]'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                               "check the address (tcp://HOST:PORT, default port 8786) and that "
                               "`dask scheduler` runs there") from None
        local = None
    else:
        local = LocalCluster(n_workers=local_workers or os.cpu_count() or 1, threads_per_worker=1,
                             processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(local, set_as_default=False)
    try:
        with distributed(client):
            yield Cluster(client, _dashboard(client), len(client.scheduler_info().get("workers", {})))
    finally:
        client.close()
        if local is not None:
            local.close()


def _dashboard(client: Client) -> str | None:
    """The dashboard's address, when the scheduler serves one (it needs bokeh, and can be turned off)."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return None
    return str(client.dashboard_link)


def readers(client: Client, root: Path, output: Path) -> list[str]:
    """The workers that read the book at ``root`` as this process does (the same files, with the
    same bytes, under the same path) and see where its outputs go; none when this process cannot
    read the book itself."""
    mine = tree_digest(str(root.resolve()), str(output.resolve()))
    seen = client.run(tree_digest, str(root.resolve()), str(output.resolve()))
    return sorted(worker for worker, theirs in seen.items() if mine is not None and theirs == mine)


def placement(client: Client, root: Path, output: Path, allow_remote: bool) -> tuple[list[str], Bundle | None]:
    """The workers that read the book, and, when some do not, the bundle of its files they get
    with its tasks (none for a book with downloaded images, kept in its output folder: only its
    readers, or this machine, build it)."""
    seeing = readers(client, root, output)
    everyone = set(client.scheduler_info().get("workers", {}))
    if everyone <= set(seeing) or allow_remote:
        return seeing, None
    try:
        return seeing, pack(root, output, frozenset(seeing))
    except OSError:  # a file this process cannot read: the build says which, none is sent
        return seeing, None


def tree_digest(root: str, output: str) -> str | None:
    """The names and contents of the book's files (not its outputs'), and the output folder's
    nearest existing ancestor, or None when this machine has no such book or cannot read it. Run
    on each worker: one that sees a stale copy (an edit not yet synced, even of the same size) is
    no reader, nor is one that does not see where the outputs go."""
    base = Path(root)
    out = Path(output)
    if not base.is_dir():
        return None
    reached = next(folder for folder in (out, *out.parents) if folder.is_dir())
    listing = hashlib.sha256(f"{reached}\0".encode())
    try:
        for path in book_files(base, out):
            listing.update(f"{path.relative_to(base.resolve()).as_posix()}\0".encode())
            listing.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return listing.hexdigest()

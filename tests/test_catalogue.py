"""`octavo build-all`: many books in one run, on this machine and on a real Dask cluster.

The cluster is real: `dask scheduler` and two `dask worker` processes on 127.0.0.1, as a publisher
would start them; the catalogue is built through them and compared byte for byte with the local
build; a worker is killed while it holds tasks; a worker that cannot see a book gets its files with
the tasks, or fails the book whole.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT, copy_book

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def generated_book(folder: Path, chapters: int, title: str) -> Path:
    """A book of ``chapters`` chapters of prose, lists and highlighted code, written here."""
    folder.mkdir(parents=True)
    (folder / "book.toml").write_text(f'[book]\ntitle = "{title}"\nauthors = ["Test Press"]\n'
                                      f'identifier = "urn:uuid:00000000-0000-4000-8000-{len(title):012d}"\n',
                                      encoding="utf-8")
    for number in range(1, chapters + 1):
        paragraphs = "\n\n".join(f"Paragraph {p} of chapter {number} tells of ledgers, inks and the "
                                 f"patience of printers, in words made for a test." for p in range(1, 30))
        code = f"```python\ndef chapter_{number}(pages: int) -> int:\n    return pages * {number}\n```"
        (folder / f"{number:03d}-part.md").write_text(f"# Chapter {number}\n\n{paragraphs}\n\n{code}\n\n"
                                                       "- a list item\n- another\n", encoding="utf-8")
    return folder


def octavo(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 900
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def catalogue(path: Path, books: dict[str, str]) -> Path:
    """A catalogue.toml listing ``books`` (folder -> output folder, relative to the catalogue)."""
    path.write_text("".join(f'[[book]]\npath = "{book}"\noutput = "{out}"\n\n' for book, out in books.items()),
                    encoding="utf-8")
    return path


def files(folder: Path) -> dict[str, bytes]:
    """Every output file by path, without the cache and the owner record (which names the folder)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".built-by-octavo"}


# -- on this machine -------------------------------------------------------------------------------


def test_a_failing_book_stops_no_other_and_keeps_its_outputs(tmp_path: Path) -> None:
    good = generated_book(tmp_path / "good", 3, "Good Book")
    other = generated_book(tmp_path / "other", 2, "Other Book")
    broken = generated_book(tmp_path / "broken", 2, "Broken Book")
    first = octavo("build-all", good, other, broken, "-f", "epub")
    assert first.returncode == 0, first.stderr
    before = files(broken / "dist")
    (broken / "002-part.md").write_text("# Two\n\n![a missing picture](nowhere.png)\n", encoding="utf-8")
    (good / "001-part.md").write_text("# One, revised\n\nNew words.\n", encoding="utf-8")

    run = octavo("build-all", good, other, broken, "-f", "epub")

    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert any(line.startswith("built") and "Good Book" in line for line in lines), run.stderr
    assert any(line.startswith("unchanged") and "Other Book" in line for line in lines), run.stderr
    assert any(line.startswith("failed") and "broken" in line for line in lines), run.stderr
    assert "002-part.md:3" in run.stderr and "nowhere.png" in run.stderr
    assert "3 books: 1 built, 1 unchanged, 1 failed" in run.stderr
    assert files(broken / "dist") == before  # the failed book's previous outputs, as they were


def test_catalogue_file_lists_books_and_their_outputs(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        generated_book(tmp_path / "books" / name, 2, name.title())
    listing = tmp_path / "catalogue.toml"
    listing.write_text('[[book]]\npath = "books/*"\noutput = "out"\n', encoding="utf-8")

    run = octavo("build-all", listing, "-f", "epub")

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "alpha" / "alpha.epub").is_file()
    assert (tmp_path / "out" / "beta" / "beta.epub").is_file()
    assert "2 books: 2 built, 0 unchanged, 0 failed" in run.stderr


def test_a_catalogue_without_books_is_an_error_at_its_file(tmp_path: Path) -> None:
    listing = tmp_path / "catalogue.toml"
    listing.write_text('[[book]]\noutput = "out"\n', encoding="utf-8")

    run = octavo("build-all", listing)

    assert run.returncode == 1
    assert f"{listing}: error: book 1 of the catalogue has no path" in run.stderr
    assert "Traceback" not in run.stderr


def test_second_run_after_one_edit_renders_only_that_chapter(tmp_path: Path) -> None:
    book = generated_book(tmp_path / "long", 12, "Long Book")
    other = generated_book(tmp_path / "short", 2, "Short Book")
    assert octavo("build-all", book, other, "-f", "epub", "-f", "web").returncode == 0
    cache = book / "dist" / ".cache" / "render"
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    (book / "005-part.md").write_text((book / "005-part.md").read_text(encoding="utf-8") + "\nOne more line.\n",
                                      encoding="utf-8")

    run = octavo("build-all", book, other, "-f", "epub", "-f", "web")

    assert run.returncode == 0, run.stderr
    after = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert before.items() <= after.items()  # no entry rewritten
    assert len(after) == len(before) + 1  # one new: the edited chapter's
    assert "1 built, 1 unchanged" in run.stderr
    assert "One more line." in (book / "dist" / "site" / "005-part.html").read_text(encoding="utf-8")


# -- on a Dask cluster -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def dask_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dask") if shutil.which("dask") is None else "dask", *args]


class DaskCluster:
    """A scheduler and workers as separate processes, as `dask scheduler` / `dask worker` start them."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.folder = folder
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard")

    def start(self, name: str, *args: str, prefix: tuple[str, ...] = ()) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.processes[name] = subprocess.Popen([*prefix, *dask_command(*args)], stdout=log, stderr=log, env=env,
                                                start_new_session=True)

    def worker(self, name: str, *more: str, prefix: tuple[str, ...] = ()) -> None:
        self.start(name, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
                   "--no-dashboard", "--host", "127.0.0.1", *more, prefix=prefix)

    def client(self):  # type: ignore[no-untyped-def]
        from distributed import Client

        return Client(self.address, timeout=60)

    def wait_for(self, workers: int) -> None:
        with self.client() as client:
            client.wait_for_workers(workers, timeout=120)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[DaskCluster]:
    running = DaskCluster(tmp_path)
    try:
        running.worker("w1")
        running.worker("w2")
        running.wait_for(2)
        yield running
    finally:
        running.stop()


def three_books(tmp_path: Path) -> list[Path]:
    return [copy_book(ROOT / "book", tmp_path / "sample"), first_stories(tmp_path / "sherlock", 1),
            generated_book(tmp_path / "generated", 12, "Generated Book")]


def first_stories(target: Path, count: int) -> Path:
    """Sherlock with its first ``count`` stories: a real book with a cover, at a fraction of the
    layout time of all twelve (the test lays each PDF out twice, locally and on the cluster)."""
    book = copy_book(CORPUS / "sherlock", target)
    stories = sorted(book.glob("0*.md"))
    for story in stories[count:]:
        story.unlink()
    toml = (book / "book.toml").read_text(encoding="utf-8")
    kept = "".join(f'  "{story.name}",\n' for story in stories[:count])
    start, end = toml.index("chapters = [\n") + len("chapters = [\n"), toml.index("]", toml.index("chapters = ["))
    (book / "book.toml").write_text(toml[:start] + kept + toml[end:], encoding="utf-8")
    return book


def test_dask_build_gives_the_local_bytes(tmp_path: Path, cluster: DaskCluster) -> None:
    books = three_books(tmp_path)
    local = catalogue(tmp_path / "local.toml", {b.name: f"local/{b.name}" for b in books})
    remote = catalogue(tmp_path / "remote.toml", {b.name: f"dask/{b.name}" for b in books})

    here = octavo("build-all", local, "-f", "epub", "-f", "web", "-f", "pdf", env=EPOCH)
    there = octavo("build-all", remote, "--scheduler", cluster.address, "-f", "epub", "-f", "web", "-f", "pdf",
                   env=EPOCH)

    assert here.returncode == 0, here.stderr
    assert there.returncode == 0, there.stderr
    for book in books:
        made = files(tmp_path / "dask" / book.name)
        assert made == files(tmp_path / "local" / book.name), book.name
        assert any(name.endswith(".pdf") for name in made) and any(name.endswith(".epub") for name in made)
    ran = task_counts(cluster)
    assert all(ran.get(worker, 0) > 0 for worker in ("w1", "w2")), ran  # both workers took tasks


def task_counts(cluster: DaskCluster) -> dict[str, int]:
    """How many tasks each worker, by name, has run."""
    with cluster.client() as client:
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
        # a lambda travels by value: the workers cannot import this test module
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
        return {names[address]: count for address, count in ran.items()}


def test_a_killed_worker_costs_a_retry_not_the_run(tmp_path: Path, cluster: DaskCluster) -> None:
    book = generated_book(tmp_path / "generated", 120, "Generated Book")
    here = octavo("build-all", catalogue(tmp_path / "local.toml", {"generated": "local"}), "-f", "web",
                  "-f", "epub", env=EPOCH)
    assert here.returncode == 0, here.stderr
    run = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build-all",
                            str(catalogue(tmp_path / "remote.toml", {"generated": "dask"})),
                            "--scheduler", cluster.address, "-f", "web", "-f", "epub"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT), **EPOCH})
    killed = None
    with cluster.client() as client:
        pids = client.run(os.getpid)
        names = {info["name"]: address for address, info in client.scheduler_info()["workers"].items()}
        deadline = time.monotonic() + 300
        while killed is None and time.monotonic() < deadline and run.poll() is None:
            busy = [address for address, keys in client.processing().items()
                    if any(str(key).startswith("_given-") for key in keys)]  # an octavo task, not its data
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed = busy[0]
            time.sleep(0.02)
    _, err = run.communicate(timeout=600)

    assert killed is not None, "no worker ever held a task"
    assert run.returncode == 0, err
    assert files(tmp_path / "dask") == files(tmp_path / "local")
    assert killed in names.values()
    assert book.is_dir()


def test_an_unreachable_scheduler_is_named_before_anything_is_written(tmp_path: Path) -> None:
    book = generated_book(tmp_path / "book", 2, "Some Book")
    address = f"tcp://127.0.0.1:{free_port()}"

    run = octavo("build-all", book, "--scheduler", address)

    assert run.returncode == 2
    assert f"cannot reach the Dask scheduler at {address}" in run.stderr
    assert "hint:" in run.stderr and "Traceback" not in run.stderr
    assert not (book / "dist").exists()


def blind_worker(running: DaskCluster, name: str, hidden: Path, tmp: Path | None = None) -> None:
    """A worker in its own mount namespace, with an empty file system over ``hidden`` (it cannot see
    the books: no shared file system); ``tmp``, a small file system of its own, is its TMPDIR."""
    small = f' && mount -t tmpfs -o size=16k none "{tmp}" && export TMPDIR="{tmp}"' if tmp else ""
    scratch = running.folder / f"{name}-scratch"
    running.worker(name, "--local-directory", str(scratch), prefix=(
        "unshare", "--mount", "--propagation", "private", "sh", "-c",
        f'mount -t tmpfs none "{hidden}"{small} && exec "$0" "$@"'))


def pictured_book(folder: Path) -> Path:
    """A small generated book with a picture in its first chapter and on its cover: files a
    worker without the book must be sent to render the chapter and lay out the PDF."""
    book = generated_book(folder, 4, "Pictured Book")
    (book / "images").mkdir()
    shutil.copy(ROOT / "book" / "images" / "stakeholder-map.svg", book / "images" / "map.svg")
    shutil.copy(ROOT / "book" / "images" / "cover.svg", book / "images" / "cover.svg")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write('cover = "images/cover.svg"\n')
    chapter = book / "001-part.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![A map of stakeholders](images/map.svg)\n",
                       encoding="utf-8")
    return book


def test_a_worker_that_cannot_see_the_book_gets_its_files_with_the_tasks(tmp_path: Path) -> None:
    """The book's folder is hidden from one of two workers: it renders chapters and lays out PDF
    units from the files sent to it (the other, which sees the book, reads it where it is and
    makes the web pages), and every output is the local build's, byte for byte."""
    hidden = tmp_path / "books"
    pictured_book(hidden / "pictured")
    here = octavo("build-all", catalogue(tmp_path / "local.toml", {"books/pictured": "local"}), "-f", "web",
                  "-f", "epub", "-f", "pdf", env=EPOCH)
    assert here.returncode == 0, here.stderr
    running = DaskCluster(tmp_path)
    try:
        blind_worker(running, "blind", hidden)
        running.worker("sees")
        running.wait_for(2)
        with running.client() as client:
            sight = client.run(os.path.isdir, str(hidden / "pictured"))
        assert sorted(sight.values()) == [False, True]  # the namespace really hides the book
        there = octavo("build-all", catalogue(tmp_path / "remote.toml", {"books/pictured": "dask"}),
                       "--scheduler", running.address, "-f", "web", "-f", "epub", "-f", "pdf", env=EPOCH)
        ran = task_counts(running)
    finally:
        running.stop()

    assert there.returncode == 0, there.stderr
    made = files(tmp_path / "dask")
    assert made == files(tmp_path / "local")
    assert {"pictured-book.epub", "pictured-book.pdf", "site/001-part.html", "site/images/map.svg"} <= made.keys()
    assert ran.get("blind", 0) > 0, ran  # chapters and PDF units were made from the copy
    assert ran.get("sees", 0) > 0, ran  # and at least the web pages where the book is


def test_a_worker_that_cannot_get_the_files_fails_the_book_whole(tmp_path: Path) -> None:
    """The worker cannot see the book, and its temporary folder is too small for the copy: the book
    fails with a diagnostic naming the cause, and its previous outputs stay as they were."""
    hidden = tmp_path / "books"
    book = generated_book(hidden / "generated", 20, "Generated Book")
    listing = catalogue(tmp_path / "remote.toml", {"books/generated": "dask"})
    first = octavo("build-all", listing, "-f", "web", "-f", "epub")
    assert first.returncode == 0, first.stderr
    before = files(tmp_path / "dask")
    (book / "002-part.md").write_text("# Two, revised\n\nNew words.\n", encoding="utf-8")
    (tmp_path / "small").mkdir()
    running = DaskCluster(tmp_path)
    try:
        blind_worker(running, "blind", hidden, tmp=tmp_path / "small")
        running.wait_for(1)
        run = octavo("build-all", listing, "--scheduler", running.address, "-f", "web", "-f", "epub", "--no-cache")
    finally:
        running.stop()

    assert run.returncode == 1
    assert "1 books: 0 built, 0 unchanged, 1 failed" in run.stderr
    assert f"{book}: error: the Dask worker tcp://127.0.0.1:" in run.stderr
    assert "cannot see the book's folder and could not write the copy sent to it" in run.stderr
    assert "No space left on device" in run.stderr and "[cluster.files]" in run.stderr
    assert "Traceback" not in run.stderr
    assert files(tmp_path / "dask") == before

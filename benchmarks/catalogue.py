#!/usr/bin/env python3
"""A publisher's catalogue: 40 books built with ``octavo build-all`` three ways, in one run.

    python benchmarks/catalogue.py [--books 40] [--formats epub,web] [--workers 2]

The catalogue is the corpus books of tests/corpus (Sherlock, Pepys, the mdBook guide), the sample
book, and generated books of 10 to 60 chapters up to ``--books``. Each way starts cold (no
outputs, no cache): serially (``--jobs 1``), with the local process pool (the default), and on
a Dask ``LocalCluster`` of ``--workers`` workers (``--cluster local``). It prints the wall time
and books per minute of each, and the scheduler's overhead per task: the time per task of 2,000
tasks that do nothing, sent through octavo's cluster pool. Not a test: the numbers vary by machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from mdbook import project_copy  # noqa: E402

CORPUS = ("sherlock", "pepys")  # and the mdBook guide, in its repository


def generated(folder: Path, chapters: int, number: int) -> None:
    folder.mkdir(parents=True)
    (folder / "book.toml").write_text(f'[book]\ntitle = "Generated Book {number}"\nauthors = ["Bench Press"]\n',
                                      encoding="utf-8")
    for n in range(1, chapters + 1):
        prose = "\n\n".join(f"Paragraph {p} of chapter {n}: the ledger, the ink, the patience of the press."
                            for p in range(40))
        code = f"```python\ndef page_{n}(count: int) -> int:\n    return count * {n}\n```"
        (folder / f"{n:03d}.md").write_text(f"# Chapter {n}\n\n{prose}\n\n{code}\n", encoding="utf-8")


def make_catalogue(folder: Path, books: int) -> Path:
    names = [*CORPUS, "sample", "mdbook-guide"]
    for name in CORPUS:
        shutil.copytree(ROOT / "tests" / "corpus" / name, folder / "books" / name)
    shutil.copytree(ROOT / "book", folder / "books" / "sample")
    project_copy(folder / "mdbook-repo")
    for number in range(books - len(names)):
        generated(folder / "books" / f"gen{number:02d}", 10 + (number * 7) % 51, number)
    listing = folder / "catalogue.toml"
    listing.write_text('[[book]]\npath = "books/*"\noutput = "out"\n\n'
                       '[[book]]\npath = "mdbook-repo/guide"\noutput = "out/mdbook-guide"\n', encoding="utf-8")
    return listing


def timed(listing: Path, formats: list[str], *flags: str) -> float:
    shutil.rmtree(listing.parent / "out", ignore_errors=True)
    args = [sys.executable, str(ROOT / "build.py"), "build-all", str(listing), *flags]
    for name in formats:
        args += ["-f", name]
    start = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    took = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"build-all {' '.join(flags)} failed:\n{run.stderr[-3000:]}")
    return took


def _nothing(_: None, n: int) -> int:
    return n


def overhead(workers: int, tasks: int = 2000) -> float:
    """Seconds per task of tasks that do nothing, through octavo's pool on a LocalCluster."""
    from octavo.cluster import connect
    from octavo.pool import sees
    from octavo.pool import workers as pool_of

    with connect(None, workers) as cluster:
        everyone = sorted(cluster.client.scheduler_info()["workers"])
        with sees(everyone), pool_of(1, None) as pool:
            [f.result() for f in [pool.submit(_nothing, n) for n in range(50)]]  # warm the workers up
            start = time.perf_counter()
            [f.result() for f in [pool.submit(_nothing, n) for n in range(tasks)]]
            return (time.perf_counter() - start) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=40)
    parser.add_argument("--formats", default="epub,web")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as temp:
        listing = make_catalogue(Path(temp), args.books)
        ways = {"serial (--jobs 1)": ["--jobs", "1"], "local pool": [],
                f"LocalCluster, {args.workers} workers": ["--cluster", "local", "--workers", str(args.workers)]}
        print(f"{args.books} books, {'+'.join(formats)}, cold, {os.cpu_count()} cores")
        for name, flags in ways.items():
            took = timed(listing, formats, *flags)
            print(f"  {name:28} {took:7.1f} s  {args.books / took * 60:6.1f} books/min")
    print(f"scheduler overhead: {overhead(args.workers) * 1000:.2f} ms per task (2,000 empty tasks)")


if __name__ == "__main__":
    main()

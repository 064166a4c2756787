#!/usr/bin/env python3
"""Benchmarks: octavo against pandoc on the same chapters, in the same run, alternating.

    python benchmarks/bench.py tests/corpus/pepys --runs 3
    python benchmarks/bench.py tests/corpus/pepys --formats pdf --jobs 1 --jobs 2
    python benchmarks/bench.py tests/corpus/pepys --incremental --scaling

Prints, per output, the median wall time and peak memory (RSS summed over the process tree,
sampled every 10 ms) of each tool and the ratio octavo/pandoc. Not a test: numbers vary by
machine; the ratios are what the README reports.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from octavo.load import load_book  # noqa: E402

PANDOC_FORMATS = {"epub": ["--toc", "-o", "out.epub"], "web": ["-s", "--toc", "-o", "out.html"],
                  "pdf": ["--toc", "--pdf-engine=weasyprint", "-o", "out.pdf"]}


@dataclass
class Sample:
    seconds: float
    peak_mb: float


def tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def measure(command: list[str], cwd: Path) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err.decode()[-2000:]}")
    return Sample(elapsed, peak / 1024)


def pandoc_path() -> str:
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def chapter_files(book: Path) -> list[str]:
    loaded, _ = load_book(book)
    return [c.source for c in loaded.chapters()]


def octavo_command(book: Path, fmt: str, out: Path, jobs: int | None, cache: bool = False) -> list[str]:
    command = [sys.executable, str(ROOT / "build.py"), "build", str(book), "-f", fmt, "-o", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    return command if cache else [*command, "--no-cache"]


def compare(book: Path, fmt: str, runs: int, jobs: list[int | None]) -> None:
    """Each run: pandoc once, then octavo at each ``--jobs`` value, so every octavo figure is set
    against pandoc measured in the same run on the same machine state."""
    files = chapter_files(book)
    ours: dict[int | None, list[Sample]] = {j: [] for j in jobs}
    theirs: list[Sample] = []
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp)
        for _ in range(runs):
            target = str(out / PANDOC_FORMATS[fmt][-1])
            theirs.append(measure([pandoc_path(), *files, *PANDOC_FORMATS[fmt][:-1], target], book))
            for j in jobs:
                ours[j].append(measure(octavo_command(book, fmt, out / "octavo", j), book))
    for j in jobs:
        report(f"{book.name} {fmt}" + (f" jobs={j}" if j else ""), ours[j], theirs)


def report(label: str, ours: list[Sample], theirs: list[Sample]) -> None:
    t_ours = statistics.median(s.seconds for s in ours)
    t_theirs = statistics.median(s.seconds for s in theirs)
    m_ours = statistics.median(s.peak_mb for s in ours)
    m_theirs = statistics.median(s.peak_mb for s in theirs)
    print(f"| {label} | {t_ours:.2f} s | {t_theirs:.2f} s | {t_ours / t_theirs:.3f} | "
          f"{m_ours:.0f} MB | {m_theirs:.0f} MB | {m_ours / m_theirs:.3f} |", flush=True)


def incremental(book: Path) -> None:
    """Cold EPUB + web build, then one chapter edited and rebuilt from the cache: by the command
    (a new process, the cache on disk) and as ``octavo serve -f epub`` does on a save (in the
    running process, the cache's entries in memory)."""
    with tempfile.TemporaryDirectory() as temp:
        copy = Path(temp) / book.name
        shutil.copytree(book, copy)
        out = Path(temp) / "out"
        command = [sys.executable, str(ROOT / "build.py"), "build", str(copy), "-f", "epub", "-f", "web",
                   "-o", str(out)]
        cold = measure(command, copy)
        edit_one_chapter(copy)
        warm = measure(command, copy)
        served = serve_rebuild(copy, Path(temp) / "served")
    print(f"| {book.name} epub+web after editing one chapter | cold {cold.seconds:.2f} s | "
          f"command {warm.seconds:.2f} s ({warm.seconds / cold.seconds:.3f} of cold) | "
          f"serve {served:.2f} s ({served / cold.seconds:.3f} of cold) |", flush=True)


def edit_one_chapter(book: Path) -> None:
    chapter = book / chapter_files(book)[len(chapter_files(book)) // 2]
    chapter.chmod(0o644)
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n", encoding="utf-8")


def serve_rebuild(book: Path, out: Path) -> float:
    """Seconds of the rebuild ``octavo serve -f epub`` makes when a chapter is saved."""
    from octavo.serve import make_server

    preview = make_server(book, port=0, formats=["epub", "web"], out=out)
    try:
        preview.rebuild(parallel=True)  # the first build of a preview, as ``serve`` starts
        edit_one_chapter(book)
        started = time.perf_counter()
        preview.rebuild()
        return time.perf_counter() - started
    finally:
        preview.stop()


def scaling(book: Path, fmt: str, counts: list[int]) -> None:
    """Peak memory as the book grows: the first N chapters of the outline."""
    files = chapter_files(book)
    for count in [*counts, len(files)]:
        with tempfile.TemporaryDirectory() as temp:
            copy = Path(temp) / "book"
            copy.mkdir()
            for name in files[:count]:
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(book / name, copy / name)
            if (book / "images").is_dir():
                shutil.copytree(book / "images", copy / "images", dirs_exist_ok=True)
            chapters = ", ".join(f'"{n}"' for n in files[:count])
            (copy / "book.toml").write_text(f'[book]\ntitle = "{book.name}"\nchapters = [{chapters}]\n')
            sample = measure(octavo_command(copy, fmt, Path(temp) / "out", None), copy)
            print(f"| {book.name} {fmt}, first {count} chapters | {sample.seconds:.2f} s | {sample.peak_mb:.0f} MB |",
                  flush=True)


def pdf_breakdown(book: Path, jobs: int) -> None:
    """Where the PDF's CPU time goes in its workers, from each unit's own clocks
    (``LayoutResult.seconds``: the first layout, any footnote rounds, the write); a cold build,
    in this process, so the results can be read as they come back from the workers."""
    from concurrent.futures import Future

    from octavo.options import resolve
    from octavo.pipeline import build
    from octavo.writers.pdf.cache import CachedPool
    from octavo.writers.pdf.jobs import LayoutResult

    results: list[LayoutResult] = []
    submit = CachedPool.submit

    def kept(pool: CachedPool, fn: Any, arg: Any, /) -> Future[Any]:
        future = submit(pool, fn, arg)
        if fn.__name__ == "layout_chapter":  # not the folio documents
            future.add_done_callback(lambda done: results.append(done.result()))
        return future

    CachedPool.submit = kept  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as temp:
            started = time.perf_counter()
            build(book, resolve(book, output=Path(temp), formats=["pdf"], jobs=jobs, use_cache=False))
            wall = time.perf_counter() - started
    finally:
        CachedPool.submit = submit  # type: ignore[method-assign]
    again = [r for r in results if len(r.seconds) > 2]
    first = sum(r.seconds[0] for r in results)
    rounds = sum(sum(r.seconds[1:-1]) for r in results)
    write = sum(r.seconds[-1] for r in results)
    print(f"| {book.name} pdf jobs={jobs}, worker CPU | wall {wall:.1f} s | {len(results)} layouts of units | "
          f"first layouts {first:.1f} s | footnote rounds {rounds:.1f} s ({len(again)} units) | "
          f"writes {write:.1f} s |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("book", type=Path)
    parser.add_argument("--formats", default="epub,web,pdf")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, action="append", help="compare at these --jobs values")
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--pdf-breakdown", action="store_true", help="CPU time of the PDF's steps, in its workers")
    args = parser.parse_args()
    book = args.book.resolve()
    # octavo as pip installs it, with its bytecode compiled: an editable install under
    # PYTHONDONTWRITEBYTECODE (as on the development machine) would compile every module on every run.
    compileall.compile_dir(ROOT / "octavo", quiet=1)
    print("| book, output | octavo | pandoc | time ratio | octavo peak | pandoc peak | memory ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    formats = [f for f in args.formats.split(",") if f]  # --formats "" for only --incremental
    for fmt in formats if args.runs > 0 else []:  # --runs 0: only the extras (--scaling) for these formats
        compare(book, fmt, args.runs, args.jobs or [None])
    if args.incremental:
        incremental(book)
    if args.scaling:
        for fmt in formats:
            scaling(book, fmt, [10, 40])
    if args.pdf_breakdown:
        for jobs in args.jobs or [2]:
            pdf_breakdown(book, jobs)


if __name__ == "__main__":
    main()

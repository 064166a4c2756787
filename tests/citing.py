"""A book that cites every work of tests/books/citations/works.bib in every form of citation, and
the same chapters formatted by ``pandoc --citeproc`` (its HTML writer), to compare them.

Used by tests/test_citations.py and benchmarks/cite_engines.py.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

from lxml import etree, html

from octavo.citations.engine import pandoc_path

WORKS = Path(__file__).resolve().parent / "books" / "citations" / "works.bib"
XHTML = "{http://www.w3.org/1999/xhtml}"


def work_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,]+),", WORKS.read_text(encoding="utf-8"), re.M)


def forms(key: str, other: str, n: int) -> list[str]:
    """Item 1's forms: bracketed, with a locator, with a prefix and two works, in the text, the
    year only, in the text with a locator; every fifth with an emphasised prefix and a page range."""
    found = [f"[@{key}]", f"[@{key}, p. 33]", f"[see @{key}, chap. 2; @{other}]", f"@{key}", f"[-@{key}]",
             f"@{key} [p. 12]"]
    if n % 5 == 0:
        found.append(f"[*cf.* @{key}, pp. 3--4]")
    return found


def chapters(keys: list[str]) -> dict[str, str]:
    """Two chapters; the second ends with footnotes that cite, so that notes come last in both
    octavo's book and pandoc's single document."""
    texts: dict[str, list[str]] = {"one.md": ["# One", ""], "two.md": ["# Two", ""]}
    half = len(keys) // 2
    for n, key in enumerate(keys):
        name = "one.md" if n < half else "two.md"
        sentences = [f"Sentence {i} cites {form} here." for i, form in enumerate(forms(key, keys[(n + 7) % len(keys)],
                                                                                         n))]
        texts[name] += [" ".join(sentences), ""]
    notes = keys[::9]
    texts["two.md"] += [" ".join(f"A claim.[^n{i}]" for i in range(len(notes))), ""]
    texts["two.md"] += [f"[^n{i}]: As shown by [@{key}, 4] and @{key}." for i, key in enumerate(notes)]
    return {name: "\n".join(lines) + "\n" for name, lines in texts.items()}


def write_book(folder: Path, style: str, language: str = "en") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "works.bib").write_bytes(WORKS.read_bytes())
    for name, text in chapters(work_keys()).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "book.toml").write_text(
        f'[book]\ntitle = "Works Cited"\nlanguage = "{language}"\nchapters = ["one.md", "two.md"]\n'
        f'bibliography = ["works.bib"]\ncsl = "{style}"\n', encoding="utf-8")
    return folder


def normal(text: str) -> str:
    return " ".join(text.replace("\u2060", "").split())


def pandoc_texts(folder: Path, style_file: Path, language: str = "en") -> tuple[dict[str, list[str]], dict[str, str]]:
    """pandoc's citations (their text, by the keys they cite, in order) and entries (by key)."""
    markdown = "\n\n".join((folder / name).read_text(encoding="utf-8") for name in ("one.md", "two.md"))
    done = subprocess.run([pandoc_path(), "--from=markdown", "--to=html", "--citeproc", f"--csl={style_file}",
                           f"--bibliography={folder / 'works.bib'}", f"--metadata=lang:{language}"],
                          input=markdown.encode(), capture_output=True, check=True)
    root = html.fromstring(f"<div>{done.stdout.decode()}</div>")
    citations: dict[str, list[str]] = defaultdict(list)
    for span in root.xpath("//span[contains(concat(' ', @class, ' '), ' citation ')]"):
        citations[span.get("data-cites")].append(normal(span.text_content()))
    entries = {div.get("id").removeprefix("ref-"): normal(div.text_content())
               for div in root.xpath("//div[contains(concat(' ', @class, ' '), ' csl-entry ')]")}
    return citations, entries


def octavo_texts(pages: list[etree._Element]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The same from octavo's pages (XHTML), in reading order."""
    citations: dict[str, list[str]] = defaultdict(list)
    entries: dict[str, str] = {}
    for page in pages:
        for span in page.iter(f"{XHTML}span"):
            if "citation" in (span.get("class") or "").split():
                citations[span.get("data-cites")].append(normal("".join(span.itertext())))
        for item in page.iter(f"{XHTML}li"):
            if "csl-entry" in (item.get("class") or "").split():
                entries[item.get("id").removeprefix("ref-")] = normal("".join(item.itertext()))
    return citations, entries


def compare(ours: dict[str, list[str]], theirs: dict[str, list[str]]) -> tuple[int, list[tuple[str, str, str]]]:
    """(how many of pandoc's citations octavo gave the same text, the differences)."""
    same = 0
    differences = []
    for keys, texts in theirs.items():
        mine = ours.get(keys, [])
        for n, text in enumerate(texts):
            got = mine[n] if n < len(mine) else "(missing)"
            if got == text:
                same += 1
            else:
                differences.append((keys, got, text))
    return same, differences

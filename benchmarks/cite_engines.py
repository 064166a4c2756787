#!/usr/bin/env python3
"""How close citeproc-py comes to ``pandoc --citeproc``: the measurement that chose the engine.

    pip install citeproc-py && python benchmarks/cite_engines.py

Formats the citations of tests/citing.py's book (85 real works, every form of citation) and the
reference entries with citeproc-py, for Chicago author-date and APA, and compares them, whitespace
normalised, with pandoc's HTML output of the same chapters. citeproc-py is given the works as
CSL-JSON converted by pandoc, since its BibTeX reader stops at ``{\\TeX}``; it has no
author-in-text or year-only mode, so those forms get its normal citation. Not a test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from citing import WORKS, chapters, normal, pandoc_texts, work_keys  # noqa: E402

from octavo.citations.engine import pandoc_path  # noqa: E402
from octavo.citations.sources import STYLES  # noqa: E402
from octavo.citations.syntax import KEY, parse_items  # noqa: E402

LABELS = {"p.": "page", "pp.": "page", "chap.": "chapter", "sec.": "section"}


def citations_in(text: str) -> list[tuple[str, bool]]:
    """Each citation of a chapter as written, and whether it is in the text (``@key``)."""
    found = re.findall(r"\[[^\[\]]*@[^\[\]]*\]|@\w[\w:.#$%&\-+?<>~/]*(?: \[[^\[\]@]*\])?", text)
    return [(source, not source.startswith("[")) for source in found if not source.startswith("[^")]


def run(style: str, folder: Path) -> tuple[int, int, int, int]:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source import Locator
    from citeproc.source.json import CiteProcJSON

    converted = subprocess.run([pandoc_path(), "-f", "bibtex", "-t", "csljson", str(WORKS)], capture_output=True,
                               check=True).stdout
    bibliography = CitationStylesBibliography(CitationStylesStyle(str(STYLES / f"{style}.csl"), validate=False),
                                              CiteProcJSON(json.loads(converted)), formatter.plain)
    registered = []
    for text in chapters(work_keys()).values():
        for source, in_text in citations_in(text):
            if in_text:
                key = KEY.match(source)
                suffix = source[key.end():].strip(" []") if key else ""
                items = parse_items(f"@{(key.group(1) or key.group(2)) if key else ''}, {suffix}" if suffix
                                    else source)
            else:
                items = parse_items(source[1:-1])
            cite_items = []
            for item in items or []:
                extra = {}
                locator = re.match(r",?\s*(p\.|pp\.|chap\.|sec\.)\s*(\S+)", item.suffix)
                if locator:
                    extra["locator"] = Locator(LABELS[locator.group(1)], locator.group(2))
                if item.prefix:
                    extra["prefix"] = item.prefix + " "
                cite_items.append(CitationItem(item.key, **extra))
            citation = Citation(cite_items)
            bibliography.register(citation)
            registered.append((" ".join(i.key for i in items or []), citation))
    ours: dict[str, list[str]] = {}
    for keys, citation in registered:
        ours.setdefault(keys, []).append(normal(str(bibliography.cite(citation, lambda item: None))))
    entries = {item.reference.key: normal(str(text)) for item, text in zip(bibliography.items,
                                                                            bibliography.bibliography(), strict=False)}
    theirs, their_entries = pandoc_texts(folder, STYLES / f"{style}.csl")
    total = sum(len(texts) for texts in theirs.values())
    same = sum(text == (ours.get(keys, [])[n] if n < len(ours.get(keys, [])) else None)
               for keys, texts in theirs.items() for n, text in enumerate(texts))
    entries_same = sum(entries.get(key.lower()) == text for key, text in their_entries.items())
    return same, total, entries_same, len(their_entries)


def main() -> None:
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "works.bib").write_bytes(WORKS.read_bytes())
        for name, text in chapters(work_keys()).items():
            (folder / name).write_text(text, encoding="utf-8")
        for style in ("chicago-author-date", "apa"):
            same, total, entries_same, entries = run(style, folder)
            print(f"citeproc-py, {style}: citations {same}/{total} ({100 * same / total:.1f}%), "
                  f"entries {entries_same}/{entries} ({100 * entries_same / entries:.1f}%)")


if __name__ == "__main__":
    main()

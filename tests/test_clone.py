"""A clone is enough: the tests, the benchmarks and the docs need nothing beside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import CORPUS, ROOT

# A path into a folder next to the clone, as the tests once read their corpus and the README its spec.
OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(?:corpus|spec|tools)\b|\.parent\s*/\s*[\"']shared[\"']")
SCANNED = ["tests", "benchmarks", "docs", "octavo", "README.md", "build.py", "pyproject.toml", ".ci/run"]


def text_files(path: Path) -> list[Path]:
    """The files under ``path`` that are ours (the corpus is third-party text) and not generated."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [f for f in files if CORPUS not in f.parents and "__pycache__" not in f.parts
            and f.suffix not in {".png", ".jpg", ".pyc"}]


def test_nothing_reads_or_points_to_a_folder_beside_the_clone() -> None:
    found = [f"{file.relative_to(ROOT)}:{number}: {line.strip()}"
             for file in (f for name in SCANNED for f in text_files(ROOT / name))
             for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert found == []
    assert ROOT in CORPUS.parents


def test_every_corpus_book_states_its_source_and_licence() -> None:
    readme = " ".join((CORPUS / "README.md").read_text(encoding="utf-8").split())
    books = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    assert books, f"no book in {CORPUS}"
    for book in books:
        assert f"`{book.name}/`" in readme, f"tests/corpus/README.md does not describe {book.name}/"
        licence = book / "LICENSE"
        if licence.is_file():  # the mdBook guide: its own licence text travels with it
            assert licence.read_text(encoding="utf-8").startswith("Mozilla Public License, version 2.0\n")
            assert "Mozilla Public License 2.0" in readme
        else:  # a Standard Ebooks conversion: public domain, its edition named
            assert "public domain" in (book / "SOURCE.txt").read_text(encoding="utf-8")


def test_ci_lints_after_installing_and_before_the_tests() -> None:
    """.ci/run stops at the first failing command, and runs ruff and mypy between the README's two halves."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "set -euo pipefail" in lines
    steps = ["python -m pip install -q -e '.[test]'", "python -m ruff check octavo tests build.py benchmarks",
             "python -m mypy", "python -m pytest -q -n auto"]
    assert [line for line in lines if line in steps] == steps

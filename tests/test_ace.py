"""Ace by DAISY, the accessibility checker stores run: no failure on the sample book, Sherlock,
the mdBook guide, the book of code listings, and the books of every technical and citation
feature (tables with and without headers, math, code, figures, callouts, references). Pepys is
too long for Ace within its time limit on a shared machine: its one kind of finding (empty
table headers) is checked in its EPUB directly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BOOKS, CORPUS, CORPUS_SKIPS, MDBOOK_GUIDE, MDBOOK_REPO, ROOT

from octavo.check import run_ace, source_locator
from octavo.pipeline import assemble

pytestmark = pytest.mark.ace


@pytest.mark.parametrize("book", [ROOT / "book", CORPUS / "sherlock", MDBOOK_GUIDE,
                                  BOOKS / "code", BOOKS / "technical", BOOKS / "citations"], ids=lambda p: p.name)
def test_ace_finds_no_violation(book: Path, build_book: Callable[..., Path]) -> None:
    out = build_book(book)
    epub = next(out.glob("*.epub"))
    copied = book.relative_to(CORPUS) if book.is_relative_to(MDBOOK_REPO) else Path(book.name)  # as copy_project
    assembled, _ = assemble(out.parent / copied, skip_preprocessors=CORPUS_SKIPS.get(book, ()))
    outcome = run_ace(epub, source_locator(assembled, epub))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []

"""EPUBCheck, the field's referee: no error and no warning on the sample book and the corpus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, epubcheck_messages


@pytest.mark.parametrize("book", [ROOT / "book", CORPUS / "sherlock", CORPUS / "pepys", CORPUS / "mdbook-guide"],
                         ids=lambda p: p.name)
def test_epubcheck_reports_nothing(book: Path, build_book: Callable[..., Path]) -> None:
    out = build_book(book)
    epub = next(out.glob("*.epub"))
    assert epubcheck_messages(epub) == []

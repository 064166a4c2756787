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


def test_a_heading_with_inline_svg_declares_svg_wherever_it_appears(tmp_path: Path) -> None:
    """The heading reaches the contents page and the navigation document too: each of them must
    declare the ``svg`` property in the package (EPUBCheck OPF-014; found by tests/test_fuzz.py)."""
    from octavo.pipeline import build

    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text('[book]\ntitle = "Shapes"\nchapters = ["one.md"]\n', encoding="utf-8")
    (book / "one.md").write_text('# A <svg viewBox="0 0 2 2" width="8" height="8"><circle cx="1" cy="1" r="1"/>'
                                 "</svg> circle\n\nText.\n", encoding="utf-8")
    build(book, tmp_path / "out", ["epub"])
    assert epubcheck_messages(tmp_path / "out" / "shapes.epub") == []

"""The render cache speeds rebuilds and never serves stale output."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_book

from octavo.diagnostics import BookError
from octavo.pipeline import build


def chapter_xhtml(out: Path, name: str) -> str:
    with zipfile.ZipFile(out / "inner-leadership.epub") as epub:
        return epub.read(f"EPUB/{name}.xhtml").decode()


def test_rebuild_uses_the_cache_and_sees_every_change(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, out, ["epub"])
    entries = sorted((out / ".cache" / "render").glob("*.pickle"))
    assert len(entries) == 12
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    chapter = book / "part-2" / "05-relationship-focus.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Work gets done", "Edited work gets done"),
                       encoding="utf-8")
    build(book, out, ["epub"])
    assert "Edited work gets done" in chapter_xhtml(out, "05-relationship-focus")
    assert all(p.stat().st_mtime_ns == stamps[p] for p in entries), "unchanged chapters come from the cache"
    assert len(list((out / ".cache" / "render").glob("*.pickle"))) == 13


def test_a_deleted_image_is_an_error_even_when_cached(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, out, ["epub"])
    (book / "images" / "stakeholder-map.svg").unlink()
    with pytest.raises(BookError) as caught:
        build(book, out, ["epub"])
    assert any(d.code == "image.invalid" and "04-respecting" in d.path for d in caught.value.diagnostics)


def test_config_and_outline_changes_invalidate(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, out, ["epub"])
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "en"', 'language = "de"'),
                    encoding="utf-8")
    build(book, out, ["epub"])
    assert "„Do they trust me?“" in chapter_xhtml(out, "05-relationship-focus")


def test_cache_can_be_deleted_or_disabled(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, out, ["epub"], use_cache=False)
    assert not (out / ".cache").exists()
    build(book, out, ["epub"])
    for entry in (out / ".cache" / "render").glob("*.pickle"):
        entry.write_bytes(b"corrupt")
    build(book, out, ["epub"])
    assert "Chapter 5" in chapter_xhtml(out, "05-relationship-focus")

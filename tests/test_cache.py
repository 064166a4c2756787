"""The render cache speeds rebuilds and never serves stale output."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_book
from pypdf import PdfReader

from octavo.diagnostics import BookError
from octavo.memo import Memo, Recall
from octavo.options import resolve
from octavo.pipeline import build


def chapter_xhtml(out: Path, name: str) -> str:
    with zipfile.ZipFile(out / "inner-leadership.epub") as epub:
        return epub.read(f"EPUB/{name}.xhtml").decode()


def short_book(root: Path) -> Path:
    """Twelve chapters of a few lines and one image: as many PDF units as the sample book has,
    at a fraction of its layout time, to see which units a rebuild lays out again."""
    (root / "images").mkdir(parents=True)
    shutil.copyfile(ROOT / "book" / "images" / "stakeholder-map.svg", root / "images" / "map.svg")
    names = [f"{n:02}-chapter.md" for n in range(1, 13)]
    for n, name in enumerate(names, 1):
        text = f"# Chapter {n}\n\nWork gets done in chapter {n}, with a note.[^a]\n\n[^a]: The note of chapter {n}.\n"
        if n == 4:
            text += "\n![A map of four rings](images/map.svg)\n"
        (root / name).write_text(text, encoding="utf-8")
    chapters = ", ".join(f'"{name}"' for name in names)
    (root / "book.toml").write_text(f'[book]\ntitle = "Short"\nauthors = ["A. Writer"]\nlanguage = "en"\n'
                                    f'chapters = [{chapters}]\n', encoding="utf-8")
    return root


def test_rebuild_uses_the_cache_and_sees_every_change(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub"]))
    entries = sorted((out / ".cache" / "render").glob("[!.]*"))
    assert len(entries) == 12
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    chapter = book / "part-2" / "05-relationship-focus.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Work gets done", "Edited work gets done"),
                       encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub"]))
    assert "Edited work gets done" in chapter_xhtml(out, "05-relationship-focus")
    assert all(p.stat().st_mtime_ns == stamps[p] for p in entries), "unchanged chapters come from the cache"
    assert len(list((out / ".cache" / "render").glob("[!.]*"))) == 13


def test_a_deleted_image_is_an_error_even_when_cached(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub"]))
    (book / "images" / "stakeholder-map.svg").unlink()
    with pytest.raises(BookError) as caught:
        build(book, resolve(book, output=out, formats=["epub"]))
    assert any(d.code == "image.invalid" and "04-respecting" in d.path for d in caught.value.diagnostics)


def test_config_and_outline_changes_invalidate(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub"]))
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "en"', 'language = "de"'),
                    encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub"]))
    assert "„Do they trust me?“" in chapter_xhtml(out, "05-relationship-focus")


def test_cache_can_be_deleted_or_disabled(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub"], use_cache=False))
    assert not (out / ".cache").exists()
    build(book, resolve(book, output=out, formats=["epub"]))
    for entry in (out / ".cache" / "render").glob("[!.]*"):
        entry.write_bytes(b"corrupt")
    build(book, resolve(book, output=out, formats=["epub"]))
    assert "Chapter 5" in chapter_xhtml(out, "05-relationship-focus")


def site_page(out: Path, name: str) -> str:
    return (out / "site" / f"{name}.html").read_text(encoding="utf-8")


def cache_entries(out: Path, area: str) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (out / ".cache" / area).glob("[!.]*")}


def test_written_pages_are_reused_and_follow_every_change(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    pages, documents = cache_entries(out, "web"), cache_entries(out, "epub")
    # the EPUB keeps its cover, title, copyright and contents pages, nav and NCX too
    assert len(documents) == len(pages) + 6 and len(pages) > 10

    chapter = book / "part-2" / "05-relationship-focus.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("Work gets done", "Edited work gets done"), encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    assert "Edited work gets done" in site_page(out, "05-relationship-focus")
    assert "Edited work gets done" in chapter_xhtml(out, "05-relationship-focus")
    assert cache_entries(out, "web").items() >= pages.items(), "unchanged pages come from the cache"
    assert len(cache_entries(out, "web")) == len(pages) + 1
    assert len(cache_entries(out, "epub")) == len(documents) + 1

    # A new title reaches the neighbours' pager, every page's side contents and the EPUB contents.
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "# Technique 2: Maintaining a Relationship Focus", "# Technique 2: Keeping Relationships First"),
        encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    assert "Keeping Relationships First" in site_page(out, "04-respecting-stakeholders").split("<main")[0]
    assert "Keeping Relationships First" in site_page(out, "09-horizon-perspective")
    assert "Relationship Focus" not in site_page(out, "09-horizon-perspective")
    with zipfile.ZipFile(out / "inner-leadership.epub") as epub:
        assert "Keeping Relationships First" in epub.read("EPUB/nav.xhtml").decode()


def test_a_template_or_config_change_rewrites_every_page(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    (book / "templates" / "web").mkdir(parents=True)
    (book / "templates" / "web" / "chapter.html.j2").write_text(
        '{% extends "!default/web/chapter.html.j2" %}\n'
        '{% block content %}<p class="edition-note">Reading copy</p>{{ super() }}{% endblock %}\n',
        encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    assert 'class="edition-note"' in site_page(out, "01-what-is-inner-leadership")
    assert 'class="edition-note"' in site_page(out, "09-horizon-perspective")

    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('title = "Inner Leadership"',
                                                             'title = "Inner Leadership Revised"', 1),
                    encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    assert "Inner Leadership Revised" in site_page(out, "09-horizon-perspective")
    assert "Inner Leadership Revised" in chapter_xhtml(out, "09-horizon-perspective") or \
        "Inner Leadership Revised" in zipfile.ZipFile(out / "inner-leadership-revised.epub").read(
            "EPUB/content.opf").decode()


def test_damaged_entries_are_misses_and_the_outputs_stay_the_same(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub", "web"], use_cache=False))
    fresh = (out / "inner-leadership.epub").read_bytes(), site_page(out, "05-relationship-focus")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    cached = (out / "inner-leadership.epub").read_bytes(), site_page(out, "05-relationship-focus")
    assert cached == fresh, "a build from the cache gives the same bytes as one without it"
    for area in ("web", "epub", "search", "deflate", "render"):
        for entry in (out / ".cache" / area).glob("[!.]*"):
            data = entry.read_bytes()
            entry.write_bytes(data[:-3] + b"xyz")
    build(book, resolve(book, output=out, formats=["epub", "web"]))
    assert ((out / "inner-leadership.epub").read_bytes(), site_page(out, "05-relationship-focus")) == fresh


def test_pdf_layouts_are_reused_and_never_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each PDF unit's layout is kept by the digest of its job; a rebuild from the cache gives the
    same bytes as a build without it, after a chapter edit and after an image changes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = short_book(tmp_path / "book")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    build(book, resolve(book, output=out, formats=["pdf"], jobs=1))
    first = cache_entries(out, "pdf")
    assert len(first) > 10

    chapter = book / "05-chapter.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Work gets done", "Edited work gets done"),
                       encoding="utf-8")
    build(book, resolve(book, output=out, formats=["pdf"], jobs=1))
    again = cache_entries(out, "pdf")
    assert again.items() >= first.items() and 0 < len(again) - len(first) <= 3, "only the edited unit is new"
    build(book, resolve(book, output=fresh, formats=["pdf"], jobs=1, use_cache=False))
    cached = (out / "short.pdf").read_bytes()
    assert cached == (fresh / "short.pdf").read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(out / "short.pdf").pages)
    assert "Edited work gets done" in " ".join(text.split())

    image = book / "images" / "map.svg"
    image.write_text(image.read_text(encoding="utf-8").replace('fill="#8a3b24"', 'fill="#24538a"'),
                     encoding="utf-8")
    build(book, resolve(book, output=out, formats=["pdf"], jobs=1))
    assert len(cache_entries(out, "pdf")) >= len(again) + 10, "a changed image lays every unit out again"
    build(book, resolve(book, output=fresh, formats=["pdf"], jobs=1, use_cache=False))
    assert (out / "short.pdf").read_bytes() == (fresh / "short.pdf").read_bytes()


def test_pdf_layouts_are_reused_when_the_build_time_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build time reaches the PDF's dates, not the units' HTML, so it costs no layout."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    book = short_book(tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["pdf"], jobs=1))
    first = cache_entries(out, "pdf")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    build(book, resolve(book, output=out, formats=["pdf"], jobs=1))
    assert cache_entries(out, "pdf") == first
    info = PdfReader(out / "short.pdf").metadata
    assert info is not None and info["/CreationDate"] == info["/ModDate"] == "D:20270115080000Z"


def test_entries_kept_in_memory_between_builds_are_never_stale(tmp_path: Path) -> None:
    """``serve`` keeps the cache in memory (a Recall): a rebuild must still see every change,
    and a change to the disk cache behind its back (deleted) must not matter."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    recall = Recall()
    build(book, resolve(book, output=out, formats=["epub", "web"]), recall=recall)
    assert recall.entries, "the build's entries are kept"
    chapter = book / "part-2" / "05-relationship-focus.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Work gets done", "Kept work gets done"),
                       encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]), recall=recall)
    assert "Kept work gets done" in chapter_xhtml(out, "05-relationship-focus")
    assert "Kept work gets done" in site_page(out, "05-relationship-focus")
    shutil.rmtree(out / ".cache")
    build(book, resolve(book, output=out, formats=["epub", "web"]), recall=recall)
    assert not list((out / ".cache" / "render").glob("[!.]*")), "chapters came from memory, not rendered again"
    assert "Kept work gets done" in chapter_xhtml(out, "05-relationship-focus")
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "en"', 'language = "de"'), encoding="utf-8")
    build(book, resolve(book, output=out, formats=["epub", "web"]), recall=recall)
    assert "„Do they trust me?“" in chapter_xhtml(out, "05-relationship-focus")
    assert "„Do they trust me?“" in site_page(out, "05-relationship-focus")


def test_memory_kept_is_bounded(tmp_path: Path) -> None:
    recall = Recall(limit=1000)
    memo = Memo(tmp_path, recall)
    for n in range(10):
        memo.store(f"k{n}", bytes(300))
    assert recall.size <= 1000 and len(recall.entries) == 3
    assert memo.load("k0") == bytes(300), "what memory dropped is read from disk again"
    assert memo.load_object("missing") is None

"""A folder becomes a Book: outline, ids, titles, numbers, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BOOKS, MDBOOK_GUIDE, ROOT, copy_book, copy_project

from octavo.diagnostics import BookError, Diagnostic
from octavo.load import load_book
from octavo.model import Book, Kind, Part
from octavo.pipeline import assemble
from octavo.transforms.numbering import number_chapters


def load_numbered(root: Path, skip_preprocessors: tuple[str, ...] = ()) -> tuple[Book, list[Diagnostic]]:
    """The book as the pipeline has it before rendering: loaded, then numbered."""
    book, problems = load_book(root, skip_preprocessors=skip_preprocessors)
    return number_chapters(book), problems


def test_sample_book_outline() -> None:
    book, problems = load_numbered(ROOT / "book")
    assert problems == []
    assert [c.id for c in book.front] == ["preface"]
    parts = list(book.parts())
    assert [p.title for p in parts] == ["Part I: Foundations of Inner Leadership",
                                        "Part II: The Techniques of Inner Leader Preparation"]
    assert [c.number for c in parts[0].chapters] == ["1", "2", "3"]
    assert [c.number for c in parts[1].chapters] == ["4", "5", "6", "7", "8", "9"]
    assert parts[1].intro is not None and parts[1].intro.id == "part-2" and parts[1].intro.kind is Kind.PART_INTRO
    assert book.cover == "images/cover.svg"


def test_folder_without_book_toml(tmp_path: Path) -> None:
    book, _ = load_numbered(copy_book(BOOKS / "plain-folder", tmp_path / "plain"))
    assert book.title == "Beginnings"
    assert [c.source for c in book.chapters()] == ["01-start.md", "02-end.md"]
    assert [c.number for c in book.chapters()] == ["1", "2"]


def test_front_matter_title_id_number_bom_crlf(tmp_path: Path) -> None:
    assembled, problems = assemble(copy_book(BOOKS / "front-matter", tmp_path / "fm"))
    chapters = list(assembled.book.chapters())
    assert [c.id for c in chapters] == ["opening", "b", "c"]
    assert [c.number for c in chapters] == ["1", "7", "8"]
    assert assembled.rendered["opening"].title == "A Title From Front Matter"
    assert assembled.rendered["c"].title == "Eighth"
    assert "\r" not in assembled.rendered["c"].html
    assert chapters[0].first_line == 5
    assert problems == []


def test_mdbook_project_builds_from_summary(tmp_path: Path) -> None:
    book, problems = load_numbered(copy_project(MDBOOK_GUIDE, tmp_path), ("guide-helper",))
    assert [p.code for p in problems] == ["config.ignored", "summary.draft"]
    assert book.front[0].title == "Introduction" and book.back[0].title == "Contributors"
    numbered = {c.title: c.number for c in book.chapters() if c.number}
    assert numbered["Installation"] == "1" and numbered["init"] == "4.1" and numbered["General"] == "5.2.1"
    assert [p.title for p in book.parts()] == ["User guide", "Reference guide"]
    assert all(isinstance(p, Part) for p in book.body)


def write_book(tmp_path: Path, toml: str, files: dict[str, bytes | str]) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "book.toml").write_text(toml, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(BookError) as caught:
        load_book(root)
    return [d.format() for d in caught.value.diagnostics]


def test_every_problem_of_the_outline_is_reported(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = ["a.md", "a.md", "missing.md", "../out.md",'
                      ' "latin1.md", "nul.md", "fm.md", "open.md"]\n', {
                          "a.md": "# A\n",
                          "latin1.md": "# Caf\xe9\n\nline two \xff".encode("latin-1"),
                          "nul.md": b"# N\n\x00",
                          "fm.md": "---\ntitle: [unclosed\n---\n# F\n",
                          "open.md": "---\ntitle: Never closed\n\n# Body\n",
                      })
    messages = errors_of(root)
    assert any("'a.md' is listed twice" in m for m in messages)
    assert any(m.startswith("book.toml:3: error: chapter file 'missing.md' does not exist") for m in messages)
    assert any("'../out.md' is outside the book folder" in m for m in messages)
    assert any(m.startswith("latin1.md:1:6: error: not valid UTF-8") for m in messages)
    assert any(m.startswith("nul.md:2: error:") for m in messages)
    assert any(m.startswith("fm.md:2: error: invalid YAML front matter") for m in messages)
    assert any(m.startswith("open.md:1: error: front matter is never closed") for m in messages)


def test_outline_problems_point_at_the_line_that_lists_the_chapter(tmp_path: Path) -> None:
    toml = ('[book]\ntitle = "T"  # the "main" title\nfront = ["a.md"]\n\n[[book.parts]]\ntitle = "One"\n'
            'chapters = [\n  "b.md",\n  "a.md",\n  "chapter-tree.md",\n]\n')
    root = write_book(tmp_path, toml, {"a.md": "# A\n", "b.md": "# B\n", "chapter-three.md": "# C\n"})
    messages = errors_of(root)
    duplicate = next(m for m in messages if "[outline.duplicate]" in m)
    assert duplicate.startswith("book.toml:9: error: 'a.md' is listed twice") and "(line 3)" in duplicate
    assert "the outline is the book's reading order" in duplicate
    missing = next(m for m in messages if "[chapter.missing]" in m)
    assert missing.startswith("book.toml:10: error: chapter file 'chapter-tree.md' does not exist")
    assert "hint: did you mean 'chapter-three.md'?" in missing


def test_a_missing_chapter_of_an_mdbook_summary_is_reported_at_its_line(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\n', {
        "src/SUMMARY.md": "# Summary\n\n- [One](one.md)\n- [Two](two.md)\n", "src/one.md": "# One\n"})
    messages = errors_of(root)
    assert any(m.startswith("src/SUMMARY.md:4: error: chapter file 'src/two.md' does not exist") for m in messages)


def test_a_link_to_a_missing_heading_suggests_the_ids_of_that_page(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = ["a.md", "b.md"]\n', {
        "a.md": "# A\n\nSee [the method](b.md#the-methd).\n",
        "b.md": "# B\n\n## The method\n\ntext\n"})
    _, problems = assemble(root)
    fragment = next(p for p in problems if p.code == "link.fragment")
    assert (fragment.path, fragment.line) == ("a.md", 3)
    assert fragment.hint == "did you mean '#the-method'?"


def test_duplicate_explicit_ids(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = ["a.md", "b.md"]\n',
                      {"a.md": "---\nid: same\n---\n# A\n", "b.md": "---\nid: same\n---\n# B\n"})
    assert any("chapter id 'same' is also used by 'a.md'" in m for m in errors_of(root))


def test_empty_book_is_an_error_and_empty_chapter_a_warning(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = []\n', {})
    assert any("the book has no chapters" in m for m in errors_of(root))
    (root / "book.toml").write_text('[book]\ntitle = "T"\nchapters = ["e.md"]\n', encoding="utf-8")
    (root / "e.md").write_text("\n", encoding="utf-8")
    _, problems = load_book(root)
    assert [p.code for p in problems] == ["chapter.empty"]


def test_chapter_symlinked_out_of_the_book_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n", encoding="utf-8")
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = ["link.md"]\n', {})
    (root / "link.md").symlink_to(secret)
    assert any("outside the book folder" in m for m in errors_of(root))


def test_a_50_mb_chapter_fails_with_a_limit_and_is_never_read(tmp_path: Path) -> None:
    root = write_book(tmp_path, '[book]\ntitle = "T"\nchapters = ["huge.md"]\n', {"huge.md": "# Huge\n"})
    with (root / "huge.md").open("r+b") as handle:
        handle.truncate(50 * 1024 * 1024)
    messages = errors_of(root)
    assert any(m.startswith("huge.md: error: chapter is larger than the 20 MiB limit") and "split it" in m
               for m in messages)

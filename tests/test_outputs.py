"""Outputs belong to their book: each book's default output folder is its own, an output folder
records which book wrote it, and no output folder is ever read as a book's input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BOOKS, ROOT, Epub, build_into, copy_book

from octavo.cli import main
from octavo.output import OWNER


def two_books(tmp_path: Path) -> tuple[Path, Path]:
    """The sample book, and a copy with another title: two books that both publish a ``site``."""
    first = copy_book(ROOT / "book", tmp_path / "bookA")
    second = copy_book(ROOT / "book", tmp_path / "bookB")
    config = second / "book.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('title = "Inner Leadership"',
                                                                 'title = "Outer Leadership"'), encoding="utf-8")
    return first, second


def site_title(out: Path) -> str:
    html = (out / "site" / "index.html").read_text(encoding="utf-8")
    return html.split('<h1 class="book-title">', 1)[1].split("<", 1)[0]


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_books_built_from_the_same_folder_keep_their_own_outputs(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's sequence: ``build ../bookA`` then ``build ../bookB`` from one folder."""
    two_books(tmp_path)
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    for name in ("bookA", "bookB"):
        result = CliRunner().invoke(main, ["build", f"../{name}", "-f", "epub", "-f", "web"])
        assert result.exit_code == 0, result.output
        assert f"wrote ../{name}/dist/site" in result.output
    assert site_title(tmp_path / "bookA" / "dist") == "Inner Leadership"
    assert site_title(tmp_path / "bookB" / "dist") == "Outer Leadership"
    assert (tmp_path / "bookA" / "dist" / "inner-leadership.epub").is_file()
    assert not (tmp_path / "bookA" / "dist" / "outer-leadership.epub").exists()
    assert list(here.iterdir()) == [], "nothing is written where the command was run"
    recorded = json.loads((tmp_path / "bookA" / "dist" / OWNER).read_text(encoding="utf-8"))
    assert recorded == {"book": str((tmp_path / "bookA").resolve()), "title": "Inner Leadership"}


def test_an_output_folder_of_another_book_is_an_error_unless_forced(tmp_path: Path) -> None:
    first, second = two_books(tmp_path)
    shared = tmp_path / "shared"
    assert CliRunner().invoke(main, ["build", str(first), "-f", "web", "-o", str(shared)]).exit_code == 0
    before = snapshot(shared)
    result = CliRunner().invoke(main, ["build", str(second), "-f", "web", "-o", str(shared)])
    assert result.exit_code == 1
    assert (f"{shared}: error: the output folder '{shared}' holds the outputs of another book, 'Inner Leadership' "
            f"({first.resolve()}); this is 'Outer Leadership' ({second.resolve()}) [output.other-book]"
            in result.output)
    assert "--force" in result.output and "Traceback" not in result.output
    assert snapshot(shared) == before, "the other book's outputs and cache are untouched"
    checked = CliRunner().invoke(main, ["check", str(second), "-o", str(shared)])
    assert checked.exit_code == 1 and "[output.other-book]" in checked.output

    forced = CliRunner().invoke(main, ["build", str(second), "-f", "web", "-o", str(shared), "--force"])
    assert forced.exit_code == 0, forced.output
    assert site_title(shared) == "Outer Leadership"
    assert json.loads((shared / OWNER).read_text(encoding="utf-8"))["book"] == str(second.resolve())
    again = CliRunner().invoke(main, ["build", str(second), "-f", "web", "-o", str(shared)])
    assert again.exit_code == 0, "the folder is now the second book's"


def test_the_same_book_rebuilds_into_its_folder_by_any_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    (tmp_path / "link").symlink_to(book)
    build_into(book, None, ["epub"])
    monkeypatch.chdir(tmp_path)
    build_into(Path("link"), None, ["epub"])  # the record is of the book's real folder
    assert sorted(p.name for p in (book / "dist").iterdir()) == [OWNER, ".cache", "inner-leadership.epub"]


def test_build_output_in_book_toml_is_relative_to_the_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    config = book / "book.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[build]\n", '[build]\noutput = "public"\n'),
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = build_into(Path("book"), None, ["epub"])
    assert result.outputs == [Path("book") / "public" / "inner-leadership.epub"]


def test_a_plain_folder_book_never_reads_its_output_folder(tmp_path: Path) -> None:
    """The default output is inside the book; outputs (even a Markdown file someone left in them)
    are never chapters, and the second build is the first one's twin."""
    book = copy_book(BOOKS / "plain-folder", tmp_path / "plain")
    first = build_into(book, None, ["epub", "web"])
    (book / "dist" / "notes.md").write_text("# Not a chapter\n", encoding="utf-8")
    second = build_into(book, None, ["epub", "web"])
    assert [c.source for c in second.assembled.book.chapters()] == [c.source for c in first.assembled.book.chapters()]
    epub = Epub(book / "dist" / f"{second.assembled.slug}.epub")
    assert not [href for href in epub.manifest() if "dist" in href or "notes" in href]


def test_the_pdf_cache_key_skips_output_folders_in_the_book(tmp_path: Path) -> None:
    from octavo.writers.pdf.cache import _book_assets

    book = copy_book(ROOT / "book", tmp_path / "book")
    build_into(book, None, ["web"])
    build_into(book, book / "elsewhere", ["web"])
    (book / "scratch").mkdir()
    shutil.copy(book / "images" / "cover.svg", book / "scratch" / "cover.svg")
    found = {p.relative_to(book.resolve()).as_posix() for p in _book_assets(book.resolve(), (book / "x").resolve())}
    assert "images/cover.svg" in found and "scratch/cover.svg" in found
    assert not [name for name in found if name.startswith(("dist/", "elsewhere/"))], found
    assert list((book / "dist" / "site").rglob("*.svg")), "there were images to skip"


def test_the_sample_books_outputs_are_git_ignored() -> None:
    git = shutil.which("git")
    assert git is not None and (ROOT / ".git").exists(), "the tests run in a git clone of octavo, with git installed"
    for path in ("book/dist/inner-leadership.epub", "book/dist/site/index.html", "book/dist/.built-by-octavo"):
        done = subprocess.run([git, "check-ignore", "-q", "--no-index", path], cwd=ROOT, check=False)
        assert done.returncode == 0, f"{path} is not ignored by .gitignore"

"""The book's files sent to a worker that cannot see its folder (octavo.mirror), without a cluster:
what is packed, how the copy is written, and how a task's paths are moved there and back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from octavo import mirror
from octavo.diagnostics import BookError, error
from octavo.render import RenderContext
from octavo.writers.pdf.jobs import LayoutJob, PrintSheet


def small_book(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "book.toml").write_text('[book]\ntitle = "T"\n', encoding="utf-8")
    (root / "images" / "a.png").write_bytes(b"\x89PNG not really")
    (root / "dist" / ".cache").mkdir(parents=True)
    (root / "dist" / "t.epub").write_bytes(b"an output")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return root


def test_the_bundle_holds_the_books_files_and_no_outputs_git_or_links_out(tmp_path: Path) -> None:
    book = small_book(tmp_path / "book")
    secret = tmp_path / "secret.txt"
    secret.write_text("not the book's", encoding="utf-8")
    (book / "linked.txt").symlink_to(secret)

    bundle = mirror.pack(book, book / "dist")

    assert dict(bundle.files) == {"book.toml": b'[book]\ntitle = "T"\n', "images/a.png": b"\x89PNG not really"}
    assert bundle.root == str(book.resolve())
    assert mirror.pack(book, book / "dist").digest == bundle.digest
    (book / "images" / "a.png").write_bytes(b"\x89PNG changed!!")  # same size, other bytes
    assert mirror.pack(book, book / "dist").digest != bundle.digest


def test_the_copy_is_written_once_under_the_books_own_folder_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    bundle = mirror.pack(small_book(tmp_path / "my-book"), tmp_path / "my-book" / "dist")

    folder = Path(mirror.unpack(bundle, "tcp://w:1"))

    assert folder.name == "my-book" and folder.is_relative_to(tmp_path / "tmp" / mirror.FOLDER)
    assert (folder / "images" / "a.png").read_bytes() == b"\x89PNG not really"
    assert not (folder / "dist").exists()
    assert mirror.unpack(bundle, "tcp://w:1") == str(folder)
    assert [p.name for p in (tmp_path / "tmp" / mirror.FOLDER).iterdir()] == [bundle.digest]  # no partial left


def test_a_path_out_of_the_book_in_a_bundle_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    bundle = mirror.Bundle("/books/b", (("../escape.txt", b"x"),), "f" * 64)

    with pytest.raises(BookError) as raised:
        mirror.unpack(bundle, "tcp://w:1")

    [problem] = raised.value.diagnostics
    assert problem.code == "cluster.files" and "tcp://w:1" in problem.message and "escape.txt" in problem.message
    assert not (tmp_path / "escape.txt").exists() and not list(tmp_path.rglob("escape.txt"))


def test_a_tasks_paths_move_to_the_copy_and_its_results_back() -> None:
    sheet = PrintSheet("p { color: red }", Path("/books/b/styles").as_uri() + "/", "book")
    job = LayoutJob("ch1", "/books/b/book.toml", '<img src="/books/b/a.png"> /books/bc', "/books/b", (sheet,))
    ctx = RenderContext("/books/b", "en", {"ch.md": "ch"})

    moved_job, moved_ctx = mirror.relocated((job, ctx), "/books/b", "/tmp/copy/b")

    assert moved_job.root == "/tmp/copy/b" and moved_job.source == "/tmp/copy/b/book.toml"
    assert moved_job.sheets[0].base_url == "file:///tmp/copy/b/styles/"
    assert moved_ctx.root == "/tmp/copy/b" and moved_ctx.chapter_ids == {"ch.md": "ch"}
    assert mirror.relocated(moved_job, "/tmp/copy/b", "/books/b") == job
    assert moved_job.html == '<img src="/tmp/copy/b/a.png"> /books/bc'  # another folder is left as it is
    assert job.root == "/books/b"  # the original is left as it was
    failure = mirror.relocated(BookError([error("x.y", "bad", "/tmp/copy/b/ch.md", 3)]), "/tmp/copy/b", "/books/b")
    assert [d.path for d in failure.diagnostics] == ["/books/b/ch.md"]
    assert dataclasses.replace(moved_ctx, root="/books/b") == ctx


def test_a_worker_sees_the_book_only_with_the_same_bytes_and_output_place(tmp_path: Path) -> None:
    from octavo.cluster import tree_digest

    book = small_book(tmp_path / "book")
    first = tree_digest(str(book), str(tmp_path / "out" / "book"))
    assert first is not None and first == tree_digest(str(book), str(tmp_path / "out" / "book"))
    (book / "images" / "a.png").write_bytes(b"\x89PNG not REALLY")  # an edit of the same size
    edited = tree_digest(str(book), str(tmp_path / "out" / "book"))
    assert edited != first
    (tmp_path / "out").mkdir()  # the nearest folder of the outputs differs, as on a machine that lacks it
    assert tree_digest(str(book), str(tmp_path / "out" / "book")) != edited
    assert tree_digest(str(tmp_path / "no-book"), str(tmp_path / "out")) is None

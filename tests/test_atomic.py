"""A failed, interrupted or crashed build leaves the previous outputs as they were, and no temp files."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_book

from octavo.cli import main
from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.pipeline import build
from octavo.writers.epub import writer as epub_writer


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path, bytes]:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["epub"]))
    return book, out, (out / "inner-leadership.epub").read_bytes()


def failing_zip(exc: BaseException) -> Any:
    """A zip writer that writes half a file, then fails the way the disk or the user would make it."""

    def write(path: Path, members: list[tuple[str, bytes]], *args: Any) -> None:
        path.write_bytes(b"PK\x03\x04" + members[0][1][:10])
        raise exc

    return write


def assert_untouched(out: Path, before: bytes) -> None:
    assert (out / "inner-leadership.epub").read_bytes() == before
    left = sorted(p.name for p in out.iterdir() if p.name != ".cache")
    assert left == ["inner-leadership.epub"], "no temporary files are left"


def test_full_disk_is_a_clear_error(built: tuple[Path, Path, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    book, out, before = built
    monkeypatch.setattr(epub_writer, "write_container", failing_zip(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(BookError) as caught:
        build(book, resolve(book, output=out, formats=["epub"]))
    assert "No space left on device" in caught.value.diagnostics[-1].message
    assert_untouched(out, before)


def test_interrupt_exits_130_and_keeps_outputs(built: tuple[Path, Path, bytes],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    book, out, before = built
    monkeypatch.setattr(epub_writer, "write_container", failing_zip(KeyboardInterrupt()))
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(out)])
    assert result.exit_code == 130
    assert_untouched(out, before)


def test_crash_is_reported_without_traceback(built: tuple[Path, Path, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    book, out, before = built
    monkeypatch.setattr(epub_writer, "write_container", failing_zip(RuntimeError("boom")))
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(out)])
    assert result.exit_code == 1
    assert "internal error" in result.output and "Traceback" not in result.output
    assert_untouched(out, before)
    debug = CliRunner().invoke(main, ["--debug", "build", str(book), "-f", "epub", "-o", str(out)])
    log = Path(debug.output.split("traceback written to ")[1].split()[0])
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")


def test_output_path_that_is_a_file(built: tuple[Path, Path, bytes], tmp_path: Path) -> None:
    book, _, _ = built
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(blocker / "dist")])
    assert result.exit_code == 1
    assert "cannot write the outputs" in result.output


def test_place_links_only_a_published_file_with_the_same_bytes(tmp_path: Path) -> None:
    from octavo.output import place

    published, staged = tmp_path / "out", tmp_path / "staged"
    published.mkdir()
    staged.mkdir()
    (published / "same.html").write_bytes(b"<p>same</p>")
    (published / "other.html").write_bytes(b"<p>old</p>")
    (tmp_path / "elsewhere.html").write_bytes(b"<p>same</p>")
    (published / "symlink.html").symlink_to(tmp_path / "elsewhere.html")
    (published / "shared.html").write_bytes(b"<p>same</p>")
    (tmp_path / "backup.html").hardlink_to(published / "shared.html")  # the user's own link to it
    for name in ("same", "other", "symlink", "shared", "missing"):
        place(staged / f"{name}.html", b"<p>same</p>", published / f"{name}.html")
        assert (staged / f"{name}.html").read_bytes() == b"<p>same</p>"
    assert (staged / "same.html").samefile(published / "same.html"), "an identical file is linked"
    assert (published / "other.html").read_bytes() == b"<p>old</p>", "a different one is left alone"
    for name in ("other", "symlink", "shared"):
        path = staged / f"{name}.html"
        assert not path.is_symlink() and path.stat().st_nlink == 1, f"{name}: written, not linked"

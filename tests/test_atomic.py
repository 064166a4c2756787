"""A failed, interrupted or crashed build leaves the previous outputs as they were, and no temp files."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT, build_into, copy_book
from unprivileged import run_octavo, shared_folder

from octavo.cli import main
from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.output import OWNER
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
    assert left == [OWNER, "inner-leadership.epub"], "no temporary files are left"


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


# All or nothing across outputs: a build that does not complete leaves the output folder exactly
# as it was, whichever step fails or is stopped, and no temporary file or folder behind.

def snapshot(out: Path) -> dict[str, bytes | str]:
    """Every file and folder in ``out`` with its contents (a folder as "folder"), the cache aside."""
    return {path.relative_to(out).as_posix(): path.read_bytes() if path.is_file() else "folder"
            for path in sorted(out.rglob("*")) if ".cache" not in path.relative_to(out).parts}


def no_internal_names(text: str) -> None:
    for internal in (".octavo-", ".replaced", ".site.old"):
        assert internal not in text, f"a message names {internal}"


def add_closing_line(book: Path) -> None:
    """Edit the book, so that the next build's outputs differ from those there."""
    preface = book / "front" / "preface.md"
    preface.write_text(preface.read_text(encoding="utf-8") + "\nA new closing line.\n", encoding="utf-8")


@pytest.fixture()
def two_outputs(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes | str]]:
    """The sample's EPUB and site built, and a chapter edited since, so the next build differs."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build_into(book, out, ["epub", "web"])
    add_closing_line(book)
    return book, out, snapshot(out)


def publish_moves(out: Path, act: Any) -> Any:
    """``os.replace`` that calls ``act(number)`` before each move of a publish into ``out``
    (moves inside the cache aside) and returns how many there were."""
    real = os.replace
    count = [0]

    def replace(source: Any, dest: Any) -> None:
        if out in (Path(source).parent, Path(dest).parent):
            count[0] += 1
            act(count[0])
        real(source, dest)

    replace.count = count  # type: ignore[attr-defined]
    return replace


def test_a_full_disk_at_any_move_of_a_publish_leaves_every_output_as_it_was(
        two_outputs: tuple[Path, Path, dict[str, bytes | str]], monkeypatch: pytest.MonkeyPatch) -> None:
    book, out, before = two_outputs
    step = 1
    while True:
        def fail(number: int, step: int = step) -> None:
            if number == step:
                raise OSError(errno.ENOSPC, "No space left on device", str(next(out.glob(".octavo-*"))))

        replace = publish_moves(out, fail)
        monkeypatch.setattr(os, "replace", replace)
        try:
            build_into(book, out, ["epub", "web"])
        except BookError as caught:
            problem = caught.diagnostics[-1]
            assert "No space left on device" in problem.message and problem.path == str(out)
            no_internal_names(problem.format())
            assert snapshot(out) == before, f"a full disk at move {step} changed the outputs"
            step += 1
            continue
        finally:
            monkeypatch.undo()
        break
    assert step == replace.count[0] + 1 == 7, "each output and the owner record: moved aside, moved in"
    after = snapshot(out)
    assert "A new closing line." in after["site/preface.html"].decode()  # type: ignore[union-attr]
    assert after.keys() == before.keys()


def test_a_full_disk_while_writing_the_site_names_the_users_path(
        two_outputs: tuple[Path, Path, dict[str, bytes | str]], monkeypatch: pytest.MonkeyPatch) -> None:
    from octavo.writers.web import writer as web

    book, out, before = two_outputs
    real, written = web.place, []

    def place(path: Path, data: bytes, previous: Path | None = None) -> None:
        written.append(path)
        if len(written) == 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data, previous)

    monkeypatch.setattr(web, "place", place)
    with pytest.raises(BookError) as caught:
        build_into(book, out, ["epub", "web"])
    problem = caught.value.diagnostics[-1]
    staged = next(folder for folder in written[4].parents if folder.name.startswith(".octavo-staging-"))
    failed = out / written[4].relative_to(staged)  # the user's path of the file that could not be written
    assert problem.path == str(failed) and failed.parent.parent == out / "site"
    no_internal_names(problem.format())
    assert snapshot(out) == before


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("step", [1, 4, 6])
def test_a_signal_during_the_publish_puts_every_output_back(
        two_outputs: tuple[Path, Path, dict[str, bytes | str]], monkeypatch: pytest.MonkeyPatch,
        signum: int, code: int, step: int) -> None:
    book, out, before = two_outputs

    def stop(number: int) -> None:
        if number == step:
            os.kill(os.getpid(), signum)  # arrives halfway through the moves

    monkeypatch.setattr(os, "replace", publish_moves(out, stop))
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-f", "web", "-o", str(out)])
    assert result.exit_code == code, result.output
    assert "previous outputs were left as they were" in result.output
    assert snapshot(out) == before


def test_a_signal_after_the_outputs_are_in_place_says_so(
        two_outputs: tuple[Path, Path, dict[str, bytes | str]], monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from octavo import output

    book, out, before = two_outputs
    real = shutil.rmtree

    def rmtree(path: Any, **kwargs: Any) -> None:
        if Path(path).name.startswith(".octavo-staging-"):
            os.kill(os.getpid(), signal.SIGTERM)  # as the staging folder is removed
        real(path, **kwargs)

    monkeypatch.setattr(output.shutil, "rmtree", rmtree)
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-f", "web", "-o", str(out)])
    assert result.exit_code == 143 and "stopped by SIGTERM after the outputs were written" in result.output
    after = snapshot(out)
    assert after.keys() == before.keys(), "the staging folder is removed all the same"
    assert "A new closing line." in after["site/preface.html"].decode()  # type: ignore[union-attr]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_the_build_leaves_the_outputs_and_no_temporary_files(
        tmp_path: Path, signum: int, code: int) -> None:
    """A real process, stopped while its writers work: Ctrl-C reaches the whole process group (as
    from a terminal), SIGTERM and SIGHUP only the build's own process (as from ``kill``)."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    build_into(book, out, ["epub", "pdf"])
    before = snapshot(out)
    add_closing_line(book)
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build", str(book), "-f", "epub", "-f",
                                "pdf", "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    while not list(out.glob(".octavo-staging-*")) and process.poll() is None:
        time.sleep(0.01)  # waits for the writers to start; no time is asserted
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert "previous outputs were left as they were" in stderr and "Traceback" not in stderr
    assert snapshot(out) == before
    assert not [p for p in (out / ".cache").rglob("*.tmp")], "no half-written cache entry"


# Permissions: root ignores them, so these run the command line as a user they bind (unprivileged.py).

@pytest.fixture()
def shared_tmp() -> Iterator[Path]:
    with shared_folder() as folder:
        yield folder


def sample_outputs(folder: Path) -> tuple[Path, Path]:
    book = copy_book(ROOT / "book", folder / "book")
    out = folder / "out"
    done = run_octavo(folder, "build", str(book), "-f", "epub", "-f", "web", "-o", str(out), "--no-cache")
    assert done.returncode == 0, done.stderr
    add_closing_line(book)
    return book, out


@pytest.mark.parametrize("locked", ["site", "site/css"])
def test_a_read_only_folder_in_an_output_stops_the_build_before_it_starts(shared_tmp: Path, locked: str) -> None:
    book, out = sample_outputs(shared_tmp)
    (out / locked).chmod(0o555)
    before = snapshot(out)
    args = ("build", str(book), "-f", "epub", "-f", "web", "-o", str(out))
    done = run_octavo(shared_tmp, *args)
    assert done.returncode == 1
    assert f"{out / 'site'}: error: cannot write the outputs: '{out / locked}' is read-only" in done.stderr
    assert "chmod -R u+w" in done.stderr and "previous outputs were left as they were" in done.stderr
    no_internal_names(done.stderr)
    assert snapshot(out) == before
    assert not (out / ".cache").exists(), "the check comes before the build: nothing was rendered"
    (out / locked).chmod(0o755)
    done = run_octavo(shared_tmp, *args)
    assert done.returncode == 0, done.stderr
    assert "A new closing line." in (out / "site" / "preface.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [OWNER, ".cache", "inner-leadership.epub", "site"]


def test_a_read_only_output_folder_is_named_as_the_user_gave_it(shared_tmp: Path) -> None:
    book, out = sample_outputs(shared_tmp)
    out.chmod(0o555)
    before = snapshot(out)
    done = run_octavo(shared_tmp, "build", str(book), "-f", "epub", "-f", "web", "-o", str(out))
    assert done.returncode == 1
    assert f"{out}: error: cannot write the outputs: the folder '{out}' is read-only" in done.stderr
    no_internal_names(done.stderr)
    assert snapshot(out) == before


def test_read_only_files_are_replaced_like_any_other(shared_tmp: Path) -> None:
    """A file's own permission does not protect it from a rename (as with ``mv``): only folders count."""
    book, out = sample_outputs(shared_tmp)
    for name in ("inner-leadership.epub", "site/preface.html", "site/index.html"):
        (out / name).chmod(0o444)
    done = run_octavo(shared_tmp, "build", str(book), "-f", "epub", "-f", "web", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "A new closing line." in (out / "site" / "preface.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [OWNER, ".cache", "inner-leadership.epub", "site"]

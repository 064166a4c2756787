"""The command line as a user meets it: exit codes, messages, outputs left intact on failure."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_book
from pypdf import PdfReader

from octavo.cli import main


def test_build_writes_the_epub_and_says_where(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "inner-leadership.epub").is_file()
    assert f"wrote {tmp_path / 'out' / 'inner-leadership.epub'}" in result.output
    assert not list((tmp_path / "out").glob(".octavo-*")), "no staging folder is left behind"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".built-by-octavo", ".cache",
                                                                      "inner-leadership.epub"]


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "-f", "docx"])
    assert result.exit_code == 2


def test_book_errors_exit_1_without_traceback_and_keep_previous_outputs(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(out)]).exit_code == 0
    before = (out / "inner-leadership.epub").read_bytes()
    chapter = book / "part-2" / "05-relationship-focus.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![Missing](../images/nope.png)\n",
                       encoding="utf-8")
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8").replace(
        'language = "en"', 'language = "en"\nautors = ["typo"]'), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "book.toml:" in result.output and "did you mean 'authors'" in result.output
    assert (out / "inner-leadership.epub").read_bytes() == before
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8").replace(
        '\nautors = ["typo"]', ""), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(out)])
    assert result.exit_code == 1
    lines = chapter.read_text(encoding="utf-8").count("\n")
    assert f"part-2/05-relationship-focus.md:{lines}: error: image '../images/nope.png'" in result.output
    assert "1 error" in result.output
    assert (out / "inner-leadership.epub").read_bytes() == before


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    chapter = book / "back" / "references.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nSee [the map](../part-2/04-respecting-"
                       "stakeholders.md#no-such-id).\n", encoding="utf-8")
    args = ["build", str(book), "-f", "epub", "-o", str(tmp_path / "out")]
    relaxed = CliRunner().invoke(main, args)
    assert relaxed.exit_code == 0 and "warning: link to '#no-such-id'" in relaxed.output
    (tmp_path / "out" / "inner-leadership.epub").unlink()
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1 and "warning: link to '#no-such-id'" in strict.output
    assert not (tmp_path / "out" / "inner-leadership.epub").exists()


def build_in_process(book: Path, out: Path, tz: str) -> dict[str, bytes]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TZ": tz}
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build", str(book), "-f", "epub", "-f", "pdf",
                    "-o", str(out)], check=True, env=env, capture_output=True)
    return {suffix: (out / f"inner-leadership.{suffix}").read_bytes() for suffix in ("epub", "pdf")}


def test_epub_and_pdf_are_byte_identical_across_processes_and_time_zones(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    first = build_in_process(book, tmp_path / "a", "UTC")
    second = build_in_process(book, tmp_path / "b", "Asia/Tokyo")
    for suffix in ("epub", "pdf"):
        assert hashlib.sha256(first[suffix]).hexdigest() == hashlib.sha256(second[suffix]).hexdigest(), suffix
    with zipfile.ZipFile(tmp_path / "a" / "inner-leadership.epub") as epub:
        assert b"2023-11-14T22:13:20Z" in epub.read("EPUB/content.opf")
    info = PdfReader(io.BytesIO(first["pdf"])).metadata
    assert info is not None and str(info.get("/CreationDate", "")).startswith("D:20231114221320")


def test_help_and_epub_builds_never_import_weasyprint(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    script = ("import sys\nfrom click.testing import CliRunner\nfrom octavo.cli import main\n"
              "assert CliRunner().invoke(main, ['--help']).exit_code == 0\n"
              f"assert CliRunner().invoke(main, ['build', {str(book)!r}, '-f', 'epub', '-o', {str(tmp_path / 'o')!r}])"
              ".exit_code == 0\n"
              "print('weasyprint' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_check_fails_when_ace_cannot_run_unless_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # java stays; no Ace on this PATH
    result = CliRunner().invoke(main, ["check", str(book), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "EPUBCheck: passed (0 errors, 0 warnings)" in result.output
    assert "Ace by DAISY: error: cannot run: 'ace' is not installed" in result.output
    assert "--skip ace" in result.output
    result = CliRunner().invoke(main, ["check", str(book), "-o", str(tmp_path / "out"), "--skip", "ace"])
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: passed (0 errors, 0 warnings)" in result.output
    assert "Ace by DAISY: skipped (--skip ace)" in result.output


def test_check_without_java_is_an_error_with_the_install_hint(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    empty = tmp_path / "bin"
    empty.mkdir()
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "check", str(book), "-o", str(tmp_path / "out"),
                           "--skip", "ace"], capture_output=True, text=True, env={**os.environ, "PATH": str(empty)},
                          check=False)
    assert done.returncode == 1, done.stderr
    assert "EPUBCheck: error: cannot run: Java is not installed" in done.stderr
    assert "hint: install a Java runtime" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "passed" not in done.stdout


def test_check_help_says_what_runs_and_what_the_exit_codes_mean() -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "EPUBCheck" in text and "Ace by DAISY" in text and "--skip" in text
    assert "Exit codes: 0" in text and "1 the book has errors" in text and "2 bad usage" in text

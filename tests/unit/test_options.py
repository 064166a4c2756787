"""Flags and book.toml merged once: a flag given wins, one not given leaves the book's setting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from octavo import cli, pipeline
from octavo.options import Options, resolve
from octavo.serve import Preview


def book(tmp_path: Path, build: str = "") -> Path:
    (tmp_path / "book.toml").write_text(f'[book]\ntitle = "T"\n{build}', encoding="utf-8")
    return tmp_path


def test_without_flags_the_book_decides(tmp_path: Path) -> None:
    root = book(tmp_path, '[build]\nformats = ["web", "epub"]\noutput = "out"\n')
    options = resolve(root)
    assert options.formats == ("epub", "web"), "in the order outputs are written, whatever the book's order"
    assert options.output == root / "out"
    assert options.jobs == (os.cpu_count() or 1)
    assert (options.strict, options.allow_remote, options.use_cache) == (False, False, True)


def test_flags_given_win_over_the_book(tmp_path: Path) -> None:
    root = book(tmp_path, '[build]\nformats = ["web"]\noutput = "out"\n')
    options = resolve(root, output=tmp_path / "elsewhere", formats=("pdf",), jobs=3, strict=True, use_cache=False)
    assert options == Options(tmp_path / "elsewhere", ("pdf",), True, False, 3, False)


def test_a_book_without_settings_gets_the_defaults(tmp_path: Path) -> None:
    options = resolve(book(tmp_path))
    assert options.formats == ("epub", "pdf", "web") and options.output == tmp_path / "dist"  # beside the book


def test_an_unreadable_book_toml_leaves_the_problems_to_the_build(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "Unclosed\n', encoding="utf-8")
    assert resolve(tmp_path).formats == ("epub", "pdf", "web")


def test_build_check_and_serve_make_their_options_the_same_way(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = book(tmp_path, '[build]\nformats = ["web", "pdf"]\n')
    seen: list[Options] = []

    def build(where: Path, options: Options, **_: Any) -> Any:
        seen.append(options)
        raise pipeline.BookError([])

    monkeypatch.setattr(pipeline, "build", build)
    monkeypatch.setattr("octavo.serve.build", build)
    CliRunner().invoke(cli.main, ["build", str(root), "-j", "2", "-o", str(tmp_path / "o")])
    CliRunner().invoke(cli.main, ["check", str(root), "-o", str(tmp_path / "o")])
    preview = Preview(root, out=tmp_path / "o", formats=["web"])
    try:
        preview.rebuild()
    finally:
        preview.stop()
    out = tmp_path / "o"
    assert seen == [resolve(root, output=out, jobs=2), resolve(root, output=out, formats=["epub"]),
                    resolve(root.resolve(), output=out.resolve(), formats=["web"], jobs=1)]
    assert [options.formats for options in seen] == [("pdf", "web"), ("epub",), ("web",)]

"""The update switch of the golden files rewrites them and still fails: never a silent pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_files import SWITCH, check


def test_a_match_passes_and_a_difference_fails_with_a_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SWITCH, raising=False)
    expected = tmp_path / "x.txt"
    expected.write_text("one\ntwo\n", encoding="utf-8")
    check(expected, "one\ntwo\n")
    with pytest.raises(AssertionError, match=r"(?s)differs.*-two\n\+three"):
        check(expected, "one\nthree\n")
    assert expected.read_text(encoding="utf-8") == "one\ntwo\n"
    with pytest.raises(AssertionError, match="is missing"):
        check(tmp_path / "new.txt", "one\n")


def test_the_switch_rewrites_and_still_fails_then_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "1")
    expected = tmp_path / "golden" / "x.txt"
    with pytest.raises(AssertionError, match="written"):
        check(expected, "one\n")
    with pytest.raises(AssertionError, match="rewritten"):
        check(expected, "two\n")
    assert expected.read_text(encoding="utf-8") == "two\n"
    check(expected, "two\n")

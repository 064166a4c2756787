"""The PDF's typography, measured by benchmarks/page_shape.py on the sample book and Sherlock,
held to the targets a book designer sets: hyphenation, widows and orphans, chapters' last
pages, the text layer.

The two PDFs are the session's builds (the same as tests/test_pdf.py reads). Figures before and
after the book face and hyphenation rules are in benchmarks/README.md.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pikepdf
import pytest
from conftest import CORPUS, ROOT

BOOKS = {"sample": ROOT / "book", "sherlock": CORPUS / "sherlock"}


def _measurer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("page_shape", ROOT / "benchmarks" / "page_shape.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["page_shape"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


page_shape = _measurer()


@pytest.fixture(scope="module", params=sorted(BOOKS))
def measured(request: pytest.FixtureRequest, build_book: Callable[..., Path]) -> tuple[str, Path, Any]:
    name = request.param
    pdf = next(build_book(BOOKS[name], ("pdf",)).glob("*.pdf"))
    report = page_shape.measure(page_shape.read_pages(pdf))
    report.word_fidelity = page_shape.word_fidelity(pdf, BOOKS[name])
    return name, pdf, report


def test_hyphenation_is_to_book_standard(measured: tuple[str, Path, Any]) -> None:
    name, _, report = measured
    assert report.body_lines > 500  # the measure found the text
    assert report.hyphen_runs_over_2 == 0, report.where.get("hyphen run")
    if name == "sherlock":  # the target; the sample's short lines of argument hyphenate more
        assert report.hyphenated_share <= 0.05
    assert report.hyphenated_share <= 0.08


def test_no_widows_orphans_or_overfull_lines(measured: tuple[str, Path, Any]) -> None:
    _, _, report = measured
    assert (report.widows, report.orphans, report.overfull_lines) == (0, 0, 0), report.where


def test_no_chapter_ends_on_a_page_of_fewer_than_four_lines(measured: tuple[str, Path, Any]) -> None:
    """Lines are pushed forward onto a chapter's last page of one to three lines (weasy/ends.py):
    the sample's references and its second chapter, and Sherlock's first story, ended on one."""
    _, _, report = measured
    assert report.short_last_pages == 0, report.where.get("short last page")


def test_every_word_is_found_in_the_text_layer(measured: tuple[str, Path, Any]) -> None:
    """A word broken at a line end is one word again when the text is extracted or searched."""
    _, _, report = measured
    assert report.word_fidelity >= 0.995


def test_book_face_is_embedded_with_its_licence_beside_it(measured: tuple[str, Path, Any]) -> None:
    _, pdf, _ = measured
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    faces = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:] if line.strip()}
    assert {"Alegreya", "Alegreya-Italic", "Alegreya-Bold"} <= faces
    with pikepdf.open(pdf) as document:
        attached = {name: spec.get_file().read_bytes() for name, spec in document.attachments.items()}
    assert b"SIL Open Font License" in attached["Alegreya-OFL.txt"]

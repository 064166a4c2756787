"""Kindle's AZW3 through Calibre: read back with Calibre's own tools, it has the cover, the
contents and the text. Marked ``calibre``: CI installs Calibre (.ci/run); without it these tests
fail, and ``pytest -m "not calibre"`` leaves them out on purpose."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, build_into, copy_book
from lxml import etree
from PIL import Image

from octavo.diagnostics import BookError

pytestmark = pytest.mark.calibre


def calibre(tool: str, *args: str, work: Path) -> str:
    assert shutil.which(tool), f"{tool} is not installed: install Calibre, or run pytest -m 'not calibre'"
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(work / "calibre"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([tool, *args], capture_output=True, text=True, env=env, check=True, timeout=600)
    return done.stdout


@pytest.fixture(scope="module")
def azw3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample book built as AZW3 alone (so the EPUB is made for the conversion only)."""
    work = tmp_path_factory.mktemp("kindle")
    book = copy_book(ROOT / "book", work / "book")
    build_into(book, work / "dist", ["azw3"])
    return work / "dist" / "inner-leadership.azw3"


def test_only_the_azw3_is_published(azw3: Path) -> None:
    assert sorted(p.name for p in azw3.parent.iterdir() if not p.name.startswith(".")) == ["inner-leadership.azw3"]


def test_the_azw3_has_the_cover_and_the_metadata(azw3: Path, tmp_path: Path) -> None:
    cover = tmp_path / "cover.jpg"
    meta = calibre("ebook-meta", str(azw3), "--get-cover", str(cover), work=tmp_path)
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in meta.splitlines()) if v}
    assert fields["Title"].startswith("Inner Leadership")
    assert fields["Author(s)"] == "Maren Holt & David Okafor"
    with Image.open(cover) as image:
        width, height = image.size  # Calibre fits it to the Kindle's limit (2200 px high)
        assert image.format == "JPEG" and height >= 2000 and round(height / width, 2) == 1.6


def test_the_azw3_has_the_contents_and_the_text(azw3: Path, tmp_path: Path) -> None:
    back = tmp_path / "back.epub"
    calibre("ebook-convert", str(azw3), str(back), work=tmp_path)
    with zipfile.ZipFile(back) as epub:
        ncx = next(n for n in epub.namelist() if n.endswith(".ncx"))
        labels = [" ".join(t.split()) for t in etree.fromstring(epub.read(ncx)).xpath(
            "//*[local-name()='navLabel']/*[local-name()='text']/text()")]
    assert "Technique 2: Maintaining a Relationship Focus" in " | ".join(labels)
    assert "Part II: The Techniques of Inner Leader Preparation" in labels and "References" in labels
    text = tmp_path / "back.txt"
    calibre("ebook-convert", str(azw3), str(text), work=tmp_path)
    words = " ".join(text.read_text(encoding="utf-8").split())
    assert "Chapter 5 Technique 2: Maintaining a Relationship Focus Work gets done through tasks" in words
    assert "ISBN" not in words and "Identifier" not in words


def test_without_calibre_the_error_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(BookError) as caught:
        build_into(book, tmp_path / "dist", ["azw3"])
    (problem,) = caught.value.diagnostics
    assert problem.code == "azw3.calibre" and "ebook-convert" in problem.message
    assert problem.hint is not None and "'calibre'" in problem.hint
    assert not (tmp_path / "dist" / "inner-leadership.azw3").exists()

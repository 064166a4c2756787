"""Fonts for every script in the PDF: the Japanese and Chinese test books embed the CJK face of
their language and their text reads back; a character no font has is one warning at its first
``file:line``; Pepys's two- and three-em dashes (U+2E3A, U+2E3B) are drawn, with no warning."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import BOOKS, CORPUS, build_into
from test_pdf import mini_book

from octavo.writers.pdf import glyphs


def font_names(pdf: Path) -> set[str]:
    """The base names of the fonts the PDF's pages use, without their subset prefix."""
    names = set()
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                names.add(str(font.BaseFont).split("+", 1)[-1])
    return names


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(("lang", "face", "sentence"), [
    ("ja", "Noto-Serif-CJK-JP", "山のふもとに小さな図書館があった。"),
    ("zh", "Noto-Serif-CJK-SC", "小镇的河边有一家老茶馆，已经开了五十多年。"),
])
def test_a_cjk_pdf_embeds_the_face_of_its_language(lang: str, face: str, sentence: str,
                                                   build_book: Callable[..., Path]) -> None:
    pdf = next(build_book(BOOKS / f"lang-{lang}", ("pdf",)).glob("*.pdf"))
    names = font_names(pdf)
    assert face in names
    assert not {name for name in names if "CJK" in name and not name.startswith(face)}  # the right one only
    assert sentence in "".join(text(pdf).split())  # pdftotext breaks the lines, not the characters


def test_a_character_no_font_has_is_one_warning_at_its_first_line(tmp_path: Path) -> None:
    root = mini_book(tmp_path, {
        "one.md": "---\ntitle: One\n---\n# One\n\nPlain text, Greek λόγος, Hebrew שלום.\n",
        "two.md": "# Two\n\nA line.\n\nA private sign \ue000 here,\n\nand again \ue000, with \U0010fffd too.\n",
        "three.md": "# Three\n\nOnce more \ue000.\n",
    })
    result = build_into(root, tmp_path / "out", ["pdf"])
    found = [(d.path, d.line, d.message) for d in result.diagnostics if d.code == "pdf.no-glyph"]
    assert found == [
        ("two.md", 5, "no font has a glyph for U+E000 a private-use character: the PDF shows an empty box"),
        ("two.md", 7, "no font has a glyph for U+10FFFD a private-use character: the PDF shows an empty box"),
    ]
    assert list((tmp_path / "out").glob("*.pdf"))  # a warning: the PDF is still made


def test_pepys_dashes_are_drawn_without_a_warning(tmp_path: Path) -> None:
    lines = (CORPUS / "pepys" / "061-chapter-59.md").read_text(encoding="utf-8").splitlines()
    excerpt = next(line for line in lines if "\u2e3b" in line)
    start = excerpt.index("\u2e3b")
    passage = excerpt[max(0, start - 200):start + 200] + " The two-em dash \u2e3a of the diary."
    root = mini_book(tmp_path, {"pepys.md": f"# An excerpt\n\n{passage}\n"})
    result = build_into(root, tmp_path / "out", ["pdf"])
    assert [d for d in result.diagnostics if d.code == "pdf.no-glyph"] == []
    pdf = next((tmp_path / "out").glob("*.pdf"))
    read = " ".join(text(pdf).split())
    # Drawn as dashes, not boxes: the book face's em dash, two or three times over (Pango's own
    # fallback for these two), which the text layer gives back as such
    assert re.search("Baron (\u2e3b|\u2014{3}), did argue", read)
    assert re.search("dash (\u2e3a|\u2014{2}) of the diary", read)


def test_fontconfig_charsets_are_read_as_merged_ranges() -> None:
    ranges = glyphs._parse("20-7e a0-17f 192") + glyphs._parse("7f-9f 180-191")
    assert glyphs._merged(ranges) == ((0x20,), (0x192,))
    assert glyphs.describe("\u2e3b") == "U+2E3B THREE-EM DASH"
    assert glyphs.describe("\ue000") == "U+E000 a private-use character"


def page_fonts(pdf: Path, words: str) -> set[str]:
    """The fonts of the page whose text holds ``words``, without their subset prefix."""
    with pikepdf.open(pdf) as document:
        for number, page in enumerate(document.pages, 1):
            found = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                                   capture_output=True, text=True, check=True).stdout
            if words in " ".join(found.split()):
                return {str(font.BaseFont).split("+", 1)[-1] for font in page.Resources.get("/Font", {}).values()}
    raise AssertionError(f"no page holds {words!r}")


@pytest.mark.parametrize(("face", "style"), [("none", "Sans"), ("print", "Serif")])
def test_a_cjk_heading_gets_its_face_in_the_heading_s_style(face: str, style: str, tmp_path: Path) -> None:
    """A Japanese heading, and a Japanese passage in a heading, of a German book: the Japanese face
    first, in the style of the heading face (sans without the book face, Alegreya's serif with it),
    not the text face that a Japanese passage in a paragraph gets."""
    chapter = "# 東京 {lang=ja}\n\nEin Satz.\n\n## Reise nach [京都]{lang=ja}\n\nNoch einer.\n"
    root = mini_book(tmp_path, {"one.md": chapter}, f'language = "de"\n\n[style]\nbook-face = "{face}"\n')
    build_into(root, tmp_path / "out", ["pdf"])
    names = page_fonts(next((tmp_path / "out").glob("*.pdf")), "Ein Satz")  # the chapter's page: no contents
    assert {name for name in names if "CJK" in name} == {f"Noto-{style}-CJK-JP-Bold"}

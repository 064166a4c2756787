"""The faces of other scripts carried by the EPUB when a book asks (``[style] script-faces = "epub"``),
and their licence in the EPUB and the PDF."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from conftest import BOOKS, Epub, build_into, copy_book, epubcheck_messages
from fontTools.ttLib import TTFont

from octavo import scriptfaces
from octavo.diagnostics import BookError

XHTML = {"x": "http://www.w3.org/1999/xhtml"}
HEADINGS = "//x:h1 | //x:h2 | //x:h3 | //x:h4 | //x:h5 | //x:h6"


def _build(source: Path, folder: Path, setting: str = 'script-faces = "epub"') -> Path:
    book = copy_book(source, folder / "book")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write(f"\n[style]\n{setting}\n")
    build_into(book, folder / "out", ["epub"], use_cache=False)
    return next((folder / "out").glob("*.epub"))


@pytest.fixture(scope="module", params=["lang-ja", "lang-ar"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The book built twice from scratch (no cache), with SOURCE_DATE_EPOCH set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        first = _build(BOOKS / request.param, tmp_path_factory.mktemp(f"{request.param}-1"))
        second = _build(BOOKS / request.param, tmp_path_factory.mktemp(f"{request.param}-2"))
    return first, second


def _fonts(epub: Epub) -> dict[str, TTFont]:
    return {item.get("href"): TTFont(io.BytesIO(epub.zip.read(epub.base + item.get("href"))))
            for item in epub.manifest().values() if item.get("media-type", "").startswith("font/")}


def _needed(epub: Epub, path: str = "//x:body") -> set[int]:
    """The characters of every page the reader sees that a reading system's Latin-1 face lacks."""
    found: set[int] = set()
    for href in [*epub.spine_hrefs(), "nav.xhtml"]:
        text = "".join(element.xpath("string()") for element in epub.xml(href).xpath(path, namespaces=XHTML))
        found |= {ord(c) for c in text if ord(c) > 0xFF and unicodedata.category(c)[0] not in "CZ"}
    return found


def test_the_fonts_are_declared_and_named_by_the_sheet(built: tuple[Path, Path]) -> None:
    epub = Epub(built[0])
    kinds = {item.get("href"): item.get("media-type") for item in epub.manifest().values()}
    fonts = sorted(href for href in kinds if href.startswith("css/fonts/noto/") and not href.endswith(".txt"))
    assert fonts and all(kinds[href] == "font/woff2" for href in fonts)
    assert kinds["css/script-faces.css"] == "text/css" and kinds["css/fonts/noto/OFL.txt"] == "text/plain"
    sheet = epub.zip.read(epub.base + "css/script-faces.css").decode("utf-8")
    rules = re.findall(r'font-family: "([^"]+)";.*?src: url\(([^)]+)\) format\("woff2"\)', sheet, re.S)
    assert sorted("css/" + url for _, url in rules) == fonts
    for family, url in rules:  # each rule names the family its font file is
        assert TTFont(io.BytesIO(epub.zip.read(epub.base + "css/" + url)))["name"].getDebugName(1) == family
    chapter = epub.xml(epub.spine_hrefs()[-1])
    assert "css/script-faces.css" in chapter.xpath("//x:link/@href", namespaces=XHTML)


def test_every_character_the_book_face_lacks_is_in_a_subset(built: tuple[Path, Path]) -> None:
    epub = Epub(built[0])
    fonts = _fonts(epub)
    serif = {code for href, font in fonts.items() if "-serif-" in href or "naskh" in href
             for code in font.getBestCmap()}
    sans = {code for href, font in fonts.items() if "-sans-" in href for code in font.getBestCmap()}
    needed = _needed(epub)
    assert len(needed) > 20
    assert needed - serif == set(), sorted(map(hex, needed - serif))
    in_headings = _needed(epub, HEADINGS)
    assert in_headings and in_headings - sans == set()
    assert len(sans) < len(serif)  # the heading face holds the headings' characters, not the book's


def test_the_licence_carries_each_face_s_copyright(built: tuple[Path, Path]) -> None:
    epub = Epub(built[0])
    licence = epub.zip.read(epub.base + "css/fonts/noto/OFL.txt").decode("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "PREAMBLE" in licence
    for font in _fonts(epub).values():
        assert " ".join(font["name"].getDebugName(0).split()) in licence


def test_epubcheck_passes_and_two_builds_are_identical(built: tuple[Path, Path]) -> None:
    assert epubcheck_messages(built[0]) == []
    assert built[0].read_bytes() == built[1].read_bytes()


def test_a_cjk_book_stays_small(tmp_path: Path) -> None:
    """The Japanese book's EPUB: 9.7 KB without the faces, about 100 KB with subsets of two CJK
    faces (the Noto Serif CJK collection they are cut from is 26 MB)."""
    with_faces = _build(BOOKS / "lang-ja", tmp_path / "with")
    without = _build(BOOKS / "lang-ja", tmp_path / "without", 'script-faces = "print"')
    assert not [href for href in Epub(without).manifest() if "noto" in href]
    assert with_faces.stat().st_size < without.stat().st_size + 250_000


def test_a_face_not_installed_is_named_not_fatal() -> None:
    arabic = [ord(c) for c in "كتاب"]
    faces, missing, left = scriptfaces.plan(arabic, ("Noto Serif Nowhere", "Noto Naskh Arabic"), frozenset())
    assert missing == ["Noto Serif Nowhere"] and left == []
    assert [face.family for face in faces] == ["Noto Naskh Arabic"] and set(faces[0].codes) == set(arabic)
    faces, missing, left = scriptfaces.plan(arabic, ("Noto Serif Nowhere",), frozenset())
    assert faces == [] and missing == ["Noto Serif Nowhere"] and sorted(left) == sorted(set(arabic))


def test_a_wrong_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BookError, match="script-faces"):
        _build(BOOKS / "lang-ar", tmp_path, 'script-faces = "web"')


def test_the_pdf_attaches_the_noto_licence(tmp_path: Path) -> None:
    book = copy_book(BOOKS / "lang-ar", tmp_path / "book")
    build_into(book, tmp_path / "out", ["pdf"])
    with pikepdf.open(next((tmp_path / "out").glob("*.pdf"))) as pdf:
        attached = {name: spec.get_file().read_bytes().decode("utf-8") for name, spec in pdf.attachments.items()}
        used = {str(font.get("/BaseFont", "")) for page in pdf.pages
                for font in (page.Resources.get("/Font") or {}).values()}
    assert any("Noto" in name for name in used)
    assert "Alegreya-OFL.txt" in attached
    licence = attached["Noto-OFL.txt"]
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Naskh Arabic:" in licence


def test_a_latin_book_carries_no_face(tmp_path: Path) -> None:
    """Latin-1 is every reading system's: the German book asks for the faces and gets only a few
    glyphs of Noto Serif, for its quotation marks and dashes beyond Latin-1 (3 KB)."""
    epub = Epub(_build(BOOKS / "lang-de", tmp_path))
    fonts = sorted(href for href in epub.manifest() if href.startswith("css/fonts/noto/"))
    assert fonts == ["css/fonts/noto/OFL.txt", "css/fonts/noto/noto-serif.woff2"]
    subset = set(_fonts(epub)["css/fonts/noto/noto-serif.woff2"].getBestCmap())
    assert {0x201E, 0x201C} <= subset and not subset & set(range(0x41, 0x5B))  # „“, and no A-Z
    assert epubcheck_messages(epub.path) == []

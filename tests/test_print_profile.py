"""The print profile: an interior without the cover, with bleed, crop marks and a gutter that grows
with the page count, and a cover PDF of back, spine and front sized for the trim, the pages and the
paper. Read back with pikepdf, pypdf, poppler (pdftotext, pdftoppm), not with octavo's code."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, build_into, copy_book
from PIL import Image
from pypdf import PdfReader

from octavo.diagnostics import BookError

EPOCH = "1700000000"
MM3 = 3 * 72 / 25.4  # 3 mm in points
PRINT = """
[pdf]
profile = "print"
trim = "6x9"
bleed = "3mm"
marks = true
back-cover = "back-cover.md"
"""
BACK = "# Inner Leadership\n\nDurable leadership begins with the *private* work of self-knowledge.\n"


def boxes(page: pikepdf.Page) -> tuple[list[float], list[float], list[float]]:
    return ([round(float(v), 2) for v in page.mediabox], [round(float(v), 2) for v in page.trimbox],
            [round(float(v), 2) for v in page.obj.BleedBox])


def with_print(book: Path, settings: str = PRINT) -> Path:
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write(settings)
    (book / "back-cover.md").write_text(BACK, encoding="utf-8")
    return book


@pytest.fixture(scope="module")
def sample_print(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample book in the print profile, built once with SOURCE_DATE_EPOCH set."""
    work = tmp_path_factory.mktemp("print")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        book = with_print(copy_book(ROOT / "book", work / "book"))
        result = build_into(book, work / "out", ["pdf"], jobs=2)
    assert sorted(path.name for path in result.outputs) == ["inner-leadership-cover.pdf", "inner-leadership.pdf"]
    yield work


def dark_corners(pdf: Path, page: int) -> list[int]:
    """How many dark pixels each corner of the page's bleed holds (poppler's rendering at 144 dpi)."""
    png = subprocess.run(["pdftoppm", "-r", "144", "-f", str(page), "-l", str(page), "-png", str(pdf)],
                         check=True, capture_output=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    side = round(MM3 * 2)  # the 3 mm bleed at 144 dpi
    found = []
    for x, y in ((0, 0), (image.width - side, 0), (0, image.height - side), (image.width - side, image.height - side)):
        corner = image.crop((x, y, x + side, y + side))
        found.append(sum(corner.histogram()[:128]))
    return found


def test_interior_has_bleed_marks_and_no_cover(sample_print: Path) -> None:
    path = sample_print / "out" / "inner-leadership.pdf"
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) > 40
        for page in pdf.pages:  # 6 x 9 in trimmed, 3 mm bleed all round; WeasyPrint's BleedBox is the sheet
            assert boxes(page) == ([-8.5, -8.5, 440.5, 656.5], [0, 0, 432, 648], [-8.5, -8.5, 440.5, 656.5])
    reader = PdfReader(path)
    assert reader.page_labels[:3] == ["i", "ii", "iii"]  # no "Cover", no "Inside cover"
    first = " ".join((reader.pages[0].extract_text() or "").split())
    assert first == "Inner Leadership", first  # the half-title opens the interior
    blank = next(number for number, page in enumerate(reader.pages, 1) if not (page.extract_text() or "").strip())
    assert all(count > 0 for count in dark_corners(path, 3)), "crop marks on a text page"
    assert all(count > 0 for count in dark_corners(path, blank)), "and on a blank page"


def test_no_marks_unless_asked_and_the_screen_profile_keeps_its_cover(tmp_path: Path) -> None:
    """Without ``marks`` the bleed's corners stay white; the screen profile takes the trim (over
    ``[style] page-size``) but no bleed, and keeps its one file with the cover."""
    book = with_print(copy_book(ROOT / "book", tmp_path / "book"), PRINT.replace("marks = true", "marks = false"))
    shutil.rmtree(book / "part-2")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(re.sub(r"\[\[book\.parts\]\]\ntitle = \"Part II.*?\]\n", "", toml, flags=re.S),
                                    encoding="utf-8")
    build_into(book, tmp_path / "print", ["pdf"])
    interior = tmp_path / "print" / "inner-leadership.pdf"
    assert dark_corners(interior, 3) == [0, 0, 0, 0]
    screen = (book / "book.toml").read_text(encoding="utf-8").replace('profile = "print"', 'profile = "screen"')
    screen = screen.replace('trim = "6x9"', 'trim = "5.5x8.5"') + '[style]\npage-size = "A5"\n'  # trim wins
    (book / "book.toml").write_text(screen, encoding="utf-8")
    result = build_into(book, tmp_path / "screen", ["pdf"])
    assert [path.name for path in result.outputs] == ["inner-leadership.pdf"]
    reader = PdfReader(result.outputs[0])
    assert reader.page_labels[:2] == ["Cover", "Inside cover"]
    with pikepdf.open(result.outputs[0]) as pdf:
        assert {tuple(boxes(page)[0]) for page in pdf.pages} == {(0, 0, 396, 612)}
        assert {tuple(boxes(page)[1]) for page in pdf.pages} == {(0, 0, 396, 612)}


def test_cover_is_back_spine_front_with_bleed(sample_print: Path) -> None:
    with pikepdf.open(sample_print / "out" / "inner-leadership.pdf") as interior:
        pages = len(interior.pages)
    path = sample_print / "out" / "inner-leadership-cover.pdf"
    with pikepdf.open(path) as cover:
        assert len(cover.pages) == 1
        media, trim, bleed = boxes(cover.pages[0])
        assert "Alegreya-OFL.txt" in cover.attachments
    spine = pages / 434 * 72  # white paper, 434 pages per inch
    assert media == bleed == [0, 0, round(2 * 432 + spine + 2 * MM3, 2), round(648 + 2 * MM3, 2)]
    assert trim == [round(MM3, 2), round(MM3, 2), round(2 * 432 + spine + MM3, 2), round(648 + MM3, 2)]
    words = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                           text=True).stdout
    assert "Durable leadership begins with the private work of self-knowledge." in " ".join(words.split())
    assert "Maren Holt" not in words.replace("\n", " ").split("self-knowledge.")[0], "no spine text under 80 pages"
    left, right = panel_darkness(path)
    assert right < 200 < left, "the front (right) panel shows the dark cover image; the back's page is white"
    image = Image.open(io.BytesIO(subprocess.run(["pdftoppm", "-r", "36", "-png", str(path)], check=True,
                                                  capture_output=True).stdout)).convert("L")
    right_edge = image.crop((image.width - 2, 0, image.width, image.height))
    assert right_edge.getextrema()[1] < 200, "the front image runs into the bleed"


def panel_darkness(pdf: Path) -> tuple[int, int]:
    """The lightest grey at the middle of the left panel and of the right panel (poppler, 36 dpi)."""
    image = Image.open(io.BytesIO(subprocess.run(["pdftoppm", "-r", "36", "-png", str(pdf)], check=True,
                                                  capture_output=True).stdout)).convert("L")
    middle = image.height // 2
    return tuple(image.crop((x - 10, middle - 10, x + 10, middle + 10)).getextrema()[1]  # type: ignore[return-value]
                 for x in (image.width // 4, image.width * 3 // 4))


def test_a_right_to_left_cover_has_its_front_on_the_left(tmp_path: Path) -> None:
    """Bound on the right (Hebrew), the book opens the other way: front panel left, back right."""
    book = with_print(copy_book(ROOT / "tests" / "books" / "lang-he", tmp_path / "he"))
    Image.new("RGB", (600, 900), (20, 30, 60)).save(book / "cover.png")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace("[book]\n", '[book]\ncover = "cover.png"\n', 1), encoding="utf-8")
    result = build_into(book, tmp_path / "out", ["pdf"])
    [cover] = [path for path in result.outputs if path.name.endswith("-cover.pdf")]
    left, right = panel_darkness(cover)
    assert left < 200 < right, "the dark front image is the left panel; the back cover's page is white"


def test_print_files_are_reproducible(sample_print: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built again (without the cache), the interior and the cover come out byte for byte the same."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    book = with_print(copy_book(ROOT / "book", tmp_path / "book"))
    build_into(book, tmp_path / "out", ["pdf"], jobs=2, use_cache=False)
    for name in ("inner-leadership.pdf", "inner-leadership-cover.pdf"):
        assert (tmp_path / "out" / name).read_bytes() == (sample_print / "out" / name).read_bytes(), name
    assert PdfReader(tmp_path / "out" / "inner-leadership-cover.pdf").metadata["/CreationDate"] == "D:20231114221320Z"


def long_book(folder: Path, pages: int, settings: str) -> Path:
    """A book of one chapter of ``pages`` paragraphs of a few lines, each on a page of its own
    (the book's sheet says so: many pages, quick to lay out), with a raster cover."""
    folder.mkdir()
    text = "\n\n".join(f"Paragraph {number}. " + "A plain line of text to fill the page. " * 6
                        for number in range(1, pages + 1))
    (folder / "one.md").write_text(f"# Chapter One\n\n{text}\n", encoding="utf-8")
    (folder / "styles").mkdir()
    (folder / "styles" / "pdf.css").write_text("p:not(.chapter-number) { break-after: page; }\n", encoding="utf-8")
    Image.new("RGB", (600, 900), (30, 40, 80)).save(folder / "cover.png")
    (folder / "book.toml").write_text(f'[book]\ntitle = "Long Book"\nauthors = ["Ada Lane"]\ncover = "cover.png"\n'
                                      f'chapters = ["one.md"]\n{settings}', encoding="utf-8")
    return folder


def text_edges(pdf: Path, page: int) -> tuple[float, float]:
    """The left and right edges of the words of a page (the justified text block), in points."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    words = [(float(a), float(b)) for a, b in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', xml)]
    return min(a for a, _ in words), max(b for _, b in words)


def test_gutter_is_inside_and_grows_with_the_page_count(tmp_path: Path) -> None:
    settings = '[pdf]\nprofile = "print"\npaper = "cream"\n'
    build_into(long_book(tmp_path / "short", 6, settings), tmp_path / "a", ["pdf"])
    build_into(long_book(tmp_path / "long", 170, settings), tmp_path / "b", ["pdf"])
    short, long = tmp_path / "a" / "long-book.pdf", tmp_path / "b" / "long-book.pdf"  # 12 and 176 pages
    margins = {}
    for name, path in (("short", short), ("long", long)):
        reader = PdfReader(path)
        labels = reader.page_labels
        recto = labels.index("3") + 1  # pypdf counts from 0, poppler from 1
        verso = recto + 1  # page "4", a left-hand page
        left, right = text_edges(path, recto)
        recto_inside, recto_outside = left, 432 - right
        left, right = text_edges(path, verso)
        verso_inside, verso_outside = 432 - right, left
        assert recto_inside > recto_outside + 9 and verso_inside > verso_outside + 9, name
        assert abs(recto_inside - verso_inside) < 1 and abs(recto_outside - verso_outside) < 1, name
        margins[name] = (recto_inside, recto_outside, len(reader.pages))
    assert margins["short"][2] < 150 < margins["long"][2] <= 300
    assert abs(margins["short"][0] - 63) < 1  # octavo's 0.875 in up to 150 pages
    assert abs(margins["long"][0] - 72) < 1  # a quarter of KDP's 151-300 band more: 1 in
    assert abs(margins["long"][1] - margins["short"][1]) < 1  # the outside margin stays
    cover = tmp_path / "b" / "long-book-cover.pdf"
    with pikepdf.open(cover) as pdf:
        media, trim, _ = boxes(pdf.pages[0])
    spine = margins["long"][2] / 370 * 72  # cream paper
    assert media[2] == round(2 * 432 + spine + 2 * 9, 2) and trim[0] == 9  # 0.125 in: the cover's default bleed
    words = " ".join(subprocess.run(["pdftotext", str(cover), "-"], check=True, capture_output=True,
                                    text=True).stdout.split())
    assert "Long Book" in words and "Ada Lane" in words, "the spine carries the title and author past 79 pages"


def test_print_profile_problems_are_config_errors(tmp_path: Path) -> None:
    """No cover, or a back cover that is not in the book: errors at their book.toml line, no output,
    and the previous outputs stay as they were."""
    book = long_book(tmp_path / "book", 2, '[pdf]\nprofile = "print"\n')
    first = build_into(book, tmp_path / "out", ["pdf"]).outputs
    before = {path.name: path.read_bytes() for path in first}
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('cover = "cover.png"\n', "") + 'back-cover = "../back.md"\n',
                                    encoding="utf-8")
    with pytest.raises(BookError) as failed:
        build_into(book, tmp_path / "out", ["pdf"])
    shown = [problem.format() for problem in failed.value.diagnostics]
    lines = (book / "book.toml").read_text(encoding="utf-8").splitlines()
    assert [problem.line for problem in failed.value.diagnostics] == [
        lines.index('profile = "print"') + 1, lines.index('back-cover = "../back.md"') + 1], shown
    assert [problem.code for problem in failed.value.diagnostics] == ["pdf.print", "pdf.back-cover"]
    assert all(problem.hint and problem.path == "book.toml" for problem in failed.value.diagnostics)
    assert {path.name: path.read_bytes() for path in (tmp_path / "out").glob("*.pdf")} == before

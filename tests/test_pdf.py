"""The print PDF, read back the way a reader and a printer would: pypdf and poppler, not our code.

The sample book and sherlock are built once per session. pepys (2,000+ pages) builds too, but
takes minutes, so it is measured by hand and not part of this run.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import CORPUS, ROOT, copy_book, pdf_outline
from pypdf import PdfReader
from pypdf.generic import Destination
from weasyprint.layout import LayoutContext

from octavo.diagnostics import BookError, Severity
from octavo.options import Options, Progress, resolve
from octavo.pipeline import assemble, build
from octavo.writers.pdf import weasy
from octavo.writers.pdf.layout import BookFetcher, _logged
from octavo.writers.pdf.pages import roman
from octavo.writers.pdf.weasy import margins as pdf_margins
from octavo.writers.pdf.weasy import note_area as pdf_note_area
from octavo.writers.pdf.weasy import resume as pdf_resume
from octavo.writers.pdf.writer import write_pdf

SAMPLE_OUTLINE = [
    (0, "Contents"), (0, "Preface"), (1, "How the book is organized"), (1, "How to read it"),
    (0, "Part I: Foundations of Inner Leadership"), (1, "1. What Is Inner Leadership?"),
    (1, "2. Knowing Yourself Before Leading Others"), (1, "3. The Leader as Servant"),
    (0, "Part II: The Techniques of Inner Leader Preparation"),
    (1, "4. Technique 1: Authentically Respecting Stakeholders"),
    (1, "5. Technique 2: Maintaining a Relationship Focus"), (1, "6. Technique 3: Learning to Help Followers"),
    (1, "7. Technique 4: Fostering Follower Change and Transformation"),
    (1, "8. Technique 5: Learning Followership"), (1, "9. Technique 6: Taking a Horizon Perspective"),
    (0, "References"),
]
SHERLOCK_STORIES = [
    "A Scandal in Bohemia", "The Redheaded League", "A Case of Identity", "The Boscombe Valley Mystery",
    "The Five Orange Pips", "The Man with the Twisted Lip", "The Adventure of the Blue Carbuncle",
    "The Adventure of the Speckled Band", "The Adventure of the Engineer’s Thumb",
    "The Adventure of the Noble Bachelor", "The Adventure of the Beryl Coronet",
    "The Adventure of the Copper Beeches",
]


def pdf_file(book: Path, output: Path, jobs: int | None, use_cache: bool = True) -> Path:
    """The PDF of ``book``, built into ``output`` (``jobs`` None: the machine's cores)."""
    return build(book, resolve(book, output=output, formats=["pdf"], jobs=jobs, use_cache=use_cache)).outputs[0]


def words(text: str) -> str:
    return " ".join(text.split())


class Pdf:
    """A built PDF, opened with pypdf: page labels, text, outline, destinations and links."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reader = PdfReader(path)

    @cached_property
    def labels(self) -> list[str]:
        return list(self.reader.page_labels)

    @cached_property
    def texts(self) -> list[str]:
        return [words(page.extract_text() or "") for page in self.reader.pages]

    @cached_property
    def dests(self) -> dict[str, int]:
        return {str(name): self.page_of(dest) for name, dest in self.reader.named_destinations.items()}

    def page_of(self, dest: Destination) -> int:
        return self.reader.get_destination_page_number(dest)

    @cached_property
    def outline(self) -> list[tuple[int, str, int]]:
        """(depth, title, page index) of every bookmark, in order."""
        return pdf_outline(self.reader)

    @cached_property
    def lines(self) -> list[list[str]]:
        """Each page's non-empty lines as poppler's pdftotext -layout prints them (pypdf's without it)."""
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-layout", str(self.path), "-"], capture_output=True, text=True,
                                  check=True).stdout
            pages = text.split("\f")[:len(self.reader.pages)]
        else:
            pages = [page.extract_text(extraction_mode="layout") or "" for page in self.reader.pages]
        return [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]

    def stamped(self, index: int) -> bool:
        """Whether page ``index`` had its folio stamped on (see octavo.writers.pdf.folios)."""
        xobjects = self.reader.pages[index]["/Resources"].get("/XObject") or {}
        return "/OctavoFolio" in xobjects

    def links(self, index: int) -> list[tuple[str, str]]:
        """("dest", name) or ("uri", address) for each link annotation of page ``index``."""
        found = []
        for ref in self.reader.pages[index].get("/Annots", []) or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            if "/Dest" in annot:
                found.append(("dest", str(annot["/Dest"])))
            elif "/A" in annot:
                found.append(("uri", str(annot["/A"].get("/URI", ""))))
        return found


@pytest.fixture(scope="session")
def sample_pdf(build_book: Callable[..., Path]) -> Pdf:
    return Pdf(next(build_book(ROOT / "book", ("pdf",)).glob("*.pdf")))


@pytest.fixture(scope="session")
def sherlock_pdf(build_book: Callable[..., Path]) -> Pdf:
    return Pdf(next(build_book(CORPUS / "sherlock", ("pdf",)).glob("*.pdf")))


def unpatched(source: Path, work: Path) -> Pdf:
    """``source``'s PDF with octavo's WeasyPrint patches off (OCTAVO_WEASY_PATCHES=0), at the
    default number of jobs, as a user would build it."""
    book = copy_book(source, work / source.name)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(weasy.SWITCH, "0")
        return Pdf(pdf_file(book, work / "dist", jobs=None))


@pytest.fixture(scope="session")
def sample_unpatched_pdf(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    return unpatched(ROOT / "book", tmp_path_factory.mktemp("unpatched"))


@pytest.fixture(scope="session")
def sherlock_unpatched_pdf(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    return unpatched(CORPUS / "sherlock", tmp_path_factory.mktemp("unpatched"))


@pytest.fixture(scope="session")
def sample_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Pdf]:
    """The sample book built serially and with two jobs (laid out once each, folios stamped on)."""
    work = tmp_path_factory.mktemp("jobs")
    book = copy_book(ROOT / "book", work / "book")
    return {jobs: Pdf(pdf_file(book, work / f"jobs-{jobs}", jobs=jobs)) for jobs in (1, 2)}


@pytest.fixture(scope="session")
def parallel_pdf(sample_pdfs: dict[int, Pdf]) -> Pdf:
    return sample_pdfs[2]


@pytest.fixture(params=["sample", "sherlock", "parallel", "sample_unpatched", "sherlock_unpatched"])
def any_pdf(request: pytest.FixtureRequest) -> Pdf:
    return request.getfixturevalue(f"{request.param}_pdf")  # type: ignore[no-any-return]


def test_page_labels_cover_then_roman_then_arabic(any_pdf: Pdf) -> None:
    labels = any_pdf.labels
    assert labels[:2] == ["Cover", "Inside cover"]
    front = [label for label in labels[2:] if not label.isdigit()]
    assert front == [roman(n) for n in range(1, len(front) + 1)]
    assert len(front) % 2 == 0, "the front matter ends on a left-hand page, so page 1 is on the right"
    body = labels[2 + len(front):]
    assert body == [str(n) for n in range(1, len(body) + 1)]


def test_outline_mirrors_the_contents(sample_pdf: Pdf) -> None:
    assert [(depth, title) for depth, title, _ in sample_pdf.outline if depth <= 1] == SAMPLE_OUTLINE
    sections = [title for depth, title, _ in sample_pdf.outline if depth == 2]
    assert "The stakeholder map" in sections


def test_sherlock_has_a_bookmark_per_story(sherlock_pdf: Pdf) -> None:
    titles = [title for depth, title, _ in sherlock_pdf.outline if depth == 0]
    stories = [t for t in titles if t != "Contents"]
    assert [re.sub(r"^\d+\. ", "", t) for t in stories][:12] == SHERLOCK_STORIES


def test_every_bookmark_lands_on_its_heading(any_pdf: Pdf) -> None:
    """A part's bookmark keeps its whole title ("Part II: The Techniques"); its page sets the label
    over the title, so the page reads "Part II", then "The Techniques"."""
    for _, title, page in any_pdf.outline:
        plain = re.sub(r"^\d+(\.\d+)*\. ", "", title)
        label = re.match(r"^(Part [IVXLC\d]+): (.+)$", plain)
        if label:
            plain = f"{label.group(1)} {label.group(2)}"
            assert any_pdf.texts[page].startswith(f"{label.group(1).upper()} "), (title, any_pdf.texts[page][:40])
        assert plain.upper() in any_pdf.texts[page].upper(), (title, any_pdf.labels[page])


def test_contents_numbers_are_the_labels_of_the_pages_where_entries_start(any_pdf: Pdf) -> None:
    start = any_pdf.dests["octavo--contents"]
    entries = [entry for entry in any_pdf.outline if entry[1] != "Contents"]
    end = min(page for _, _, page in entries if page > start)
    contents = " ".join(any_pdf.texts[start:end])
    position = 0
    for _, title, page in entries:
        plain = re.sub(r"^\d+(\.\d+)*\. ", "", title)
        pattern = re.escape(plain) + r" ?\.[ .]*" + re.escape(any_pdf.labels[page]) + r"\b"
        match = re.compile(pattern).search(contents, position)
        assert match, f"{title!r} with page {any_pdf.labels[page]} not in the contents"
        position = match.end()


def test_chapters_and_parts_open_on_right_hand_pages(any_pdf: Pdf) -> None:
    numbers = {roman(n): n for n in range(1, 100)} | {str(n): n for n in range(1, 10_000)}
    openings = [(title, page) for depth, title, page in any_pdf.outline
                if depth == 0 or re.match(r"\d+\. ", title)]
    assert len(openings) >= 12
    for title, page in openings:
        assert numbers[any_pdf.labels[page]] % 2 == 1, (title, any_pdf.labels[page])


def test_footnotes_are_on_the_page_of_their_call(sample_pdf: Pdf) -> None:
    notes = {name: page for name, page in sample_pdf.dests.items() if "--note-" in name}
    assert len(notes) >= 10
    for name, page in notes.items():  # a note goes with its first call; a later call links to it
        assert sample_pdf.dests[name.replace("--note-", "--noteref-")] == page, name
    page = sample_pdf.dests["04-respecting-stakeholders--noteref-map-origins"]
    assert "1. Castellanos and Mbeki trace the concentric-ring format" in sample_pdf.texts[page]


def test_fonts_are_embedded(any_pdf: Pdf) -> None:
    fonts = {}
    for page in any_pdf.reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for item in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                if "/FontDescriptor" in item:
                    fonts[str(item["/BaseFont"])] = item["/FontDescriptor"].get_object()
    assert fonts
    for name, descriptor in fonts.items():
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), name
    if shutil.which("pdffonts"):
        lines = subprocess.run(["pdffonts", str(any_pdf.path)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert lines and all(line.split()[-5] == "yes" for line in lines)


def test_metadata(sample_pdf: Pdf) -> None:
    info = sample_pdf.reader.metadata
    assert info is not None
    assert info.title == "Inner Leadership"
    assert info.author == "Maren Holt, David Okafor"
    assert (info.subject or "").startswith("Inner Leadership argues")
    assert "Self-help" in str(info.get("/Keywords"))
    assert sample_pdf.reader.trailer["/Root"]["/Lang"] == "en"


def test_xmp_metadata_repeats_the_information_with_each_author(sample_pdf: Pdf) -> None:
    """Archives and PDF/A read XMP rather than the document dictionary: the same title, the
    authors one by one, description, keywords, language and the build's dates, and no trace of
    the tool that wrote it in place of octavo."""
    info = sample_pdf.reader.metadata
    assert info is not None
    with pikepdf.open(sample_pdf.path) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode()
        meta = dict(pdf.open_metadata())
    dc, pdf_ns, xap = "{http://purl.org/dc/elements/1.1/}", "{http://ns.adobe.com/pdf/1.3/}", "{http://ns.adobe.com/xap/1.0/}"
    assert meta[dc + "title"] == info.title == "Inner Leadership"
    assert meta[dc + "creator"] == ["Maren Holt", "David Okafor"]
    assert meta[dc + "description"] == info.subject
    assert meta[pdf_ns + "Keywords"] == info["/Keywords"]
    assert meta[dc + "language"] == {"en"}
    assert meta[xap + "CreatorTool"].startswith("octavo")
    created = str(info["/CreationDate"])  # D:YYYYMMDDHHmmSSZ
    assert meta[xap + "CreateDate"].startswith(f"{created[2:6]}-{created[6:8]}-{created[8:10]}T")
    assert "MetadataDate" not in xmp


def test_running_heads(sample_pdf: Pdf) -> None:
    opening = sample_pdf.dests["02-knowing-yourself"]
    verso, recto = opening + 1, opening + 2
    assert int(sample_pdf.labels[verso]) % 2 == 0
    assert "INNER LEADERSHIP" in sample_pdf.texts[verso]
    assert "KNOWING YOURSELF BEFORE LEADING OTHERS" in sample_pdf.texts[recto]
    assert "INNER LEADERSHIP" not in sample_pdf.texts[opening], "no running head on a chapter opening"
    assert sample_pdf.texts[recto].endswith(sample_pdf.labels[recto])


def test_cover_is_a_full_page_image(sherlock_pdf: Pdf) -> None:
    cover = sherlock_pdf.reader.pages[0]
    assert sherlock_pdf.texts[0] == ""
    images = cover["/Resources"]["/XObject"]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in images.values())


def test_cross_chapter_links_are_live(sample_pdf: Pdf) -> None:
    part_two, target = sample_pdf.dests["part-2"], sample_pdf.dests["04-respecting-stakeholders"]
    links = [name for page in range(part_two, target) for kind, name in sample_pdf.links(page) if kind == "dest"]
    assert {f"0{n}-" for n in range(4, 10)} <= {name[:3] for name in links}
    assert "Technique 1: Authentically Respecting Stakeholders" in sample_pdf.texts[target]
    for index in range(len(sample_pdf.reader.pages)):
        for kind, name in sample_pdf.links(index):
            assert kind == "uri" or name in sample_pdf.dests, (sample_pdf.labels[index], name)
    contents = sample_pdf.dests["octavo--contents"]
    listed = [name for index in range(contents, sample_pdf.dests["preface"]) for _, name in sample_pdf.links(index)]
    assert {"preface", "part-1", "09-horizon-perspective", "04-respecting-stakeholders--stakeholder-map"} <= set(listed)


def test_every_numbered_page_shows_its_label_once_at_its_foot(sample_pdfs: dict[int, Pdf]) -> None:
    """Folios stamped on after a nominal layout read like those of a layout at the real numbers;
    the page opening a chapter, a part or the contents has none, as a book designer sets it."""
    for jobs, pdf in sample_pdfs.items():
        contents = pdf.dests["octavo--contents"]
        blanks = [index for index, lines in enumerate(pdf.lines) if not lines]
        assert any(index > contents for index in blanks), "the sample book has blank versos"
        openings = {index for name, index in pdf.dests.items() if "--" not in name or name == "octavo--contents"}
        # a part page (named page "plain") has no folio on its second page either
        openings |= {index + 1 for name, index in pdf.dests.items() if re.fullmatch(r"part-\d+", name)}
        checked = []
        for index in range(contents, len(pdf.labels)):
            if index in blanks:
                assert pdf.texts[index] == "", (jobs, pdf.labels[index])
                continue
            label, lines = pdf.labels[index], pdf.lines[index]
            if index in openings:
                assert lines[-1] != label, (jobs, label, "an opening page has no folio")
                continue
            assert lines[-1] == label, (jobs, label, lines[-2:])
            assert re.findall(rf"(?<![\w.]){re.escape(label)}(?![\w.])", " ".join(lines[-3:])) == [label], (jobs, label)
            checked.append(label)
        assert checked[0] == pdf.labels[contents + 1] == "vi", checked[:3]  # the contents' second page
        assert "4" in checked and any(index + 1 not in blanks for index in blanks)  # page 1 is Part I's
    parallel = sample_pdfs[2]
    body = [index for index in range(len(parallel.labels)) if parallel.labels[index].isdigit()]
    assert all(parallel.stamped(index) for index in body if parallel.lines[index]), "two jobs stamp the folios"
    assert not any(sample_pdfs[1].stamped(index) for index in body), "one job lays out at the real numbers"


def test_one_job_and_two_give_the_same_pages(sample_pdfs: dict[int, Pdf]) -> None:
    serial, parallel = sample_pdfs[1], sample_pdfs[2]
    assert parallel.labels == serial.labels
    assert parallel.lines == serial.lines
    assert parallel.outline == serial.outline
    assert parallel.dests == serial.dests


@pytest.mark.parametrize("book", ["sample", "sherlock"])
def test_the_patches_off_give_the_same_pages_text_and_numbers(book: str, request: pytest.FixtureRequest) -> None:
    """OCTAVO_WEASY_PATCHES=0 lays out with WeasyPrint as it is: only slower (and its streams
    compressed harder), never a different book."""
    patched: Pdf = request.getfixturevalue(f"{book}_pdf")
    plain: Pdf = request.getfixturevalue(f"{book}_unpatched_pdf")
    assert patched.path.read_bytes() != plain.path.read_bytes(), "the same bytes: were the patches off at all?"
    assert len(plain.reader.pages) == len(patched.reader.pages) > 20
    assert plain.labels == patched.labels
    assert plain.lines == patched.lines  # pdftotext, page by page: the contents' page numbers too
    assert plain.outline == patched.outline and plain.dests == patched.dests


def test_a_chapter_on_an_even_page_opens_on_a_left_hand_page(tmp_path: Path) -> None:
    """mdBook's nested chapters follow on the next page: the running heads say which side it is.
    The chapter's opening page has no folio (as every opening); the pages after it have theirs."""
    book = tmp_path / "book"
    (book / "src").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "Nested"\n', encoding="utf-8")
    (book / "src" / "SUMMARY.md").write_text("# Summary\n\n- [Outer](outer.md)\n    - [Inner](inner.md)\n",
                                             encoding="utf-8")
    (book / "src" / "outer.md").write_text("# Outer\n\nShort.\n", encoding="utf-8")
    (book / "src" / "inner.md").write_text("# Inner\n\n" + "Some text for a few pages.\n\n" * 90,
                                           encoding="utf-8")
    for jobs in (1, 2):
        pdf = Pdf(build(book, resolve(book, output=tmp_path / f"out-{jobs}", formats=["pdf"], jobs=jobs)).outputs[0])
        inner = pdf.dests["inner"]
        assert pdf.labels[inner:inner + 3] == ["2", "3", "4"]
        assert "INNER" in pdf.lines[inner + 1][0], "page 3 is a right-hand page: the chapter's title"
        assert "NESTED" in pdf.lines[inner + 2][0], "page 4 is a left-hand page: the book's title"
        assert pdf.lines[inner][-1] != "2" and "2" not in pdf.lines[inner], "an opening page has no folio"
        assert [pdf.lines[index][-1] for index in range(inner + 1, inner + 3)] == ["3", "4"]


def test_a_folio_mixed_with_a_running_head_is_laid_out_at_its_real_number(tmp_path: Path) -> None:
    """string() cannot be stamped on afterwards: such a book is laid out where each chapter lands.
    A rule for every page does not reach an opening page, which keeps octavo's: no folio."""
    mixed = '@page { @bottom-center { content: string(chapter-title) " \u00b7 " counter(page); } }\n'
    book = mini_book(tmp_path, {"one.md": "# One\n\n" + "Filler text.\n\n" * 60,
                                "two.md": "# Two\n\n" + "Filler text.\n\n" * 60})
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text(mixed, encoding="utf-8")
    pdf = Pdf(pdf_file(book, tmp_path / "out", jobs=2))
    body = [index for index, label in enumerate(pdf.labels) if label.isdigit() and pdf.lines[index]]
    assert len(body) >= 4
    openings = {pdf.dests["one"], pdf.dests["two"]}
    assert len(set(body) - openings) >= 2
    for index in body:
        title = "One" if index < pdf.dests["two"] else "Two"
        folio = f"{title} \u00b7 {pdf.labels[index]}"
        if index in openings:
            assert folio not in pdf.lines[index], "an opening page has no folio"
        else:
            assert pdf.lines[index][-1] == folio
        assert not pdf.stamped(index)


# Mini books -------------------------------------------------------------------------------------


def mini_book(tmp_path: Path, chapters: dict[str, str], extra: str = "") -> Path:
    book = tmp_path / "book"
    book.mkdir()
    names = ", ".join(f'"{name}"' for name in chapters)
    (book / "book.toml").write_text(f'[book]\ntitle = "Mini"\nchapters = [{names}]\n{extra}', encoding="utf-8")
    for name, text in chapters.items():
        (book / name).write_text(text, encoding="utf-8")
    return book


def test_links_between_chapters_and_to_the_web(tmp_path: Path) -> None:
    book = mini_book(tmp_path, {
        "one.md": "# One\n\nSee [the answer](two.md#answer) and [the web](https://example.org/x).\n",
        "two.md": "# Two\n\n" + "Filler text.\n\n" * 40 + "## The answer {#answer}\n\nForty-two.\n",
    })
    build(book, resolve(book, output=tmp_path / "out", formats=["pdf"]))
    pdf = Pdf(tmp_path / "out" / "mini.pdf")
    one = pdf.dests["one"]
    assert ("uri", "https://example.org/x") in pdf.links(one)
    assert ("dest", "two--answer") in pdf.links(one)
    assert "The answer" in pdf.texts[pdf.dests["two--answer"]]


@pytest.mark.parametrize(("markdown", "code"), [
    ("![gone](images/missing.png)", "image.invalid"),
    ("![outside](../outside.png)", "image.outside"),
    # url()s in style attributes are checked with the chapter, like src, before WeasyPrint runs
    ('<p style="background-image: url(images/missing.png)">styled</p>', "image.invalid"),
    ('<p style="background-image: url(file:///etc/hostname)">styled</p>', "image.remote"),
    ('<p style="background-image: url(https://example.org/x.png)">styled</p>', "image.remote"),
])
def test_images_outside_the_book_or_missing_fail_the_build(tmp_path: Path, markdown: str, code: str) -> None:
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    book = mini_book(tmp_path, {"one.md": f"# One\n\n{markdown}\n"})
    with pytest.raises(BookError) as failure:
        build(book, resolve(book, output=tmp_path / "out", formats=["pdf"]))
    found = [d for d in failure.value.diagnostics if d.code == code]
    assert found and found[0].path == "one.md" and found[0].line == 3, failure.value.diagnostics
    assert not (tmp_path / "out" / "mini.pdf").exists()


def test_fetcher_refuses_symlinks_out_of_the_book(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    (book / "images" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (book / "images" / "link.png").symlink_to(secret)
    fetcher = BookFetcher(book)
    assert fetcher.fetch((book / "images" / "ok.png").as_uri()).read().startswith(b"\x89PNG")
    for url in [(book / "images" / "link.png").as_uri(), secret.as_uri(), "http://example.org/a.png"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert [reason for _, reason in fetcher.refused] == [
        "the file is outside the book folder", "the file is outside the book folder",
        "only files inside the book folder can be used"]


# Whole builds -----------------------------------------------------------------------------------


def test_reproducible_silent_and_the_same_in_parallel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Two parallel builds (folios stamped on) give the same bytes; the default styles draw no warning,
    and the writer prints nothing: each unit it lays out is a step of ``options.progress``."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = copy_book(ROOT / "book", tmp_path / "book")
    caplog.set_level(logging.WARNING, logger="weasyprint")
    first = pdf_file(book, tmp_path / "one", jobs=2).read_bytes()
    info = PdfReader(io.BytesIO(first)).metadata
    assert info is not None and info["/CreationDate"] == info["/ModDate"] == "D:20231114221320Z"
    reported: list[object] = []
    assembled, _ = assemble(book)
    (tmp_path / "three").mkdir()
    steps: list[Progress] = []
    options = Options(tmp_path / "three", jobs=2, progress=steps.append, report=reported.append)
    third = write_pdf(assembled, tmp_path / "three", options)[0].read_bytes()
    assert third == first
    assert reported == []
    total = steps[0].total
    assert total > 10 and {step.done for step in steps} == set(range(1, total + 1))  # the contents twice
    assert {step.label for step in steps} >= {"Preface", "References"} and {step.task for step in steps} == {"pdf"}
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]
    assert capsys.readouterr().err == ""


def test_two_and_three_em_dashes_print_as_em_dashes(tmp_path: Path) -> None:
    """No installed font has U+2E3A/U+2E3B; the PDF sets them as the em dashes they look like, and
    only in print: the EPUB keeps the characters, for reading systems whose fonts have them."""
    book = mini_book(tmp_path, {"one.md": "# One\n\nTo Mr. \u2e3b\u2019s house, and then to \u2e3a.\n"})
    build(book, resolve(book, output=tmp_path / "out", formats=["pdf", "epub"]))
    text = " ".join(Pdf(tmp_path / "out" / "mini.pdf").texts)
    assert "Mr. \u2014\u2014\u2014\u2019s house" in text and "to \u2014\u2014." in text
    assert "\u2e3a" not in text and "\u2e3b" not in text
    with zipfile.ZipFile(tmp_path / "out" / "mini.epub") as epub:
        assert "Mr. \u2e3b\u2019s" in epub.read("EPUB/one.xhtml").decode()


def test_a_unit_laid_out_again_for_its_footnotes_keeps_its_other_pages_and_gives_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pepys's November 1660 has footnotes WeasyPrint moves off their call's page; its second layout
    makes again only the pages around the paragraphs the fixes touch and keeps the others. The
    PDF is byte for byte the one a whole second layout gives, and the notes stay with their calls."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    chapter = "013-chapter-11.md"
    book = mini_book(tmp_path, {chapter: (CORPUS / "pepys" / chapter).read_text(encoding="utf-8")})
    made: list[tuple[int, int]] = []
    layout = pdf_resume.layout

    def watched(*args: Any, **kwargs: Any) -> tuple[Any, pdf_resume.Recording]:
        document, recording = layout(*args, **kwargs)
        made.append((len(recording.made), len(document.pages)))
        return document, recording

    monkeypatch.setattr(pdf_resume, "layout", watched)
    kept = pdf_file(book, tmp_path / "kept", jobs=1).read_bytes()
    assert any(pages > 20 and 0 < count < pages / 2 for count, pages in made), made

    def not_in_step(*args: Any) -> None:
        raise pdf_resume._Restart

    monkeypatch.setattr(pdf_resume, "_caught_up", not_in_step)  # lays out whole, restoring the kept pages
    restarted = pdf_file(book, tmp_path / "restarted", jobs=1).read_bytes()
    monkeypatch.setattr(pdf_resume, "pages_to_remake", lambda *args: frozenset())
    whole = pdf_file(book, tmp_path / "whole", jobs=1).read_bytes()
    assert kept == whole == restarted
    pdf = Pdf(tmp_path / "kept" / "mini.pdf")
    notes = {name: page for name, page in pdf.dests.items() if "--note-" in name}
    assert len(notes) > 40
    assert all(pdf.dests[name.replace("--note-", "--noteref-")] == page for name, page in notes.items())


def test_a_missing_font_subsetter_is_one_notice_for_the_build_not_a_warning_per_chapter() -> None:
    """Without libharfbuzz-subset WeasyPrint warns for every document it writes; that is about the
    machine, so it becomes one notice with the package to install, while WeasyPrint's remarks about
    a chapter stay warnings of that chapter."""
    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("weasyprint", logging.WARNING, "", 0, message, (), None)

    machine = 'Using fontTools instead of HarfBuzz-Subset for font "DejaVu Serif". Please install HarfBuzz-Subset'
    notices = {_logged(record(machine), source) for source in ["one.md", "two.md"]}
    assert len(notices) == 1
    (notice,) = notices
    assert notice.severity is Severity.NOTICE and notice.path == "" and "libharfbuzz-subset0" in (notice.hint or "")
    other = _logged(record("Ignored `foo: bar` at 3:1, unknown property."), "one.md")
    assert other.severity is Severity.WARNING and other.path == "one.md"


def noted_chapter(count: int) -> str:
    """Short paragraphs, each with a footnote: several notes a page, some of two paragraphs or with
    a list, some too long for what is left of their page."""
    text, notes = ["# Noted\n"], []
    for n in range(1, count + 1):
        text.append(f"Paragraph {n} " + "goes on about the day " * (n % 5 + 2) + f"and ends.[^n{n}]\n")
        note = f"Note {n} " + "adds a word or two more " * (n % 7 + 1) + "."
        if n % 4 == 0:
            note += "\n\n    A second paragraph of the note, " + "which runs on " * (n % 3 + 1) + "."
        if n % 6 == 0:
            note += "\n\n    - one item\n    - another item"
        notes.append(f"[^n{n}]: {note}")
    return "\n".join(text) + "\n" + "\n\n".join(notes) + "\n"


@pytest.mark.parametrize(("css", "fast"), [
    ("span.footnote { margin: 0.2em 0 0.6em; }", True),  # margins collapse between notes
    ("@page { @footnote { padding-top: 0; border-top: none; } }", False),  # area and first note collapse
])
def test_footnote_area_measured_from_cached_notes_gives_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, css: str, fast: bool) -> None:
    """pdf_note_area lays each note out once per page instead of the whole footnote area at each
    change; the PDF is byte for byte the one WeasyPrint's own method gives, whether the fast path
    ran (it must, with octavo's @footnote) or fell back to the original."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    book = mini_book(tmp_path, {"noted.md": noted_chapter(40)})
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text(css, encoding="utf-8")
    assert weasy.weasyprint_version() == weasy.PINNED, "another WeasyPrint: check the patches anew, then move PINNED"
    assert pdf_note_area.applies(), "note_area no longer applies to this WeasyPrint: check it anew"
    before = Counter(pdf_note_area.STATS)
    patched = pdf_file(book, tmp_path / "patched", jobs=1, use_cache=False).read_bytes()
    after = Counter(pdf_note_area.STATS)
    ran = after - before
    if fast:
        assert ran["fast"] > 20 and ran["fallback"] == 0, ran
        assert ran["notes laid out"] < ran["notes in fast runs"] / 2, ran
    else:
        assert ran["fast"] == 0 and ran["fallback: area margin collapses with the first note"] > 20, ran
    monkeypatch.setattr(pdf_note_area, "install", lambda: False)
    monkeypatch.setattr(LayoutContext, "_update_footnote_area", pdf_note_area.original())
    plain = pdf_file(book, tmp_path / "plain", jobs=1, use_cache=False).read_bytes()
    assert after == pdf_note_area.STATS, "WeasyPrint's own method ran"
    assert len(PdfReader(io.BytesIO(plain)).pages) >= 4
    assert patched == plain


def test_margin_boxes_that_show_nothing_are_not_measured_and_the_bytes_are_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pdf_margins skips measuring the margin boxes WeasyPrint drops (an edge showing nothing, an
    empty corner); the PDF is byte for byte WeasyPrint's own, with the default running heads and
    folios and with boxes on a side edge and in a corner."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    book = mini_book(tmp_path, {"one.md": "# One\n\n" + "A line of text that fills the page. " * 400,
                                "two.md": noted_chapter(12)})
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text(
        '@page :left { @left-middle { content: "side"; } @top-left-corner { content: "c"; } }', encoding="utf-8")
    assert weasy.weasyprint_version() == weasy.PINNED, "another WeasyPrint: check the patches anew, then move PINNED"
    assert pdf_margins.applies(), "margins no longer applies to this WeasyPrint: check it anew"
    seen: list[frozenset[str]] = []
    dropped = pdf_margins.dropped
    monkeypatch.setattr(pdf_margins, "dropped", lambda context, page: seen.append(dropped(context, page)) or seen[-1])
    patched = pdf_file(book, tmp_path / "patched", jobs=1, use_cache=False).read_bytes()
    assert len(seen) >= 8
    assert all("@bottom-right-corner" in keywords and "@right-middle" in keywords for keywords in seen)
    assert any("@left-middle" not in keywords and "@top-left-corner" not in keywords for keywords in seen)
    assert any("@left-middle" in keywords for keywords in seen)  # right-hand pages show no side box
    monkeypatch.setattr(pdf_margins, "install", lambda: False)
    pdf_margins.uninstall()
    pages = len(seen)
    plain = pdf_file(book, tmp_path / "plain", jobs=1, use_cache=False).read_bytes()
    assert len(seen) == pages, "the wrapper ran"
    reader = PdfReader(io.BytesIO(plain))
    assert len(reader.pages) >= 8 and any("side" in page.extract_text() for page in reader.pages)
    assert patched == plain


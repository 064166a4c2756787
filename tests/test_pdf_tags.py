"""The tagged PDF (PDF/UA-1), read back with pikepdf and pypdf: one structure tree for the joined
book, every page's marked content in it, running heads, folios and leaders as artifacts, and the
text read in the tree's order in the order of the source.

The machine-checkable rules of PDF/UA-1 (the Matterhorn protocol's, as veraPDF has them) are
checked by ``page`` (PyPI ``page-validation``, a validator that passes veraPDF's test corpus);
veraPDF itself is not installable from the registries this project reaches. Neither checks what
needs a person: whether an alt text or the reading order makes sense, colour contrast.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import page as validator  # PyPI page-validation
import pikepdf
import pytest
from conftest import ROOT
from PIL import Image
from pypdf import PdfReader
from test_pdf import SAMPLE_OUTLINE, Pdf, parallel_pdf, sample_pdf, sample_pdfs, sherlock_pdf  # noqa: F401 (fixtures)

from octavo.diagnostics import Diagnostic, Severity
from octavo.options import resolve
from octavo.pipeline import build

MCID = re.compile(rb"<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
Mark = tuple[int, int]  # (page index, MCID)


@pytest.fixture(params=["sample", "parallel", "sherlock"])
def tagged(request: pytest.FixtureRequest) -> Pdf:
    return request.getfixturevalue(f"{request.param}_pdf")  # type: ignore[no-any-return]


class Tree:
    """The structure tree of a PDF: its elements in order, and their marked content."""

    def __init__(self, path: Path) -> None:
        self.pdf = pikepdf.open(path)
        self.root = self.pdf.Root.StructTreeRoot
        self.pages = {page.objgen: number for number, page in enumerate(self.pdf.pages)}
        self.elements: list[pikepdf.Dictionary] = []
        self.marks: list[Mark] = []  # in the tree's order
        self.owner: dict[Mark, pikepdf.Dictionary] = {}
        self.wrong_parents = 0
        self.spans: dict[tuple[int, int], tuple[int, int]] = {}  # element: its range of ``marks``
        kids = self.root.K
        documents = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        assert [str(d.S) for d in documents] == ["/Document"], "one /Document holds the whole book"
        self._walk(documents[0], self.root)

    def _walk(self, element: pikepdf.Dictionary, parent: pikepdf.Object) -> None:
        self.elements.append(element)
        start = len(self.marks)
        self.wrong_parents += element.P.objgen != parent.objgen
        kids = element.K
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                mark = (self.pages[element.Pg.objgen], int(kid))
                self.marks.append(mark)
                self.owner[mark] = element
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                mark = (self.pages[kid.Pg.objgen], int(kid.MCID))
                self.marks.append(mark)
                self.owner[mark] = element
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
                self._walk(kid, element)
        self.spans[element.objgen] = (start, len(self.marks))

    def texts(self, path: Path) -> list[str]:
        """The text of each of ``marks``."""
        reader = PdfReader(path)
        pages: dict[int, dict[int, str]] = {}
        for page, _ in self.marks:
            if page not in pages:
                pages[page] = marked_text(reader, page)
        return [pages[page].get(mcid, "") for page, mcid in self.marks]

    def text_of(self, texts: list[str], element: pikepdf.Dictionary) -> str:
        start, end = self.spans[element.objgen]
        return plain(" ".join(texts[start:end]))

    def parent_tree(self) -> dict[int, pikepdf.Object]:
        nums = self.root.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert len(keys) == len(set(keys)) and keys == sorted(keys), "each /ParentTree key once, in order"
        return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def content_mcids(page: pikepdf.Page) -> list[int]:
    contents = page.obj.get("/Contents")
    streams = [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return [int(m) for stream in streams for m in MCID.findall(stream.read_bytes())]


def marked_text(reader: PdfReader, index: int) -> dict[int, str]:
    """The text of each MCID of a page, as pypdf decodes it (through the fonts' /ToUnicode)."""
    texts: dict[int, str] = defaultdict(str)
    stack: list[int | None] = []

    def before(operator: bytes, operands: list[object], *_: object) -> None:
        if operator == b"BDC":
            properties = operands[1]
            stack.append(int(properties["/MCID"]) if isinstance(properties, dict) and "/MCID" in properties
                         else None)
        elif operator == b"BMC":
            stack.append(None)
        elif operator == b"EMC" and stack:
            stack.pop()

    def text(chunk: str, *_: object) -> None:
        if stack and stack[-1] is not None:
            texts[stack[-1]] += chunk

    reader.pages[index].extract_text(visitor_operand_before=before, visitor_text=text)
    return texts


def read_in_tree_order(path: Path, tree: Tree) -> str:
    return plain(" ".join(tree.texts(path)))


def plain(text: str) -> str:
    """Words as a reader hears them: line-end hyphens joined, quotes and spaces made plain."""
    text = re.sub("[\u2010\u00ad]\\s+", "", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def test_the_catalogue_says_tagged_pdf_ua_1(tagged: Pdf) -> None:
    pdf = pikepdf.open(tagged.path)
    assert pdf.Root.MarkInfo.Marked is True
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.Root.Lang) in ("en", "en-GB")  # book.toml's language
    meta = pdf.open_metadata()
    assert meta["pdfuaid:part"] == "1"
    assert meta["dc:title"]
    assert all(int(page.obj.StructParents) >= 0 for page in pdf.pages if content_mcids(page))


def test_a_pdf_ua_1_validator_finds_nothing_to_fault(tagged: Pdf) -> None:
    report = validator.validate_pdf(tagged.path, profile="ua1")
    assert [f"{f.rule_id}: {f.message}" for f in report.failures] == []
    assert report.is_compliant and report.rules.total > 100


def test_the_validator_faults_an_untagged_pdf(tagged: Pdf, tmp_path: Path) -> None:
    """It is a real check: the same PDF without its tree, or without its identification, fails."""
    for strip in ("/StructTreeRoot", "/Metadata"):
        pdf = pikepdf.open(tagged.path)
        del pdf.Root[strip]
        pdf.save(tmp_path / "stripped.pdf")
        assert not validator.validate_pdf(tmp_path / "stripped.pdf", profile="ua1").is_compliant


def test_every_pages_marked_content_belongs_to_the_one_tree(tagged: Pdf) -> None:
    tree = Tree(tagged.path)
    assert tree.wrong_parents == 0, "every element's /P is the element that holds it"
    assert len(tree.marks) == len(set(tree.marks)), "no marked content is in the tree twice"
    parents = tree.parent_tree()
    assert int(tree.root.ParentTreeNextKey) > max(parents)
    in_content: set[Mark] = set()
    keys: list[int] = []
    for number, page in enumerate(tree.pdf.pages):
        mcids = content_mcids(page)
        assert len(mcids) == len(set(mcids)), f"page {number}: an MCID twice"
        in_content |= {(number, mcid) for mcid in mcids}
        if mcids:
            keys.append(int(page.obj.StructParents))
            marked = parents[keys[-1]]
            for mcid in mcids:
                assert marked[mcid].objgen == tree.owner[(number, mcid)].objgen, f"page {number}, MCID {mcid}"
    assert len(keys) == len(set(keys)), "each page its own /StructParents"
    assert in_content == set(tree.marks), "the tree holds all the marked content of the pages, and only it"


def test_links_are_in_the_tree_both_ways(tagged: Pdf) -> None:
    tree = Tree(tagged.path)
    parents = tree.parent_tree()
    links = [a for page in tree.pdf.pages for a in page.obj.get("/Annots", []) if a.Subtype == "/Link"]
    assert links
    for link in links:
        element = parents[int(link.StructParent)]
        assert element.S == "/Link" and "/Contents" in link
        assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" and
                   kid.Obj.objgen == link.objgen for kid in element.K)


def test_running_heads_folios_and_leaders_are_artifacts(request: pytest.FixtureRequest) -> None:
    for pdf in request.getfixturevalue("sample_pdfs").values():
        tree = Tree(pdf.path)
        text = read_in_tree_order(pdf.path, tree)
        assert "INNER LEADERSHIP" not in text, "running heads are not read"
        assert ". . ." not in text and "..." not in text, "nor are the contents' leaders"
        contents = tree.pdf.pages[next(page for _, label, page in pdf.outline if label == "Contents")]
        data = b"".join(s.read_bytes() for s in _streams(contents))
        assert data.count(b"/Artifact BMC") > 100, "the leaders' dots are drawn as artifacts"
        assert re.search(r"What Is Inner Leadership\? \d+ ", text), "an entry is read with its page number"
        recto = pdf.dests["02-knowing-yourself"] + 2
        label = pdf.labels[recto]
        assert label in pdf.texts[recto]
        marked = [t.strip() for t in marked_text(PdfReader(pdf.path), recto).values()]
        assert label not in marked and "KNOWING YOURSELF BEFORE LEADING OTHERS" not in marked
        assert b"/Artifact BMC" in b"".join(s.read_bytes() for s in _streams(tree.pdf.pages[recto]))


def _streams(page: pikepdf.Page) -> Iterator[pikepdf.Stream]:
    contents = page.obj.Contents
    yield from contents if isinstance(contents, pikepdf.Array) else [contents]


def test_text_in_tree_order_is_the_source_order(request: pytest.FixtureRequest) -> None:
    sample: Pdf = request.getfixturevalue("sample_pdf")
    tree = Tree(sample.path)
    texts = tree.texts(sample.path)
    headings = [tree.text_of(texts, e) for e in tree.elements if e.S == "/H1"]
    chapters = [plain(title.split(". ", 1)[1]) for _, title in SAMPLE_OUTLINE if title[0].isdigit()]
    assert [h for h in headings if h in chapters] == chapters, "each chapter's heading, in order"
    text, position, checked = plain(" ".join(texts)), 0, 0
    parts = sorted((ROOT / "book").glob("part-*"))  # each part's overview on its page, then its chapters
    for source in [f for part in parts for f in sorted(part.glob("*.md"), key=lambda f: (f.stem != "overview", f))]:
        for paragraph in source.read_text().split("\n\n"):
            opening = " ".join(paragraph.split()[:8])
            if paragraph.startswith(" ") or not re.fullmatch(r"[A-Z][\w ,;'’-]+", opening):
                continue  # markup, a heading, a list, a note's paragraph (read at the foot of its page)
            found = text.find(plain(opening), position)
            assert found >= 0, f"{source.name}: '{opening}' is read after what comes before it"
            position, checked = found, checked + 1
    assert checked > 40


def test_figures_have_alt_text_and_table_cells_name_their_headers(request: pytest.FixtureRequest) -> None:
    sample: Pdf = request.getfixturevalue("sample_pdf")
    tree = Tree(sample.path)
    kinds = {str(e.S) for e in tree.elements}
    assert {"/H1", "/H2", "/P", "/L", "/LI", "/Table", "/TH", "/TD", "/Link", "/Figure"} <= kinds
    figures = [e for e in tree.elements if e.S == "/Figure"]
    assert figures and all(str(e.get("/Alt", "")).strip() for e in figures)
    ids = dict(pikepdf.NameTree(tree.root.IDTree).items())
    headers = [e for e in tree.elements if e.S == "/TH"]
    assert headers and {str(e.ID) for e in headers} == set(ids)
    cells = [e for e in tree.elements if e.S == "/TD"]
    assert cells and all({str(h) for h in e.A.Headers} <= set(ids) and len(e.A.Headers) for e in cells)


def test_an_image_without_alt_text_is_a_warning_and_the_pdf_is_still_written(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    Image.new("RGB", (40, 30), "red").save(book / "images" / "red.png")
    (book / "book.toml").write_text('[book]\ntitle = "Alt"\nlanguage = "en"\nchapters = ["one.md"]\n', encoding="utf-8")
    (book / "one.md").write_text("# One\n\n![](images/red.png)\n\nText.\n", encoding="utf-8")
    reported: list[Diagnostic] = []
    options = replace(resolve(book, output=tmp_path / "out", formats=["pdf"], jobs=1), report=reported.append)
    result = build(book, options)
    assert "/StructTreeRoot" in pikepdf.open(result.outputs[0]).Root
    said = [d for d in [*reported, *result.diagnostics] if d.code == "pdf.alt"]
    assert said and all(d.severity == Severity.WARNING and d.path == "one.md" for d in said)

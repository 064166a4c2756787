"""Quarto and pandoc projects built as they are (issue 18, items 6 to 8): tests/books/quarto and
tests/books/pandoc, written for these tests, read without a book.toml; the pandoc book compared
with what pandoc itself (pypandoc-binary) makes of the same defaults file; and the folders octavo
cannot read, which must say what was looked for."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pypandoc
import pytest
from conftest import BOOKS, NS, Epub, build_into, copy_book, epubcheck_messages, heading_title
from lxml import etree

from octavo.diagnostics import BookError, Diagnostic
from octavo.load import load_book
from octavo.markdown import to_xhtml
from octavo.model import Kind
from octavo.pipeline import assemble
from octavo.transforms.numbering import number_chapters

QUARTO = BOOKS / "quarto"
PANDOC = BOOKS / "pandoc"


def text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def epub_of(build_book: Callable[..., Path], source: Path) -> Epub:
    return Epub(next(build_book(source).glob("*.epub")))


def problems_of(source: Path) -> list[Diagnostic]:
    _, problems = assemble(source)
    return problems


# Quarto


@pytest.fixture(scope="module")
def quarto(build_book: Callable[..., Path]) -> Epub:
    return epub_of(build_book, QUARTO)


def test_a_quarto_book_reads_its_metadata_from_quarto_yml(quarto: Epub) -> None:
    assert quarto.meta("title") == ["Tide Tables", "A Small Quarto Book"]  # main title, then the subtitle
    assert quarto.meta("creator") == ["Ada Marsh", "Ben Ould"]
    assert quarto.meta("language") == ["en-GB"]
    assert quarto.meta("date")[0].startswith("2025-03-01")
    cover = [i for i in quarto.manifest().values() if "cover-image" in (i.get("properties") or "")]
    assert [c.get("href") for c in cover] == ["images/cover-2560.jpg"]  # the book's SVG, rasterised


def test_a_quarto_book_keeps_its_reading_order_parts_and_appendices(quarto: Epub) -> None:
    book, _ = load_book(QUARTO)
    assert [c.source for c in book.front] == ["index.qmd"]
    assert [p.title for p in book.parts()] == ["Tides", "Measuring"]
    assert [[c.source for c in p.chapters] for p in book.parts()] == [["moon.qmd", "sun.md"],
                                                                       ["units.qmd", "gauges.qmd"]]
    assert [c.source for c in book.back] == ["references.qmd", "tables.qmd"]
    assert book.config.site.base_url == "https://example.org/tides"
    assert book.config.citations.style == "apa.csl" and book.config.citations.bibliography == ("references.bib",)
    spine = quarto.spine_hrefs()
    assert spine[spine.index("toc.xhtml") + 1:] == [
        "chapter-index.xhtml", "intro.xhtml", "part-1.xhtml", "moon.xhtml", "sun.xhtml", "part-2.xhtml",
        "units.xhtml", "gauges.xhtml", "references.xhtml", "tables.xhtml"]


def test_an_unnumbered_chapter_between_numbered_ones_takes_no_number(quarto: Epub) -> None:
    """Quarto: "You can mix together numbered and unnumbered chapters" ({.unnumbered} on its heading)."""
    assert text(quarto.xml("gauges.xhtml").xpath("//x:h1", namespaces=NS)[0]).startswith("Chapter 4")
    units = quarto.xml("units.xhtml")
    assert [text(h) for h in units.xpath("//x:h1", namespaces=NS)] == ["A Note on Units"]  # no "Chapter" label
    book = number_chapters(load_book(QUARTO)[0])
    assert [(c.source, c.number) for c in book.chapters() if c.kind is Kind.CHAPTER] == [
        ("intro.qmd", "1"), ("moon.qmd", "2"), ("sun.md", "3"), ("units.qmd", ""), ("gauges.qmd", "4")]


def test_appendices_are_lettered_as_quarto_letters_them(quarto: Epub) -> None:
    """Quarto's ``appendices:``: "Appendix A" over the title, its table A.1, references that say so."""
    book = number_chapters(load_book(QUARTO)[0])
    assert [(c.source, c.number, c.appendix) for c in book.back] == [("references.qmd", "", False),
                                                                  ("tables.qmd", "A", True)]
    page = quarto.xml("tables.xhtml")
    assert text(page.xpath("//x:h1", namespaces=NS)[0]).startswith("Appendix A")
    assert page.xpath("//x:section/@epub:type", namespaces=NS) == ["appendix"]
    assert text(page.xpath("//x:caption", namespaces=NS)[0]).startswith("Table A.1")
    gauges = text(quarto.xml("gauges.xhtml").xpath("//x:p[contains(., 'spring tides')]", namespaces=NS)[0])
    assert "in Table A.1, in Appendix A." in gauges


def test_links_to_quartos_html_names_land_on_the_chapters(quarto: Epub) -> None:
    page = quarto.xml("gauges.xhtml")
    assert page.xpath("//x:a[.='the introduction']/@href", namespaces=NS) == ["intro.xhtml"]
    assert page.xpath("//x:a[.='its chapter']/@href", namespaces=NS) == ["moon.xhtml#the-pull"]
    assert quarto.xml("units.xhtml").xpath("//x:a[.='the tables']/@href", namespaces=NS) == ["tables.xhtml"]


def test_a_part_file_gives_its_title_once(quarto: Epub) -> None:
    page = quarto.xml("part-1.xhtml")
    assert [text(h) for h in page.xpath("//x:h1 | //x:h2 | //x:h3", namespaces=NS)] == ["Tides"]
    assert "this part says why" in text(page)


def test_executable_cells_are_code_without_options_and_noted_once(quarto: Epub) -> None:
    page = quarto.xml("intro.xhtml")
    blocks = page.xpath("//x:pre[@class='highlight']/x:code", namespaces=NS)
    assert [b.get("class") for b in blocks] == ["language-python", "language-r"]
    assert ["".join(b.itertext()) for b in blocks] == [
        "heights = [1.2, 3.4, 2.2]\nprint(max(heights))\n", "mean(c(1.2, 3.4, 2.2))\n"]
    assert blocks[0].xpath(".//x:span[@class='n']", namespaces=NS)  # highlighted
    notes = [p for p in problems_of(QUARTO) if p.code == "code.not-run"]
    assert len(notes) == 1 and (notes[0].path, notes[0].line) == ("intro.qmd", 9)
    assert "3 executable cells" in notes[0].message and "2 chapters" in notes[0].message


def test_image_attributes_become_valid_xhtml_or_a_warning(quarto: Epub) -> None:
    images = {i.get("alt"): i for i in quarto.xml("intro.xhtml").xpath("//x:img", namespaces=NS)}
    assert dict(images["A tide gauge"].attrib) == {"src": "images/gauge.svg", "alt": "A tide gauge",
                                                   "data-fig-align": "center", "style": "width: 80%"}
    assert (images["A gauge, smaller"].get("width"), images["A gauge, smaller"].get("style")) == ("120", "height: 1in")
    assert "width" not in images["A gauge, badly sized"].attrib
    warned = [p for p in problems_of(QUARTO) if p.code == "attribute.value"]
    assert [(p.path, p.line, p.severity.value) for p in warned] == [("intro.qmd", 35, "warning")]
    assert 'width="wide"' in warned[0].message


def test_quarto_callouts_spans_and_citations(quarto: Epub) -> None:
    page = quarto.xml("intro.xhtml")
    callouts = page.xpath("//x:div[contains(concat(' ', @class, ' '), ' callout ')]", namespaces=NS)
    assert [(c.get("class"), text(c.xpath("x:p[@class='callout-title']", namespaces=NS)[0])) for c in callouts] \
        == [("callout callout-note", "Note"), ("callout callout-tip", "Reading a table")]
    span = page.xpath("//x:span[contains(@class, 'smallcaps')]", namespaces=NS)[0]
    assert text(span) == "of note" and span.get("data-align") == "left" and span.get("lang") == "fr"
    assert "Doodson" in text(page)  # cited with the book's own CSL file and bibliography
    assert "Admiralty manual of tides" in text(quarto.xml("references.xhtml"))


def test_the_quarto_book_passes_epubcheck(quarto: Epub) -> None:
    assert epubcheck_messages(quarto.path) == []


# pandoc


@pytest.fixture(scope="module")
def pandoc(build_book: Callable[..., Path]) -> Epub:
    return epub_of(build_book, PANDOC)


def pandoc_epub(tmp_path: Path) -> zipfile.ZipFile:
    """What pandoc makes of the same defaults file, in the book's folder as its authors run it."""
    book = copy_book(PANDOC, tmp_path / "pandoc")
    out = tmp_path / "pandoc.epub"
    subprocess.run([pypandoc.get_pandoc_path(), "--defaults", "book.yaml", "-o", str(out)], cwd=book, check=True,
                   capture_output=True)
    return zipfile.ZipFile(out)


def outline(nav: etree._Element, xpath: str) -> list[tuple[int, str]]:
    """(depth, title) of the contents' entries."""
    return [(len(link.xpath("ancestor::x:ol", namespaces=NS)), text(link)) for link in nav.xpath(xpath, namespaces=NS)]


def heading_id(heading: etree._Element) -> str:
    """A heading's id, or its section's (pandoc puts it there)."""
    parent = heading.getparent()
    section = parent if parent is not None and "level" in (parent.get("class") or "") else None
    return heading.get("id") or (section.get("id") if section is not None else "") or ""


def structure(page: etree._Element) -> list[tuple[str, ...]]:
    """What must be the same in both: headings, table cells, line blocks, sub/superscripts, spans."""
    found: list[tuple[str, ...]] = []
    for element in page.xpath("//x:h1 | //x:h2 | //x:table | //x:div[@class='line-block'] | //x:sub | //x:sup"
                              " | //x:span[@class='smallcaps'] | //x:p[@class='raw-note']", namespaces=NS):
        tag = etree.QName(element).localname
        if tag == "table":
            cells = (text(c) for c in element.xpath(".//x:th | .//x:td", namespaces=NS))
            found.append(("table", *widths(element), *cells))
        elif tag == "div":
            found.append(("lines", *"".join(element.itertext()).replace("\u00a0", " ").strip("\n").split("\n")))
        elif tag in ("h1", "h2"):
            found.append((tag, heading_title(element), heading_id(element)))
        else:
            found.append((tag, text(element)))
    return found


def test_a_pandoc_defaults_file_gives_pandocs_contents(pandoc: Epub, tmp_path: Path) -> None:
    theirs = pandoc_epub(tmp_path)
    their_nav = etree.fromstring(theirs.read("EPUB/nav.xhtml"))
    our_nav = pandoc.xml(next(h for h, i in pandoc.manifest().items() if "nav" in (i.get("properties") or "")))
    # octavo adds a References page for the book's bibliography; pandoc cites only with --citeproc
    ours = outline(our_nav, "//x:nav[@epub:type='toc']//x:li[not(@class='toc-back')]/x:a")
    assert ours == outline(their_nav, "//x:nav[@epub:type='toc']//x:a") == [
        (1, "The Lamp"), (2, "Keeping Watch"), (1, "The Wick"), (1, "Oil"), (2, "Storage")]
    assert pandoc.meta("title") == ["The Lantern Keeper"] and pandoc.meta("creator") == ["Clara Fenn"]
    assert pandoc.meta("language") == ["en-US"] and pandoc.meta("rights") == ["CC BY 4.0"]


def test_pandoc_markdown_reads_as_pandoc_reads_it(pandoc: Epub, tmp_path: Path) -> None:
    theirs = pandoc_epub(tmp_path)
    their_pages = [etree.fromstring(theirs.read(f"EPUB/text/ch00{n}.xhtml")) for n in (1, 2, 3)]
    our_pages = [pandoc.xml(f"{name}.xhtml") for name in ("01-lamp", "02-wick", "03-oil")]
    for our_page, their_page in zip(our_pages, their_pages, strict=True):
        assert structure(our_page) == structure(their_page)
    assert ("lines", "Ninety steps up,", "    ninety steps down,", "and the light between.") \
        in structure(our_pages[0])
    assert ("table", "width:32%", "width:15%", "width:16%", "Oil", "Burns", "Colza", "Clean", "Whale", "Bright") \
        in structure(our_pages[2])  # the grid table's relative widths, as pandoc's
    assert text(our_pages[1].xpath("//x:table/x:caption", namespaces=NS)[0]) == "Sizes of the lamp’s parts"


MULTILINE = """\
-------------------------------------------------------------
 Centered   Default           Right Left
  Header    Aligned         Aligned Aligned
----------- ------- --------------- -------------------------
   First    row                12.0 Example of a row that
                                    spans *multiple* lines.

  Second    row                 5.0 Here's another one. Note
                                    the blank line between
                                    rows.
-------------------------------------------------------------

Table: Here's the caption. It, too, may span
multiple lines.

----------- ------- --------------- -------------------------
   First    row                12.0 Example of a row that
                                    spans multiple lines.

  Second    row                 5.0 Here's another one.
----------- ------- --------------- -------------------------

: A multiline table without a header.

----- -----
  a     b
  c     d
----- -----
"""


def cells(table: etree._Element) -> list[tuple[str, str, str]]:
    """(tag, text-align, text) of each cell of a table, pandoc's or octavo's."""
    return [(etree.QName(cell).localname, (cell.get("style") or "").replace(" ", "").rstrip(";"), text(cell))
            for cell in table.xpath(".//*[local-name()='th' or local-name()='td']")]


def widths(table: etree._Element) -> tuple[str, ...]:
    """A table's width and its columns' (``width:NN%``, "" for none) as pandoc or octavo writes them."""
    def style(element: etree._Element) -> str:
        return (element.get("style") or "").replace(" ", "").rstrip(";")

    return (style(table), *(style(col) for col in table.xpath("./*[local-name()='colgroup']/*[local-name()='col']")))


GRID = """\
+--------------+-------+------------------------+
| Lamp         | Oil   | Notes                  |
+==============+=======+========================+
| Argand       | Colza | Hollow wick,           |
|              |       | glass chimney.         |
+--------------+-------+------------------------+

+-------------------------------------------+--------------------------------------+
| A table wider than pandoc's 72 columns    | so its widths are shares of its own  |
+-------------------------------------------+--------------------------------------+

+-----+----+
| a   | b  |
+=====+====+
| c   | d  |
+-----+----+
"""


def test_grid_and_multiline_tables_keep_pandocs_relative_column_widths() -> None:
    """Each table's width and its columns' as pandoc's HTML has them (``<col style="width: 16%">``),
    for the multiline tables of pandoc's own example and grid tables narrower and wider than the
    72 columns the widths are shares of; a simple table has none, in pandoc as here."""
    for source in (MULTILINE, GRID):
        theirs = etree.fromstring(f"<div>{pypandoc.convert_text(source, 'html', format='markdown')}</div>")
        ours = etree.fromstring(f"<div>{to_xhtml(source, 'en')[0]}</div>")
        found = [widths(table) for table in ours.xpath("//table")]
        assert found == [widths(table) for table in theirs.xpath("//table")]
        assert all(table.xpath("*[1][self::caption] or not(caption)") for table in ours.xpath("//table"))
    assert found == [("width:67%", "width:20%", "width:11%", "width:34%"), ("", "width:53%", "width:46%"),
                     ("width:15%", "width:8%", "width:6%")]
    multiline = etree.fromstring(f"<div>{to_xhtml(MULTILINE, 'en')[0]}</div>").xpath("//table")
    assert [widths(table) for table in multiline] == [("width:86%", "width:16%", "width:11%", "width:22%",
                                                       "width:36%")] * 2 + [("",)]


def test_multiline_tables_read_as_pandoc_reads_them(pandoc: Epub) -> None:
    """pandoc's own example of a multiline table, with and without a header, and a headless simple
    table (no blank line inside), which must stay one: compared with pandoc's HTML of the same text."""
    theirs = etree.fromstring(f"<div>{pypandoc.convert_text(MULTILINE, 'html', format='markdown')}</div>")
    ours = etree.fromstring(f"<div>{to_xhtml(MULTILINE, 'en')[0]}</div>")
    their_tables, our_tables = theirs.xpath("//table"), ours.xpath("//table")
    assert len(our_tables) == len(their_tables) == 3
    for our_table, their_table in zip(our_tables, their_tables, strict=True):
        assert cells(our_table) == cells(their_table)
        assert [" ".join(c.split()) for c in our_table.xpath("caption/text()")] == \
            [" ".join(c.split()) for c in their_table.xpath("caption/text()")]
    assert cells(our_tables[0])[:2] == [("th", "text-align:center", "Centered Header"), ("th", "", "Default Aligned")]
    assert ("td", "text-align:left", "Example of a row that spans multiple lines.") in cells(our_tables[0])
    assert len(our_tables[2].xpath(".//tr")) == 2  # the simple table keeps a row a line
    oil = pandoc.xml("03-oil.xhtml").xpath("//x:table", namespaces=NS)[1]
    assert text(oil.xpath("x:caption", namespaces=NS)[0]) == "Oil carried up the tower, by season"
    assert [text(c) for c in oil.xpath(".//x:th", namespaces=NS)] == ["Season", "Hours lit", "What to carry up"]


def test_a_raw_latex_block_is_dropped_with_a_warning(pandoc: Epub) -> None:
    raw = [p for p in problems_of(PANDOC) if p.code == "code.raw"]
    assert [(p.severity.value, p.path, p.line) for p in raw] == [("warning", "chapters/01-lamp.md", 17)]
    assert "newpage" not in text(pandoc.xml("01-lamp.xhtml"))


def test_the_pandoc_book_passes_epubcheck(pandoc: Epub) -> None:
    assert epubcheck_messages(pandoc.path) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def test_metadata_yaml_beside_a_chapters_folder(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {
        "metadata.yaml": "title: Salt Roads\nauthor: [Mira Vell, Tom Ashe]\nlang: fr\nsubject: [trade, salt]\n",
        "README.md": "# How to build this book\n\n![badge](https://example.org/badge.svg)\n",
        "chapters/01-mines.md": "# Mines\n\nDeep.\n", "chapters/02-roads.md": "# Roads\n\nLong.\n"})
    book, problems = load_book(root)
    assert book.config.meta.title == "Salt Roads" and book.config.meta.authors == ("Mira Vell", "Tom Ashe")
    assert book.config.meta.language == "fr" and book.config.meta.subjects == ("trade", "salt")
    assert [c.source for c in book.chapters()] == ["chapters/01-mines.md", "chapters/02-roads.md"]
    assert problems == []


def test_a_title_block_in_the_first_file_describes_the_book(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {
        "01.md": "---\ntitle: A Year of Tides\nauthor: Ada Marsh\ndate: 2021-06-01\n---\n\n# Spring\n\nText.\n",
        "02.md": "# Summer\n\nMore.\n"})
    build_into(root, tmp_path / "out", ["epub"])
    epub = Epub(next((tmp_path / "out").glob("*.epub")))
    assert epub.meta("title") == ["A Year of Tides"] and epub.meta("creator") == ["Ada Marsh"]
    assert epub.meta("date")[0].startswith("2021-06-01")
    assert epub.chapter_with_title("Spring")[0] == "01.xhtml"  # the title block's title is the book's
    assert epubcheck_messages(epub.path) == []


def test_a_percent_title_block_describes_the_book(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"a.md": "% Salt Roads\n% Mira Vell; Tom Ashe\n% 2020\n\n# Mines\n\nDeep.\n",
                                     "b.md": "# Roads\n"})
    book, problems = load_book(root)
    assert (book.config.meta.title, book.config.meta.authors, book.config.meta.date) == (
        "Salt Roads", ("Mira Vell", "Tom Ashe"), "2020")
    first = next(book.chapters())
    assert "%" not in first.text and first.text.split("\n")[4] == "# Mines" and problems == []


def test_a_quarto_yml_error_points_at_its_line(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"_quarto.yml": "book:\n  title: T\n  chapters:\n    - a.qmd\n    - b.qmd\n",
                                     "a.qmd": "# A\n"})
    with pytest.raises(BookError) as caught:
        load_book(root)
    assert [d.format().splitlines()[0] for d in caught.value.diagnostics] == [
        "_quarto.yml:5: error: chapter file 'b.qmd' does not exist [chapter.missing]"]
    (root / "_quarto.yml").write_text("project:\n  type: website\n", encoding="utf-8")
    with pytest.raises(BookError) as caught:
        load_book(root)
    assert [(d.code, d.path, d.line) for d in caught.value.diagnostics] == [("quarto.not-book", "_quarto.yml", 1)]
    assert "the project's type is 'website'" in caught.value.diagnostics[0].message


# Folders octavo cannot read


def test_a_folder_without_a_book_says_what_it_looked_for_and_where(tmp_path: Path) -> None:
    root = write(tmp_path / "notes", {"chapters/one.txt": "text\n", "setup.cfg": "[x]\n"})
    with pytest.raises(BookError) as caught:
        load_book(root)
    [problem] = caught.value.diagnostics
    assert problem.code == "book.unknown" and str(root) in problem.message
    for looked in ("book.toml", "SUMMARY.md", "_quarto.yml", "metadata.yaml", "defaults file", ".md files"):
        assert looked in problem.message


def test_a_folder_of_include_lines_is_not_a_one_chapter_book(tmp_path: Path) -> None:
    root = copy_book(BOOKS / "plain-folder", tmp_path / "plain")
    (root / "01-start.md").unlink()
    (root / "02-end.md").rename(root / "chapters.md")
    (root / "book.md").write_text("\n!include chapters.md\n!include appendix.md\n", encoding="utf-8")
    with pytest.raises(BookError) as caught:
        load_book(root)
    assert [(d.code, d.path, d.line) for d in caught.value.diagnostics] == [("book.includes", "book.md", 2)]
    assert "2 include lines" in caught.value.diagnostics[0].message
    assert "input-files" in (caught.value.diagnostics[0].hint or "")


def test_the_plain_folder_still_builds_as_a_folder_of_chapters(tmp_path: Path) -> None:
    book, problems = load_book(copy_book(BOOKS / "plain-folder", tmp_path / "plain"))
    assert [c.source for c in book.chapters()] == ["01-start.md", "02-end.md"] and problems == []
    assert book.config.file == "book.toml" and not book.config.has_file


@pytest.mark.parametrize(("name", "start", "hint"), [("chart.pdf", b"%PDF-1.4\n", "pdftocairo -svg chart.pdf"),
                                                     ("fig.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n", "inkscape fig.eps")])
def test_a_pdf_or_eps_figure_is_an_error_with_a_conversion_hint(tmp_path: Path, name: str, start: bytes,
                                                                 hint: str) -> None:
    root = write(tmp_path / "book", {"one.md": f"# One\n\n![A chart]({name})\n"})
    (root / name).write_bytes(start)
    with pytest.raises(BookError) as caught:
        build_into(root, tmp_path / "out", ["epub"])
    [problem] = [d for d in caught.value.diagnostics if d.severity.value == "error"]
    assert (problem.code, problem.path, problem.line) == ("image.format", "one.md", 3)
    assert hint in (problem.hint or "")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.epub"))

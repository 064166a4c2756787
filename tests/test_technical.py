"""tests/books/technical, a book with every feature of issue 16 together: code fences of every info
form, math of every delimiter, every callout syntax, fenced divs, captioned and numbered figures and
tables (with and without a header row), cross-references of every form, citations with a
bibliography and footnotes: its EPUB read with lxml, EPUBCheck and Ace on it, its PDF's text and word
fidelity, its web edition in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import BOOKS, NS, Epub, build_into, epubcheck_messages
from fidelity import epub_words, fidelity, pdf_words, source_words
from lxml import html as lxml_html
from pypdf import PdfReader
from test_web import browser  # noqa: F401  (the Chromium fixture, shared)

from octavo.check import run_ace, source_locator
from octavo.diagnostics import Severity
from octavo.pipeline import assemble

BOOK = BOOKS / "technical"
FORMATS = ("epub", "pdf", "web")


@pytest.fixture(scope="module")
def out(build_book: Callable[..., Path]) -> Path:
    return build_book(BOOK, FORMATS)


@pytest.fixture(scope="module")
def epub(out: Path) -> Epub:
    return Epub(next(out.glob("*.epub")))


def text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def test_the_book_builds_without_a_warning() -> None:
    """Two notices, on purpose: the ```{r} cell is shown, not run, and an unknown language is plain text."""
    _, problems = assemble(BOOK)
    assert [p.format() for p in problems if p.severity is not Severity.NOTICE] == []
    assert [(p.code, p.line) for p in problems] == [("code.not-run", 36), ("code.language", 43)]


def test_callouts_of_every_syntax_have_a_role_and_a_title(epub: Epub) -> None:
    doc = epub.xml("01-callouts.xhtml")
    found = [(d.get("class"), d.get("role"), text(d.xpath("x:p[@class='callout-title']", namespaces=NS)[0]))
             for d in doc.xpath("//x:div[contains(concat(' ', @class, ' '), ' callout ')]", namespaces=NS)]
    assert found == [
        ("callout callout-note", "note", "Note"), ("callout callout-tip", "doc-tip", "Tip"),
        ("callout callout-important", "doc-notice", "Important"), ("callout callout-warning", "doc-notice", "Warning"),
        ("callout callout-caution", "doc-notice", "Caution"),
        ("callout callout-warning", "doc-notice", "Mind the gap"),
        ("callout callout-tip", "doc-tip", "A heading as the title"),
        ("callout callout-note", "note", "Note"), ("callout callout-caution", "doc-notice", "Caution"),
        ("callout callout-important", "doc-notice", "Important"), ("callout callout-tip", "doc-tip", "Hint"),
    ]
    assert doc.xpath("//x:div[@id='aside-one']/@class", namespaces=NS) == ["sidebar"]
    assert ":::" not in text(doc.xpath("//x:body", namespaces=NS)[0])


def test_captions_carry_their_numbers(epub: Epub) -> None:
    doc = epub.xml("02-figures.xhtml")
    captions = [text(c) for c in doc.xpath("//x:figcaption | //x:caption", namespaces=NS)]
    assert captions == ["Figure 2.1: Bars of growth by year", "Figure 2.2: Shares by region", "A tree without a label",
                        "(a) Left", "(b) Right", "Figure 2.3: Two panels side by side.", "Table 2.1: Sales by year",
                        "Table 2.2: Regions, captioned before the table", "Listing 2.1: hello.py"]
    assert doc.xpath("//x:div[@id='eq-energy']/x:span[@class='eq-number']/text()", namespaces=NS) == ["(2.1)"]
    assert doc.xpath("//x:table[not(x:thead)]//x:td/text()", namespaces=NS) == ["kettle", "boils water", "toaster",
                                                                              "browns bread"]
    assert text(epub.xml("preface.xhtml").xpath("//x:figcaption", namespaces=NS)[0]) == "Figure 1: A preface tree"
    assert text(epub.xml("appendix.xhtml").xpath("//x:figcaption", namespaces=NS)[0]) == "Figure A.1: An appendix chart"


def test_every_cross_reference_is_linked_to_its_target_in_the_epub(epub: Epub) -> None:
    doc = epub.xml("03-references.xhtml")
    links = doc.xpath("//x:a[@class='xref']", namespaces=NS)
    assert [text(a) for a in links][:8] == ["Figure 2.1", "Figure 2.2", "Table 2.1", "Table 2.2", "Figure 2.3",
                                           "Figure 2.3(a)", "Figure 2.3(b)", "Figure 2.1"]
    assert {"2.1", "Equation (2.1)", "Listing 2.1", "Section 1.1", "Chapter 1", "Figure A.1", "Figure 3.1",
            "Listing 4.1", "Equation (5.1)", "Equation (5.2)", "Chapter 4", "Chapter 5"} <= {text(a) for a in links}
    for link in links:
        target, _, fragment = link.get("href").partition("#")
        ids = epub.xml(target or "03-references.xhtml").xpath("//@id")
        assert fragment in ids, link.get("href")
    paragraph = text(doc.xpath("//x:p[contains(., 'editor@')]", namespaces=NS)[0])
    assert "editor@fig-tree.example" in paragraph
    assert "Shannon (1948) defined" in paragraph and "(Turing 1950, 433)" in paragraph
    assert "(Knuth 1984, 100)" in text(doc.xpath("//x:aside[@epub:type='footnote']", namespaces=NS)[0])
    entries = epub.xml("references.xhtml").xpath("//*[@epub:type='biblioentry']/@id", namespaces=NS)
    assert entries == ["ref-knuth1984texbook", "ref-shannon1948mathematical", "ref-turing1950computing"]


def test_every_fence_form_is_highlighted_with_its_attributes(epub: Epub) -> None:
    doc = epub.xml("04-code.xhtml")
    pres = doc.xpath("//x:pre", namespaces=NS)
    blocks = [(pre.get("class"), pre.xpath("string(x:code/@class)", namespaces=NS),
               len(pre.xpath(".//x:span[@class='ln']", namespaces=NS))) for pre in pres]
    assert blocks == [("highlight ignore", "language-rust", 0), ("highlight ignore", "language-rust", 0),
                      ("highlight numbered ln-2", "language-python", 2), ("highlight", "language-python", 0),
                      ("highlight", "language-r", 0), ("highlight", "language-quenya", 0),
                      ("highlight", "language-python", 0)]
    assert doc.xpath("//x:span[@class='ln']/text()", namespaces=NS) == ["10", "11"]
    assert not pres[5].xpath(".//x:span[@class != 'line']", namespaces=NS)  # unknown: plain text
    assert len(pres[6].xpath(".//x:span[@class='line']", namespaces=NS)) == 1  # the long line is one line
    assert text(doc.xpath("//x:figure[@id='lst-app']/x:figcaption", namespaces=NS)[0]) == "Listing 4.1: app.py"
    assert doc.xpath("//x:pre[3]//x:span[@class='k']/text()", namespaces=NS)[:2] == ["def", "return"]


def test_math_of_every_delimiter_is_mathml_with_its_tex(epub: Epub) -> None:
    doc = epub.xml("05-math.xhtml")
    mathml = {**NS, "m": "http://www.w3.org/1998/Math/MathML"}
    formulas = [(m.get("display"), m.get("alttext")) for m in doc.xpath("//m:math", namespaces=mathml)]
    assert formulas == [
        ("inline", "a^2 + b^2 = c^2"), ("inline", "\\sqrt{2} \\approx 1.414"), ("inline", "x_1 * y_2"),
        ("block", "\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}"), ("block", "\\int_0^1 x^2\\,dx = \\frac{1}{3}"),
        ("block", "e^{i\\pi} + 1 = 0"), ("block", "M = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"),
        ("inline", "\\pi"), ("inline", "\\pi")]
    assert "mathml" in epub.manifest()["05-math.xhtml"].get("properties", "").split()
    assert "$" not in text(doc.xpath("//x:body", namespaces=NS)[0])


def test_a_numbered_equation_shows_its_number_in_its_slot_in_every_output(epub: Epub, out: Path) -> None:
    """math16 leaves ``span.eq-number`` empty in a labelled equation; the cross-references fill it."""
    doc = epub.xml("05-math.xhtml")
    for ident, number in (("eq-euler", "(5.1)"), ("eq-matrix", "(5.2)")):
        equation = doc.xpath(f"//x:div[@id='{ident}']", namespaces=NS)[0]
        assert equation.get("class") == "equation"
        assert equation.xpath("x:span[@class='eq-number']/text()", namespaces=NS) == [number]
        assert not equation.xpath(".//x:span[@class='equation-number']", namespaces=NS)
        site = lxml_html.fromstring((out / "site" / "05-math.html").read_bytes())
        assert site.xpath(f"//div[@id='{ident}']/span[@class='eq-number']/text()") == [number]
    whole = " ".join("\n".join(pdf_pages(next(out.glob("*.pdf")))).split())
    assert re.search(r"e\^\{i\\pi\} \+ 1 = 0 \(5\.1\) Another one", whole), whole[-1500:]
    assert "(2.1)" in whole and "(5.2)" in whole


def test_epubcheck_reports_nothing(epub: Epub) -> None:
    assert epubcheck_messages(epub.path) == []


@pytest.mark.ace
def test_ace_finds_no_violation(out: Path) -> None:
    assembled, _ = assemble(out.parent / BOOK.name)
    epub = next(out.glob("*.epub"))
    outcome = run_ace(epub, source_locator(assembled, epub))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []


def pdf_pages(path: Path) -> list[str]:
    """Each page's text, by pdftotext, one line per line of print."""
    if shutil.which("pdftotext") is None:
        reader = PdfReader(path)
        return [page.extract_text() or "" for page in reader.pages]
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout.split("\f")


def test_the_pdf_and_the_epub_keep_the_words_of_the_sources_in_order(out: Path, epub: Epub) -> None:
    source = source_words(BOOK)
    assert len(source) > 500
    pdf = next(out.glob("*.pdf"))
    for name, words in (("epub", epub_words(epub.path)), ("pdf", pdf_words(pdf, "Technical Blocks"))):
        share, missing = fidelity(source, words)
        assert share >= 0.98, (name, share, missing)


def test_the_pdf_numbers_captions_and_gives_the_real_page_of_a_reference(out: Path) -> None:
    pdf = next(out.glob("*.pdf"))
    pages = pdf_pages(pdf)
    labels = list(PdfReader(pdf).page_labels)
    whole = "\n".join(pages)
    for caption in ("Figure 2.1: Bars of growth by year", "Table 2.1: Sales by year", "Listing 2.1: hello.py",
                    "Figure A.1: An appendix chart", "Figure 1: A preface tree"):
        assert caption in whole
    target = next(n for n, page in enumerate(pages) if "Figure 2.2: Shares by region" in page)
    said = re.search(r"Figure 2\.2\s+on\s+page\s+(\w+)", " ".join(whole.split()))
    assert said is not None and said.group(1) == labels[target]
    assert labels[target].isdigit()
    assert "on page" not in whole.replace(said.group(0), "")  # only the reference that asked for its page


def test_the_pdf_gives_every_reference_its_page_when_the_book_asks(tmp_path: Path) -> None:
    from conftest import copy_book


    book = copy_book(BOOK, tmp_path / "technical")
    toml = (book / "book.toml").read_text(encoding="utf-8").replace("page-references = false", "page-references = true")
    (book / "book.toml").write_text(toml, encoding="utf-8")
    build_into(book, tmp_path / "out", ["pdf"])
    pdf = tmp_path / "out" / "technical-blocks.pdf"
    pages = pdf_pages(pdf)
    labels = list(PdfReader(pdf).page_labels)
    whole = " ".join("\n".join(pages).split())
    appendix = next(n for n, page in enumerate(pages) if "Figure A.1: An appendix chart" in page)
    assert f"Figure A.1 on page {labels[appendix]}" in whole
    preface = next(n for n, page in enumerate(pages) if "Figure 1: A preface tree" in page)
    assert f"Figure 1 on page {labels[preface]}" in whole  # front matter: a roman page number
    assert not labels[preface].isdigit()


# --- the web edition -------------------------------------------------------------------------------


def test_every_reference_lands_on_its_target_in_the_site(out: Path) -> None:
    site = out / "site"
    doc = lxml_html.fromstring((site / "03-references.html").read_bytes())
    links = doc.xpath("//a[@class='xref']")
    assert len(links) >= 19
    for link in links:
        parts = urlsplit(link.get("href"))
        target = lxml_html.fromstring((site / (parts.path or "03-references.html")).read_bytes())
        assert target.xpath(f"//*[@id='{parts.fragment}']"), link.get("href")
    assert not doc.xpath("//*[@data-xref or @data-line]")


def watched_page(chromium: Any) -> tuple[Any, Any, list[str]]:
    """A browser context and page, and the list its console errors, page errors, failed requests
    and error responses are written to."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    return context, page, problems


def test_every_page_of_the_site_loads_without_a_console_error_or_a_failed_request(browser: Any, out: Path) -> None:  # noqa: F811
    context, page, problems = watched_page(browser)
    pages = sorted((out / "site").glob("*.html"))
    try:
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
        assert {"04-code.html", "05-math.html", "references.html"} <= {p.name for p in pages}
        page.goto((out / "site" / "05-math.html").as_uri())
        assert page.locator("math").count() == 9
        assert page.locator("#eq-euler .eq-number").inner_text() == "(5.1)"
        assert problems == []
    finally:
        context.close()


def test_in_a_browser_a_reference_opens_its_figure_without_console_errors(browser: Any, out: Path) -> None:  # noqa: F811
    context, page, errors = watched_page(browser)
    try:
        for name in ("01-callouts.html", "02-figures.html"):
            page.goto((out / "site" / name).as_uri())
        assert page.locator(".callout-title").count() == 0  # the figures page has none
        page.goto((out / "site" / "03-references.html").as_uri())
        page.locator("a.xref", has_text="Figure 2.3(b)").first.click()
        page.wait_for_url("**/02-figures.html#fig-right")
        assert page.locator("#fig-right").is_visible()
        assert page.evaluate("document.getElementById('fig-right').getBoundingClientRect().top") < 800
        page.go_back()
        page.locator("a.xref", has_text="Section 1.1").first.click()
        page.wait_for_url("**/01-callouts.html#sec-quarto")
        title = page.locator(".callout-warning .callout-title").first
        assert title.is_visible() and title.inner_text() == "Warning"
        assert errors == []
    finally:
        context.close()

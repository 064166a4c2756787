"""Highlighted code in the three outputs of tests/books/code: the EPUB read with lxml and checked by
EPUBCheck, the PDF read with pdftotext (its text, and where each word lies on the page), the web
edition in Chromium, light and dark."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BOOKS, NS, Epub, build_into, copy_book, epubcheck_messages
from lxml import etree

BOOK = BOOKS / "code"
ALL = ("epub", "pdf", "web")
LONG_WORDS = [f"word{i:03d}" for i in range(37)]  # the 307-character line of 01-fences.md


@pytest.fixture(scope="module")
def out(build_book: Callable[..., Path]) -> Path:
    return build_book(BOOK, ALL)


@pytest.fixture(scope="module")
def epub(out: Path) -> Epub:
    return Epub(out / "code-listings.epub")


@pytest.fixture(scope="module")
def fences(epub: Epub) -> etree._Element:
    return epub.xml("01-fences.xhtml")


def xpath(node: etree._Element, path: str) -> Any:
    return node.xpath(path, namespaces=NS)


# The EPUB.


def test_epubcheck_reports_nothing(epub: Epub) -> None:
    assert epubcheck_messages(epub.path) == []


def test_blocks_carry_token_classes_and_their_lines(fences: etree._Element) -> None:
    first = xpath(fences, "//x:pre[@class='highlight']")[0]
    assert xpath(first, "string(x:code/@class)") == "language-python"
    assert xpath(first, "count(x:code/x:span[@class='line'])") == 3
    assert xpath(first, ".//x:span[@class='k']/text()")[:2] == ["def", "return"]
    assert xpath(first, "string(.//x:span[@class='nf'])") == "greet"
    assert xpath(first, ".//x:span[@class='c1']/text()") == ["# a comment"]
    assert "".join(first.itertext()).startswith('def greet(name: str) -> str:\n    """Say hello -- politely."""')


def test_mdbook_attributes_are_classes_and_hidden_lines_are_left_out(fences: etree._Element) -> None:
    rust = [p for p in xpath(fences, "//x:pre") if xpath(p, "string(x:code/@class)") == "language-rust"]
    assert [p.get("class") for p in rust] == ["highlight ignore",
                                              "highlight no_run should_panic edition2021 noplayground"]
    text = "".join(rust[0].itertext())
    assert "fn main" not in text and text.startswith("#[derive(Debug)]") and "\n# not hidden" in text


def test_listings_are_figures_with_captions(fences: etree._Element) -> None:
    listings = [(f.get("id"), xpath(f, "string(x:figcaption)"), [etree.QName(c).localname for c in f])
                for f in xpath(fences, "//x:figure[@class='listing']")]
    assert listings == [(None, "app.py", ["figcaption", "pre"]), ("lst-config", "", ["pre"]),
                        ("lst-query", "Customers query", ["figcaption", "pre"]),
                        ("lst-fib", "Fibonacci numbers", ["figcaption", "pre"]),
                        (None, "numbers.py", ["figcaption", "pre"])]


def test_line_numbers_are_marked_and_hidden_from_assistive_technology(fences: etree._Element) -> None:
    numbered = xpath(fences, "//x:pre[contains(@class, 'numbered')]")
    assert [xpath(p, ".//x:span[@class='ln']/text()") for p in numbered] == [
        ["10", "11", "12", "13"], ["1"], ["1", "2", "3"]]
    assert set(xpath(fences, "//x:span[@class='ln']/@aria-hidden")) == {"true"}


def test_unknown_languages_and_indented_code_are_plain_shaded_blocks(fences: etree._Element) -> None:
    plain = [p for p in xpath(fences, "//x:pre") if xpath(p, "string(x:code/@class)") in ("language-klingon", "")]
    assert len(plain) == 2
    for pre in plain:
        assert pre.get("class") == "highlight" and xpath(pre, "x:code/x:span[@class='line']/x:span") == []
    assert "".join(plain[0].itertext()) == "Qapla' -- \"success\"\n"


def test_inline_code_is_untouched(fences: etree._Element) -> None:
    assert xpath(fences, "//x:p/x:code/text()")[:2] == ['"quotes" -- and...', "x < y && z"]


def test_the_code_sheet_is_in_the_package_with_plain_colours(epub: Epub) -> None:
    manifest = epub.manifest()
    assert manifest["css/code.css"].get("media-type") == "text/css"
    sheet = epub.zip.read(epub.base + "css/code.css").decode()
    assert ".highlight .k { color: #8b1a56; font-weight: bold; }" in sheet
    assert "var(" not in sheet and "prefers-color-scheme" not in sheet and "url(" not in sheet
    page = etree.tostring(epub.xml("01-fences.xhtml"), encoding="unicode")
    assert 'href="css/code.css"' in page


# The PDF.


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf(out: Path) -> Path:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing (apt-get install poppler-utils)")
    return out / "code-listings.pdf"


def test_pdf_has_each_block_once_with_its_line_numbers(pdf: Path) -> None:
    text = pdftotext(pdf)
    for code in ["def greet(name: str) -> str:", "SELECT * FROM customers WHERE name LIKE 'A%';", "mean(x)",
                 "Qapla' -- \"success\"", "$ octavo build book", "{{#each items}}<li>{{this}}</li>{{/each}}"]:
        assert text.count(code) == 1, code
    layout = pdftotext(pdf, "-layout")
    assert re.search(r"^\s*10\s+import sys$", layout, re.M) and re.search(r"^\s*13\s+print\(line", layout, re.M)
    assert re.search(r"^\s*1\s+total = sum\(range\(10\)\)$", layout, re.M)
    assert "fn main() {\n" not in text, "hidden Rust lines stay hidden"


Word = tuple[str, float, float, float, float]  # text, xMin, yMin, xMax, yMax


def pdf_words(pdf: Path) -> list[tuple[float, list[Word]]]:
    """Each page's width and its words with their boxes, in points from the top left."""
    xhtml = pdftotext(pdf, "-bbox")
    root = etree.fromstring(xhtml.encode())
    pages = []
    for page in root.iter("{*}page"):
        words = [(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                 for w in page.iter("{*}word")]
        pages.append((float(page.get("width")), words))
    return pages


def test_a_300_character_line_wraps_inside_the_text_block(pdf: Path) -> None:
    page_width, words = next(p for p in pdf_words(pdf) if any(w[0] == "word006" for w in p[1]))
    margin = 0.625 * 72  # the narrower of the page's side margins (styles/pdf.css)
    for name in LONG_WORDS:
        boxes = [w for w in words if w[0].strip('"') == name]
        assert len(boxes) == 2, name  # once in each of the two blocks
        for _, x_min, _, x_max, _ in boxes:
            assert margin <= x_min and x_max <= page_width - margin, (name, x_min, x_max)
    rows = {round(w[2]) for w in words if w[0].strip('"') in LONG_WORDS}
    assert len(rows) >= 6, "each block's long line is set on three lines or more"


def test_wrapped_lines_show_a_continuation_mark(pdf: Path, tmp_path: Path) -> None:
    """Ink in the gutter before a continuation line, none before a first line (the arrow is drawn,
    not text, so it is looked for in the rendered page)."""
    from PIL import Image

    pages = pdf_words(pdf)
    number = next(i for i, (_, words) in enumerate(pages, 1) if any(w[0] == "word006" for w in words))
    words = pages[number - 1][1]
    subprocess.run(["pdftoppm", "-r", "144", "-gray", "-png", "-f", str(number), "-l", str(number),
                    str(pdf), str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")

    def ink_before(word: str, which: int = -1) -> int:
        """Dark pixels in the 9 points left of the word (its last occurrence: the numbered block)."""
        _, x_min, y_min, _, y_max = [w for w in words if w[0].strip('"') == word][which]
        box = (round((x_min - 10) * 2), round(y_min * 2), round((x_min - 1) * 2), round(y_max * 2))
        return sum(image.crop(box).histogram()[:150])

    assert ink_before("word006") > 10, "the numbered block's first continuation line has its arrow"
    assert ink_before("end") == 0, "a line that does not wrap has none"
    assert ink_before("short") == 0 and ink_before("message") == 0, "nor does a wrapped line's first line"


# The web edition.


COLOURS = """() => {
  const look = (selector) => { const s = getComputedStyle(document.querySelector(selector));
                               return [s.color, s.backgroundColor]; };
  return {keyword: look('.highlight .k')[0], block: look('pre.highlight'), number: look('.highlight .ln')[0]};
}"""


def page_colours(chromium: Any, out: Path, scheme: str, theme: str | None = None) -> tuple[dict[str, Any], list[str]]:
    context = chromium.new_context(color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "site" / "01-fences.html").as_uri())
    if theme:
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
    colours = page.evaluate(COLOURS)
    context.close()
    return colours, errors


def test_web_code_is_dark_in_dark_mode_and_light_otherwise(chromium: Any, out: Path) -> None:
    light, light_errors = page_colours(chromium, out, "light")
    dark, dark_errors = page_colours(chromium, out, "dark")
    assert light_errors == [] and dark_errors == []
    assert light == {"keyword": "rgb(139, 26, 86)", "block": ["rgb(31, 31, 31)", "rgb(246, 246, 243)"],
                     "number": "rgb(92, 92, 92)"}
    assert dark["keyword"] != light["keyword"] and dark["block"] == ["rgb(230, 227, 220)", "rgb(28, 31, 36)"]
    assert page_colours(chromium, out, "light", "dark")[0] == dark, "data-theme=dark turns it dark"
    assert page_colours(chromium, out, "dark", "light")[0] == light, "data-theme=light keeps it light"


def test_copying_a_numbered_block_leaves_the_numbers_behind(chromium: Any, out: Path) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto((out / "site" / "01-fences.html").as_uri())
    copied = page.evaluate("""() => {
      const pre = document.querySelector('pre.numbered');
      const range = document.createRange(); range.selectNodeContents(pre);
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
      return selection.toString();
    }""")
    context.close()
    assert copied.rstrip("\n") == "import sys\n\nfor line in sys.stdin:\n    print(line.rstrip())"


# The theme and the cache.


def test_another_theme_changes_the_sheets_and_not_the_chapters(tmp_path: Path) -> None:
    book = copy_book(BOOK, tmp_path / "book")
    build_into(book, tmp_path / "out", ["epub", "web"])
    before = Epub(tmp_path / "out" / "code-listings.epub")
    chapter = before.zip.read(before.base + "01-fences.xhtml")
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[style]\ncode-theme = "solarized-light"\n', encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub", "web"])
    after = Epub(tmp_path / "out" / "code-listings.epub")
    assert after.zip.read(after.base + "01-fences.xhtml") == chapter
    sheet = after.zip.read(after.base + "css/code.css").decode()
    assert "background-color: #fdf6e3" in sheet  # the EPUB's sheets are resolved, their comments left out
    web = (tmp_path / "out" / "site" / "css" / "code.css").read_text(encoding="utf-8")
    assert "'solarized-light'" in web and "background-color: #fdf6e3" in web
    assert "in dark mode, 'solarized-dark'" in web and '[data-theme="dark"] .highlight { color: #839496;' in web


def test_an_unknown_theme_fails_the_build_with_a_suggestion(tmp_path: Path) -> None:
    from octavo.diagnostics import BookError

    book = copy_book(BOOK, tmp_path / "book")
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8")
                                    + '\n[style]\ncode-theme = "monokay"\n', encoding="utf-8")
    with pytest.raises(BookError) as raised:
        build_into(book, tmp_path / "out", ["epub"])
    assert [(d.path, d.line, d.hint) for d in raised.value.diagnostics] == [("book.toml", 8,
                                                                             "did you mean 'monokai'?")]
    assert not (tmp_path / "out" / "code-listings.epub").exists()


def test_the_notice_for_an_unknown_language_names_its_line(tmp_path: Path) -> None:
    book = copy_book(BOOK, tmp_path / "book")
    result = build_into(book, tmp_path / "out", ["epub"])
    notices = [(d.severity.value, d.code, d.path, d.line) for d in result.diagnostics]
    # and one notice for the book's executable cells ({r}, {python}), which octavo shows but never runs
    assert sorted(notices) == [("notice", "code.language", "01-fences.md", 83),
                               ("notice", "code.not-run", "01-fences.md", 60)]


def test_code_never_makes_a_phone_scroll_sideways(chromium: Any, out: Path) -> None:
    context = chromium.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto((out / "site" / "01-fences.html").as_uri())
    widths = page.evaluate("""() => [document.documentElement.scrollWidth, window.innerWidth,
      Math.max(...[...document.querySelectorAll('pre.highlight')].map(p => p.scrollWidth - p.clientWidth))]""")
    context.close()
    assert widths[0] <= widths[1] and widths[2] == 0, widths

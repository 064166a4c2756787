"""Books in other languages, built for real: a German, an Arabic, a Hebrew, a Japanese and a
Chinese test book (tests/books/lang-*, two chapters each with a footnote, a table, a callout or
none, a cross-reference and a link between chapters). Each EPUB passes EPUBCheck with no message
and Ace with no violation, says octavo's words in its language, and a right-to-left book reads
right to left: dir="rtl" everywhere, the spine's page-progression-direction, a mirrored web
edition (checked in Chromium) and a PDF whose recto is a left-hand page with its gutter on the
right, its pages in order (read back with pdftotext)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import test_web
from conftest import BOOKS, NS, Epub, epubcheck_messages

from octavo.check import run_ace, source_locator
from octavo.pipeline import assemble

LANGS = ["de", "ar", "he", "ja", "zh"]
RTL = {"ar", "he"}
XHTML = "{http://www.w3.org/1999/xhtml}"
# What each book's own pages say: the contents' title, chapter 1's label, the first table's
# label in a cross-reference, the notes' label, the landmark of the body, the copyright line
WORDS = {
    "de": ("Inhalt", "Kapitel 1", "Tabelle 1.1", "Anmerkungen", "Textbeginn",
           "Erschienen bei Verlag am See, 27. November 2026."),
    "ar": ("المحتويات", "الفصل 1", "الجدول 1.1", "الحواشي", "بداية المحتوى", "الناشر: دار الشاطئ، 27 نوفمبر 2026."),
    "he": ("תוכן העניינים", "פרק 1", "טבלה 1.1", "הערות", "תחילת התוכן",
           "יצא לאור בהוצאת הגבעה, 27 בנובמבר 2026."),
    "ja": ("目次", "第1章", "表1.1", "注", "本文開始", "発行：青空書房（2026年11月27日）"),
    "zh": ("目录", "第1章", "表1.1", "注释", "正文开始", "清风出版社 出版，2026年11月27日。"),
}


def book(lang: str) -> Path:
    return BOOKS / f"lang-{lang}"


def epub_of(build_book: Callable[..., Path], lang: str) -> Epub:
    return Epub(next(build_book(book(lang)).glob("*.epub")))


def pages(epub: Epub) -> dict[str, Any]:
    return {href: epub.xml(href) for href in epub.manifest() if href.endswith(".xhtml")}


@pytest.mark.parametrize("lang", LANGS)
def test_epubcheck_finds_nothing(lang: str, build_book: Callable[..., Path]) -> None:
    epub = next(build_book(book(lang)).glob("*.epub"))
    assert epubcheck_messages(epub) == []


@pytest.mark.parametrize("lang", LANGS)
def test_octavos_words_are_in_the_books_language(lang: str, build_book: Callable[..., Path]) -> None:
    epub = epub_of(build_book, lang)
    contents, chapter, table, notes, body, published = WORDS[lang]
    first = epub.spine_hrefs()[3]  # cover-less: title page, copyright, contents, then chapter 1
    page = epub.xml(first)
    assert page.xpath("string(//x:h1/x:span[@class='chapter-number'])", namespaces={"x": NS["x"]}) == chapter
    assert page.xpath("string(//x:a[@class='xref'])", namespaces={"x": NS["x"]}) == table
    assert page.xpath("//x:table/x:caption/x:span[@class='caption-label']/text()", namespaces={"x": NS["x"]}) == [table]
    assert page.xpath("//x:section[@class='footnotes']/@aria-label", namespaces={"x": NS["x"]}) == [notes]
    nav = epub.xml("nav.xhtml")
    assert nav.xpath("string(//x:nav[@id='toc']/x:h1)", namespaces={"x": NS["x"]}) == contents
    assert nav.xpath("string((//x:nav[@id='landmarks']//x:a)[last()])", namespaces={"x": NS["x"]}) == body
    assert epub.xml("toc.xhtml").xpath("string(//x:h1)", namespaces={"x": NS["x"]}) == contents
    lines = epub.xml("copyright.xhtml").xpath("//x:p/text()", namespaces={"x": NS["x"]})
    assert published in lines
    text = b" ".join(epub.zip.read(epub.base + href) for href in pages(epub))
    for english in (b">Contents<", b">Chapter ", b'"Notes"', b"Back to the text", b"Published by"):
        assert english not in text, english


@pytest.mark.parametrize("lang", LANGS)
def test_direction_of_every_document_and_the_spine(lang: str, build_book: Callable[..., Path]) -> None:
    epub = epub_of(build_book, lang)
    directions = {href: root.get("dir") for href, root in pages(epub).items()}
    expected = "rtl" if lang in RTL else None
    assert set(directions.values()) == {expected}, directions
    spine = epub.opf.xpath("//opf:spine", namespaces=NS)[0]
    assert spine.get("page-progression-direction") == ("rtl" if lang in RTL else None)
    languages = {root.get("{http://www.w3.org/XML/1998/namespace}lang") for root in pages(epub).values()}
    assert languages == {"zh-CN" if lang == "zh" else lang}


@pytest.mark.ace
@pytest.mark.parametrize("lang", LANGS)
def test_ace_finds_no_violation(lang: str, build_book: Callable[..., Path]) -> None:
    out = build_book(book(lang))
    epub = next(out.glob("*.epub"))
    assembled, _ = assemble(out.parent / book(lang).name)
    outcome = run_ace(epub, source_locator(assembled, epub))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []


browser = test_web.browser  # Chromium through Playwright, opened as the web tests open it

# --- the Arabic book in print and on the web -------------------------------------------------------


def pdftotext(pdf: Path, page: int) -> str:
    """The page's text in reading order, without the bidi embeddings pdftotext wraps runs in."""
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)


@pytest.fixture(scope="module")
def arabic(build_book: Callable[..., Path]) -> Path:
    return build_book(book("ar"), ("epub", "pdf", "web"))


def test_arabic_pdf_reads_in_order_with_the_gutter_on_the_right(arabic: Path) -> None:
    import pypdf

    pdf = next(arabic.glob("*.pdf"))
    reader = pypdf.PdfReader(pdf)
    texts = [" ".join(pdftotext(pdf, n).split()) for n in range(1, len(reader.pages) + 1)]
    order = [next(i for i, t in enumerate(texts) if word in t) for word in ("المحتويات", "خرجنا", "الصيادون")]
    assert order == sorted(order) and order[0] < order[1] < order[2]
    contents = texts[order[0]]
    assert "الطريق" in contents and "الميناء" in contents and re.search(r"\b1\b", contents)
    # the copyright line with its Latin-digit year inside Arabic (pdftotext drops a space at a
    # change of direction, so the words are compared without spaces)
    assert "حقوقالنشر©2026سلمىحداد" in "".join("".join(texts).split())
    # a recto (odd page) of a right-to-left book is a left-hand page: its text block sits further
    # from the right edge (the spine) than from the left; a verso the other way round
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/Direction"] == "/R2L"  # spreads shown right to left
    chapter = order[1]  # chapter 1 opens on a recto
    assert chapter % 2 == 0  # 0-based: page 7, 9, ...
    recto = text_box(pdf, chapter + 1)
    width = float(reader.pages[chapter].mediabox.width)
    assert width - recto[1] > recto[0], recto  # right margin (the gutter) wider than the left


def text_box(pdf: Path, page: int) -> tuple[float, float]:
    """The leftmost and rightmost x of the words on ``page``, by pdftotext's bounding boxes."""
    html = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lefts = [float(x) for x in re.findall(r'xMin="([\d.]+)"', html)]
    rights = [float(x) for x in re.findall(r'xMax="([\d.]+)"', html)]
    return min(lefts), max(rights)


def test_arabic_web_edition_is_mirrored(arabic: Path, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto((arabic / "site" / "01-tariq.html").as_uri())
    page.screenshot(path=str(tmp_path / "ar.png"))
    assert page.evaluate("document.documentElement.dir") == "rtl"
    main, sidebar = page.query_selector("main").bounding_box(), page.query_selector(".sidebar").bounding_box()
    assert sidebar["x"] > main["x"]  # the contents on the right
    nxt, prev = page.query_selector(".pager-next").bounding_box(), page.query_selector(".pager-prev").bounding_box()
    assert nxt["x"] < prev["x"]  # "next" on the left, the way the pages turn
    assert page.inner_text(".pager-next .pager-label").strip().startswith("التالي")
    assert "←" in page.inner_text(".pager-next") and "→" in page.inner_text(".pager-prev")
    callout = page.query_selector(".callout")
    assert page.evaluate("e => getComputedStyle(e).borderRightWidth", callout) != "0px"
    assert page.evaluate("e => getComputedStyle(e).borderLeftStyle", callout) == "none"
    # the search box's words and its count, in Arabic plural forms
    page.fill("#_search-input", "الميناء")
    page.wait_for_selector("#_search-results .search-message")
    assert page.inner_text("#_search-results .search-message") in ("صفحتان.", "صفحة واحدة.")
    assert page.get_attribute("#_search-input", "placeholder") == "بحث"
    page.close()


def test_japanese_search_finds_words_inside_a_sentence(build_book: Callable[..., Path], browser: Any) -> None:
    site = build_book(book("ja"), ("epub", "web")) / "site"
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto((site / "01-haru.html").as_uri())
    assert page.get_attribute("#_search-input", "placeholder") == "検索"
    page.fill("#_search-input", "図書館")  # written inside sentences, with no space around it
    page.wait_for_selector("#_search-results .search-message")
    assert page.inner_text("#_search-results .search-message") == "2ページ。"
    page.fill("#_search-input", "大雪")  # only in the second chapter's footnote
    page.wait_for_function("document.querySelector('#_search-results .search-message').textContent === '1ページ。'")
    assert page.query_selector_all("#_search-results li a")[0].get_attribute("href").split("?")[0].endswith(
        "02-fuyu.html")
    page.close()


def test_a_chapter_and_a_passage_in_another_language(tmp_path: Path) -> None:
    from conftest import build_into

    (tmp_path / "book.toml").write_text('[book]\ntitle = "Mixed"\nlanguage = "en"\nchapters = ["a.md", "b.md"]\n')
    (tmp_path / "a.md").write_text('# One\n\nShe said [bonjour]{lang=fr} and left.\n\n'
                                   '::: {lang=de}\nEin Absatz auf Deutsch.\n:::\n')
    (tmp_path / "b.md").write_text('---\nlanguage: fr\n---\n# Deux\n\nIl a dit "oui".\n\n> [!NOTE]\n> Voilà.\n')
    build_into(tmp_path, tmp_path / "out", ["epub"])
    epub = Epub(next((tmp_path / "out").glob("*.epub")))
    assert epubcheck_messages(epub.path) == []
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    one = epub.xml("a.xhtml")
    assert [(e.get("lang"), e.get(xml_lang)) for e in one.xpath("//x:section//*[@lang]", namespaces={"x": NS["x"]})] \
        == [("fr", "fr"), ("de", "de")]
    two = epub.xml("b.xhtml")
    section = two.xpath("//x:section", namespaces={"x": NS["x"]})[0]
    assert (section.get("lang"), section.get(xml_lang)) == ("fr", "fr")
    text = "".join(two.itertext())
    assert "«\u202foui\u202f»" in text  # French quotation marks, with their thin spaces
    assert two.xpath("string(//x:p[@class='callout-title'])", namespaces={"x": NS["x"]}) == "Note"
    assert one.get("lang") == "en" and two.get("lang") == "en"  # the book's, on the page itself


def test_quotes_follow_the_language_of_the_passage(tmp_path: Path) -> None:
    from conftest import build_into

    (tmp_path / "book.toml").write_text('[book]\ntitle = "Quotes"\nlanguage = "en"\nchapters = ["a.md"]\n')
    (tmp_path / "a.md").write_text(
        '# One\n\nShe said "hello", then [il a dit "oui" et \'non\']{lang=fr}, then \'bye\'.\n\n'
        '::: {lang=de}\nEr sagte "Hallo" und [sie "ja"]{lang=en-GB}.\n:::\n\n'
        '## A "titre" {lang=fr}\n\n"Back" in English.\n')
    build_into(tmp_path, tmp_path / "out", ["epub"])
    epub = Epub(next((tmp_path / "out").glob("*.epub")))
    assert epubcheck_messages(epub.path) == []
    x = {"x": NS["x"]}
    page = epub.xml("a.xhtml")
    paragraphs = [re.sub(r"[ \n]+", " ", p.xpath("string()")).strip()  # not str.split(): U+202F is a space
                  for p in page.xpath("//x:section//x:p", namespaces=x)]
    assert paragraphs[0] == "She said “hello”, then il a dit «\u202foui\u202f» et ‹\u202fnon\u202f›, then ‘bye’."
    assert paragraphs[1] == "Er sagte „Hallo“ und sie “ja”."
    assert paragraphs[2] == "“Back” in English."
    assert page.xpath("string(//x:h2)", namespaces=x) == "A «\u202ftitre\u202f»"


def test_the_pdfs_own_page_names_are_in_the_books_language(tmp_path: Path) -> None:
    from conftest import build_into, copy_book
    from PIL import Image
    from pypdf import PdfReader

    from octavo.options import Progress

    root = copy_book(book("de"), tmp_path / "book")
    Image.new("RGB", (600, 900), (120, 40, 40)).save(root / "cover.png")
    config = root / "book.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[book]\n", '[book]\ncover = "cover.png"\n'),
                      encoding="utf-8")
    steps: list[Progress] = []
    build_into(root, tmp_path / "out", ["pdf"], progress=steps.append)
    reader = PdfReader(next((tmp_path / "out").glob("*.pdf")))
    assert reader.page_labels[:3] == ["Umschlag", "Umschlaginnenseite", "i"]
    assert {"Umschlag", "Schmutztitel", "Titelseite", "Impressum", "Inhalt"} <= {step.label for step in steps}


def test_serves_its_error_page_in_the_books_language(tmp_path: Path) -> None:
    from conftest import copy_book
    from test_serve import fetch

    from octavo.serve import make_server

    root = copy_book(book("ar"), tmp_path / "book")
    (root / "01-tariq.md").unlink()
    with make_server(root, port=0, out=tmp_path / "out") as preview:
        status, html = fetch(preview.url)
    assert status == 500
    page = html5lib_parse(html)
    assert (page.get("lang"), page.get("dir")) == ("ar", "rtl")
    assert page.findtext(".//{*}h1") == "تعذّر بناء الكتاب"
    assert page.findtext(".//{*}title") == "فشل البناء · book"
    assert "01-tariq.md" in "".join(page.find(".//{*}pre").itertext())


def html5lib_parse(html: str) -> Any:
    import html5lib

    return html5lib.parse(html)

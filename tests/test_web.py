"""The web edition, read as a browser would: every link lands, the pages chain in reading order,
the markup is accessible, search finds words; then in Chromium: paging by click and by key,
search, no console errors, no sideways scrolling on a phone."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from conftest import BOOKS as TEST_BOOKS
from conftest import CHROMIUM, CORPUS, CORPUS_SKIPS, MDBOOK_GUIDE, ROOT, copy_book
from lxml import html as lxml_html

from octavo import templates
from octavo.diagnostics import BookError
from octavo.model import Page
from octavo.options import resolve
from octavo.pipeline import assemble, build
from octavo.writers.web import search as web_search
from octavo.writers.web import writer as web
from octavo.writers.web.search import BLOCK, CONTINUE, FINAL, encode, words
from octavo.writers.web.sidebar import SideContents
from octavo.writers.web.writer import SiteMap, demote_headings, web_body

SAMPLE = ROOT / "book"
PEPYS = CORPUS / "pepys"
BOOKS = [SAMPLE, PEPYS, CORPUS / "sherlock", MDBOOK_GUIDE]
BOOKS_TECHNICAL = TEST_BOOKS / "technical"  # callouts of every kind
BOOKS_CODE = TEST_BOOKS / "code"  # highlighted code

Site = Callable[..., Path]


def site_of(build_book: Site, book: Path, formats: tuple[str, ...] = ("epub", "web")) -> Path:
    return build_book(book, formats) / "site"


def parse(path: Path) -> Any:
    return lxml_html.fromstring(path.read_bytes())


def pages(site: Path) -> dict[str, Any]:
    """Every page by its path in the site (an mdBook project's are in folders), but redirects, the
    404 page and an mdBook project's print.html, which are no pages of the reading order (see
    test_the_404_page_* and tests/test_mdbook_web.py)."""
    found = {p.relative_to(site).as_posix(): parse(p) for p in sorted(site.rglob("*.html"))}
    return {name: doc for name, doc in found.items()
            if not doc.xpath("//meta[@http-equiv='refresh']") and name not in ("404.html", "print.html")}


def at(name: str, href: str) -> str:
    """The site path that ``href`` on the page ``name`` leads to."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(name), href)) if href else name


def local_targets(doc: Any) -> Iterator[str]:
    for element, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
        for value in doc.xpath(f"//{element}/@{attribute}"):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", value):
                yield value


def reading_order(book: Path) -> list[str]:
    assembled, _ = assemble(book, skip_preprocessors=CORPUS_SKIPS.get(book, ()))
    sitemap = SiteMap(assembled.pages, assembled.book.mdbook_src)
    return [sitemap.home, *(sitemap.file(p.id) for p in sitemap.written)]


def text(element: Any) -> str:
    return " ".join(element.text_content().split())


# --- the site as files ---------------------------------------------------------------------------


@pytest.mark.parametrize("book", BOOKS, ids=lambda p: p.name)
def test_every_local_link_and_fragment_resolves(book: Path, build_book: Site) -> None:
    site = site_of(build_book, book)
    docs = pages(site)
    ids = {name: set(doc.xpath("//@id")) for name, doc in docs.items()}
    broken = []
    for name, doc in docs.items():
        all_ids = doc.xpath("//@id")
        assert len(all_ids) == len(set(all_ids)), f"{name}: duplicate ids"
        for href in local_targets(doc):
            parts = urlsplit(href)
            target = at(name, unquote(parts.path))
            if not (site / target).is_file():
                broken.append(f"{name}: {href} (no file)")
            elif parts.fragment and target.endswith(".html") and parts.fragment not in ids[target]:
                broken.append(f"{name}: {href} (no id)")
    assert broken == []


@pytest.mark.parametrize("book", BOOKS, ids=lambda p: p.name)
def test_next_and_previous_chain_every_page_in_reading_order(book: Path, build_book: Site) -> None:
    site = site_of(build_book, book)
    expected = reading_order(book)
    assert sorted(expected) == sorted(pages(site))
    assert follow(site, expected[0], "next") == expected
    assert follow(site, expected[-1], "prev") == expected[::-1]


def follow(site: Path, start: str, rel: str) -> list[str]:
    """Walk the rel links; top bar, bottom bar and <link> must agree on every page."""
    visited = [start]
    while True:
        doc = parse(site / visited[-1])
        targets = set(doc.xpath(f"//a[@rel='{rel}']/@href")) | set(doc.xpath(f"//link[@rel='{rel}']/@href"))
        assert len(doc.xpath(f"//a[@rel='{rel}']")) in (0, 2), visited[-1]
        if not targets:
            return visited
        assert len(targets) == 1, (visited[-1], targets)
        visited.append(at(visited[-1], targets.pop()))
        assert len(visited) < 1000


@pytest.mark.parametrize("book", BOOKS, ids=lambda p: p.name)
def test_pages_are_accessible_html5(book: Path, build_book: Site) -> None:
    site = site_of(build_book, book)
    home = reading_order(book)[0]
    for name, doc in pages(site).items():
        raw = (site / name).read_text(encoding="utf-8")
        assert raw.startswith("<!DOCTYPE html>"), name
        assert doc.get("lang"), name
        assert len(doc.xpath("//h1")) == 1, name
        assert len(doc.xpath("//main")) == 1 and doc.xpath("//header") and doc.xpath("//footer"), name
        assert doc.xpath("//a[@class='skip-link']/@href") == ["#_main"], name
        assert doc.xpath("//title/text()")[0].strip(), name
        assert all(img.get("alt") is not None for img in doc.xpath("//img")), name
        assert "epub:type" not in raw, name
        labels = [n.get("aria-label") or n.get("aria-labelledby") for n in doc.xpath("//nav")]
        assert all(labels) and len(labels) == len(set(labels)), name
        for bar in doc.xpath("//nav[contains(@class, 'pager')]"):
            assert [at(name, h) for h in bar.xpath(".//a[.='Contents']/@href")] == [home], name


def test_side_contents_marks_the_current_page(build_book: Site) -> None:
    site = site_of(build_book, SAMPLE)
    for name, doc in pages(site).items():
        current = doc.xpath("//nav[@id='_toc']//a[@aria-current='page']/@href")
        assert current == [name], name
    chapter = parse(site / "04-respecting-stakeholders.html")
    sections = chapter.xpath("//nav[@id='_toc']//li[@class='toc-section']/a/@href")
    assert "04-respecting-stakeholders.html#stakeholder-map" in sections
    assert not [s for s in sections if not s.startswith("04-respecting-stakeholders.html#")]


@pytest.mark.parametrize("book", [SAMPLE, MDBOOK_GUIDE], ids=lambda p: p.name)
def test_side_contents_made_once_equal_the_macro_for_every_page(book: Path) -> None:
    """The list spliced from one rendering is, page by page, what sidebar_list itself gives
    (mdBook's nested chapters included: a chapter's entry holds other chapters' entries)."""
    assembled, _ = assemble(book, skip_preprocessors=CORPUS_SKIPS.get(book, ()))
    sitemap = SiteMap(assembled.pages, assembled.book.mdbook_src)
    env = templates.environment(book)
    sidebar = SideContents(env, assembled.toc, sitemap.url)
    nav = env.get_template("web/nav.j2").module
    assert sidebar.own
    for current in ["", *(page.id for page in assembled.pages)]:
        assert str(sidebar.for_page(current)) == str(nav.sidebar_list(assembled.toc, sitemap.url, current)), current


def test_side_contents_rebased_once_equal_the_list_rebased_for_every_page() -> None:
    """An mdBook page in a folder gets the plain list rebased once for its depth with its own
    entry spliced in: the same as its own list rebased whole, for every page of the guide."""
    assembled, _ = assemble(MDBOOK_GUIDE, skip_preprocessors=CORPUS_SKIPS.get(MDBOOK_GUIDE, ()))
    sitemap = SiteMap(assembled.pages, assembled.book.mdbook_src)
    sidebar = SideContents(templates.environment(MDBOOK_GUIDE), assembled.toc, sitemap.url)
    files = {page.id: sitemap.file(page.id) for page in sitemap.written}
    assert len({file.count("/") for file in files.values()}) > 1  # pages at the top and in folders
    for current, file in files.items():
        assert sidebar.rebased(current, file, web.rebase) == web.rebase(str(sidebar.render(current)), file), file


def test_a_book_template_may_do_what_it_likes_with_the_side_contents(tmp_path: Path) -> None:
    """A book's own page template gets the side contents as they are, in a page in a folder too."""
    book = tmp_path / "book"
    (book / "src" / "guide").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "Own"\n', encoding="utf-8")
    (book / "src" / "SUMMARY.md").write_text("# Summary\n\n- [Start](README.md)\n- [Guide](guide/one.md)\n",
                                             encoding="utf-8")
    (book / "src" / "README.md").write_text("# Start\n\nHello.\n", encoding="utf-8")
    (book / "src" / "guide" / "one.md").write_text("# Guide\n\nThere.\n", encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "plain", formats=["web"]))
    (book / "templates" / "web").mkdir(parents=True)
    (book / "templates" / "web" / "chapter.html.j2").write_text(
        '{% extends "!default/web/chapter.html.j2" %}\n{% block sidebar %}{{ super() }}'
        '<p class="words">{{ side_contents|striptags }}</p>{% endblock %}\n', encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "own", formats=["web"]))
    plain, own = (parse(tmp_path / out / "site" / "guide" / "one.html") for out in ("plain", "own"))
    assert own.xpath("//nav[@id='_toc']//a/@href") == plain.xpath("//nav[@id='_toc']//a/@href")
    assert "../index.html" in own.xpath("//nav[@id='_toc']//a/@href")
    listed = " ".join(plain.xpath("//nav[@id='_toc']/ol[last()]")[0].text_content().split())
    assert own.xpath("string(//p[@class='words'])") == listed == "1 Start 2 Guide"


def test_a_book_nav_or_sidebar_block_is_used_on_every_page(tmp_path: Path) -> None:
    """A book's own web/nav.j2 is called for each page; a book's sidebar block replaces the list."""
    book = copy_book(SAMPLE, tmp_path / "book")
    (book / "templates" / "web").mkdir(parents=True)
    (book / "templates" / "web" / "nav.j2").write_text(
        (templates.DEFAULTS / "web" / "nav.j2").read_text(encoding="utf-8").replace(
            '<li class="toc-{{ e.kind }}">', '<li class="toc-{{ e.kind }}" data-seen-from="{{ current }}">'),
        encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "out", formats=["web"]))
    site = tmp_path / "out" / "site"
    for name, doc in pages(site).items():
        seen = set(doc.xpath("//nav[@id='_toc']//li/@data-seen-from"))
        assert seen == {"" if name == "index.html" else name.removesuffix(".html")}, name
    (book / "templates" / "web" / "nav.j2").unlink()
    for kind in ("chapter", "part"):
        (book / "templates" / "web" / f"{kind}.html.j2").write_text(
            f'{{% extends "!default/web/{kind}.html.j2" %}}\n{{% block sidebar %}}<nav id="_toc" aria-label="Mine">'
            '<p class="mine">{{ current }}</p></nav>{% endblock %}\n', encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "out", formats=["web"]))
    for name, doc in pages(site).items():
        if name != "index.html":
            assert doc.xpath("//nav[@id='_toc']/p[@class='mine']/text()") == [name.removesuffix(".html")], name
            assert not doc.xpath("//nav[@id='_toc']//ol"), name


def test_pages_written_by_worker_processes_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site made by forked workers, page runs and index blocks in any order, is the one made
    in one process, with and without the cache; a template error in a worker is reported as here."""
    book = copy_book(SAMPLE, tmp_path / "book")
    build(book, resolve(book, output=tmp_path / "one", formats=["web"], jobs=1, use_cache=False))
    monkeypatch.setattr(web, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(web_search, "BLOCK", 3)
    build(book, resolve(book, output=tmp_path / "two", formats=["web"], jobs=1, use_cache=False))
    expected = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    for run in ("cold", "cached", "again"):
        out = tmp_path / ("nocache" if run == "cold" else "cache")
        build(book, resolve(book, output=out, formats=["web"], jobs=2, use_cache=run != "cold"))
        found = {p.relative_to(out): p.read_bytes() for p in (out / "site").rglob("*") if p.is_file()}
        assert found == {p: data for p, data in expected.items() if p.parts[0] == "site"}, run
    assert len(load_index(tmp_path / "two" / "site")["blocks"]) > 1
    (book / "templates" / "web").mkdir(parents=True)
    (book / "templates" / "web" / "chapter.html.j2").write_text(
        '{% extends "!default/web/chapter.html.j2" %}\n{% block heading %}\n{{ page.no_such }}{% endblock %}\n',
        encoding="utf-8")
    with pytest.raises(BookError) as caught:
        build(book, resolve(book, output=tmp_path / "broken", formats=["web"], jobs=2, use_cache=False))
    problem = caught.value.diagnostics[-1]
    assert problem.code == "template.render" and problem.path.endswith("templates/web/chapter.html.j2")
    assert problem.line == 3


def test_contents_page_has_cover_title_description_contents_and_downloads(build_book: Site) -> None:
    site = site_of(build_book, SAMPLE)
    home = parse(site / "index.html")
    assert text(home.xpath("//h1")[0]) == "Inner Leadership"
    assert text(home.xpath("//p[@class='book-authors']")[0]) == "Maren Holt and David Okafor"
    assert text(home.xpath("//*[@class='book-description']")[0]).startswith("Inner Leadership argues")
    cover = home.xpath("//p[@class='book-cover']/img")[0]
    assert cover.get("src") == "images/cover.svg" and (site / "images/cover.svg").is_file()
    assert cover.get("alt").startswith("Cover of Inner Leadership")
    contents = home.xpath("//section[@class='contents']//a/@href")
    assert contents[:2] == ["preface.html", "preface.html#how-the-book-is-organized"]
    assert "05-relationship-focus.html#trust" in contents
    downloads = home.xpath("//ul[@class='book-actions']//a[@download]/@href")
    assert downloads == ["downloads/inner-leadership.epub"]
    assert (site / downloads[0]).read_bytes() == (site.parent / "inner-leadership.epub").read_bytes()


def test_without_epub_or_pdf_there_is_no_download_link(build_book: Site) -> None:
    site = site_of(build_book, SAMPLE, ("web",))
    assert not parse(site / "index.html").xpath("//a[@download]")
    assert not (site / "downloads").exists()


def test_the_404_page_says_so_in_the_books_language_and_its_links_land(tmp_path: Path, build_book: Site) -> None:
    site = site_of(build_book, TEST_BOOKS / "lang-de", ("web",))
    page = parse(site / "404.html")
    assert page.xpath("//title/text()") == ["Seite nicht gefunden · Die Uhrmacherin"]
    assert [text(h) for h in page.xpath("//h1")] == ["Dokument nicht gefunden (404)"]
    assert "Suche" in text(page.xpath("//article/p")[0]) and not page.xpath("//base")
    assert not page.xpath("//@aria-current") and not page.xpath("//a[@rel]")  # no page of the reading order
    hrefs = list(local_targets(page))
    assert "01-werkstatt.html" in hrefs and all((site / urlsplit(h).path).is_file() for h in hrefs if urlsplit(h).path)
    book = copy_book(TEST_BOOKS / "lang-de", tmp_path / "book")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[site]\nbase-url = "https://example.org/uhr"\n')
    build(book, resolve(book, output=tmp_path / "out", formats=["web"]))
    served = parse(tmp_path / "out" / "site" / "404.html")
    assert served.xpath("//base/@href") == ["https://example.org/uhr/"]  # read from any missing address
    assert served.xpath("//link[@rel='stylesheet']/@href")[0] == "css/base.css"


def test_part_page_keeps_one_h1_and_lists_its_chapters(build_book: Site) -> None:
    part = parse(site_of(build_book, SAMPLE) / "part-2.html")
    assert [text(h) for h in part.xpath("//h1")] == ["The Techniques of Inner Leader Preparation"]
    assert [text(p) for p in part.xpath("//p[@class='part-number']")] == ["Part II"]
    # the overview's own heading repeated the part's: it is left out, and links to it still land
    assert not part.xpath("//div[@class='part-intro']//h2")
    assert part.xpath("//div[@class='part-intro']/*[@id='the-techniques-of-inner-leader-preparation']")
    listed = [h for h in part.xpath("//div[@class='part-intro']//a/@href") if not h.startswith("references")]
    assert not part.xpath("//nav[@class='part-contents']")  # the overview's list is the chapter list
    assert listed[0] == "04-respecting-stakeholders.html" and len(listed) == 6


def test_footnotes_link_both_ways_and_links_between_chapters_land(build_book: Site) -> None:
    chapter = parse(site_of(build_book, SAMPLE) / "04-respecting-stakeholders.html")
    ref = chapter.xpath("//a[@role='doc-noteref']")[0]
    note_id = ref.get("href").lstrip("#")
    note = chapter.xpath(f"//aside[@id='{note_id}']")[0]
    assert note.xpath(".//a[@role='doc-backlink']/@href") == [f"#{ref.get('id')}"]
    servant = parse(site_of(build_book, SAMPLE) / "03-the-leader-as-servant.html")
    assert "02-knowing-yourself.html#self-report" in servant.xpath("//article//a/@href")


def test_site_options_header_footer_and_canonical(tmp_path: Path) -> None:
    book = copy_book(SAMPLE, tmp_path / "book")
    with (book / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[site]\nheader = "A field guide <for leaders>"\nbase-url = "https://example.org/inner/"\n'
                   'footer = [{ title = "Publisher", url = "https://example.org/" }]\n')
    build(book, resolve(book, output=tmp_path / "out", formats=["web"]))
    site = tmp_path / "out" / "site"
    home, chapter = parse(site / "index.html"), parse(site / "preface.html")
    assert home.xpath("//link[@rel='canonical']/@href") == ["https://example.org/inner/"]
    assert chapter.xpath("//link[@rel='canonical']/@href") == ["https://example.org/inner/preface.html"]
    assert text(chapter.xpath("//*[@class='site-tagline']")[0]) == "A field guide <for leaders>"
    assert chapter.xpath("//footer//a/@href") == ["https://example.org/"]


def test_a_book_without_site_options_has_no_empty_chrome(build_book: Site) -> None:
    chapter = parse(site_of(build_book, SAMPLE) / "preface.html")
    assert not chapter.xpath("//link[@rel='canonical'] | //*[@class='site-tagline'] | //footer//nav")
    assert "Copyright" in text(chapter.xpath("//footer")[0])


# --- search index --------------------------------------------------------------------------------


def load_index(site: Path) -> dict[str, Any]:
    script = (site / "js" / "search-index.js").read_text(encoding="utf-8")
    prefix = "window.octavoSearch = "
    assert script.startswith(prefix)
    data: dict[str, Any] = json.loads(script[len(prefix):].rstrip().rstrip(";"))
    return data


def decode(postings: str) -> list[int]:
    out, value, previous = [], 0, -1
    for character in postings:
        if character in CONTINUE:
            value = value * 32 + CONTINUE.index(character)
        else:
            previous += value * 32 + FINAL.index(character)
            out.append(previous)
            value = 0
    return out


def find(index: dict[str, Any], word: str) -> list[tuple[str, str]]:
    sections: list[int] = []
    for block in index["blocks"]:
        vocabulary = block["words"].split(" ")
        if word in vocabulary:
            sections += [block["first"] + n for n in decode(block["postings"][vocabulary.index(word)])]
    return [(index["pages"][index["sections"][n][0]][0], index["sections"][n][1]) for n in sections]


def test_postings_round_trip() -> None:
    numbers = [0, 1, 2, 40, 41, 1000, 1031, 70000]
    assert decode(encode(numbers)) == numbers
    assert words("Élan, naïve CAFÉ’s 1660 a") == {"elan", "naive", "cafe", "1660"}


def test_search_index_finds_words_in_sections_and_notes(build_book: Site) -> None:
    index = load_index(site_of(build_book, SAMPLE))
    assert ("04-respecting-stakeholders.html", "stakeholder-map") in find(index, "concentric")
    # a note's words count for the section that calls the note
    assert find(index, "planning") == [("04-respecting-stakeholders.html", "who-counts")]


def test_pepys_search_index_stays_small(build_book: Site) -> None:
    site = site_of(build_book, PEPYS)
    size = (site / "js" / "search-index.js").stat().st_size
    source = sum(p.stat().st_size for p in PEPYS.glob("*.md"))
    assert size < source / 8, (size, source)
    assert find(load_index(site), "cribbage")


# --- the HTML of one page ------------------------------------------------------------------------


def test_web_body_strips_epub_types_wraps_tables_and_keeps_one_h1() -> None:
    from markupsafe import Markup

    body = Markup('<h1 id="a">A</h1><section epub:type="footnotes" class="f"><table><tr><td>1</td></tr></table>'
                  '</section><h1>B</h1><p>write epub:type="x" and &lt;h1&gt;</p>')
    out = str(web_body(body, intro=False))
    assert '<section class="f">' in out
    assert '<div class="table-wrap"><table>' in out and "</table></div>" in out
    assert out.count("<h1") == 1 and "<h2>B</h2>" in out
    assert 'write epub:type="x" and &lt;h1&gt;' in out
    assert demote_headings('<h1 id="x">T</h1><h6>S</h6>') == '<h2 id="x">T</h2><h6>S</h6>'


def test_a_chapter_called_index_does_not_replace_the_contents_page() -> None:
    sitemap = SiteMap([Page("index", "chapter", "Index", "Index"), Page("a", "chapter", "A", "A")])
    assert sitemap.file("index") == "index-2.html" and sitemap.url("a", "x") == "a.html#x"


# --- in a browser --------------------------------------------------------------------------------

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def open_page(browser: Any, build_book: Site) -> Iterator[Callable[..., Any]]:
    """Open a page of the sample site (file://); console errors and page errors are collected."""
    site = site_of(build_book, SAMPLE)
    contexts: list[Any] = []

    def open_(name: str, width: int = 1280, height: int = 900, javascript: bool = True) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto((site / name).as_uri())
        return page

    yield open_
    for context in contexts:
        context.close()


def test_clicking_next_opens_the_next_page(open_page: Callable[..., Any]) -> None:
    page = open_page("03-the-leader-as-servant.html")
    page.click(".pager-top a[rel=next]")
    page.wait_for_url("**/part-2.html")
    page.click(".pager-bottom a[rel=prev]")
    page.wait_for_url("**/03-the-leader-as-servant.html")


def test_arrow_keys_turn_the_page(open_page: Callable[..., Any]) -> None:
    page = open_page("01-what-is-inner-leadership.html")
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/02-knowing-yourself.html")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**/01-what-is-inner-leadership.html")


def test_search_finds_a_word_and_its_result_opens_the_section(open_page: Callable[..., Any]) -> None:
    page = open_page("index.html")
    page.fill("#_search-input", "concentric")
    first = page.locator("#_search-results a").first
    first.wait_for()
    assert "04-respecting-stakeholders.html" in first.get_attribute("href")
    first.click()
    page.wait_for_url(re.compile(r"/04-respecting-stakeholders\.html\?q=concentric#[a-z-]+$"))
    assert page.locator("mark.search-hit").count() >= 1
    assert page.errors == []


def test_no_console_errors(open_page: Callable[..., Any]) -> None:
    for name in ("index.html", "04-respecting-stakeholders.html", "part-2.html"):
        page = open_page(name)
        page.focus("#_search-input")
        page.wait_for_function("() => window.octavoSearch !== undefined")
        assert page.errors == [], name


@pytest.mark.parametrize("name", ["index.html", "04-respecting-stakeholders.html", "part-2.html", "references.html"])
def test_phone_width_has_no_sideways_scroll(open_page: Callable[..., Any], name: str) -> None:
    page = open_page(name, width=375, height=740)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click(".toc-toggle")
    assert page.locator("#_toc").is_visible()
    assert page.locator("#_toc a[aria-current=page]").first.is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#_toc").is_visible()


def test_reads_without_javascript(open_page: Callable[..., Any]) -> None:
    page = open_page("04-respecting-stakeholders.html", width=375, javascript=False)
    assert not page.locator("form.search").is_visible()
    assert page.locator("#_toc").is_visible()  # after the text, since there is no drawer
    assert page.locator("article h1").is_visible()


def test_print_hides_navigation(open_page: Callable[..., Any]) -> None:
    page = open_page("04-respecting-stakeholders.html")
    page.emulate_media(media="print")
    for selector in (".site-header", "#_toc", ".pager-top", ".site-footer"):
        assert not page.locator(selector).is_visible(), selector
    assert page.locator("article h1").is_visible()


def test_site_can_be_moved(tmp_path: Path, build_book: Site) -> None:
    """Relative links only: a copied site keeps working wherever it lands."""
    moved = shutil.copytree(site_of(build_book, SAMPLE), tmp_path / "elsewhere" / "site")
    for doc in pages(moved).values():
        assert not [t for t in local_targets(doc) if t.startswith("/")]


def test_search_across_index_blocks_in_the_browser(browser: Any, tmp_path: Path) -> None:
    """A book longer than one block of the index: a word in the last block and a word in every
    chapter are found, at the right sections, by the page's own script."""
    book = tmp_path / "long"
    book.mkdir()
    names = [f"{n:02d}.md" for n in range(1, BLOCK + 9)]
    for n, name in enumerate(names, 1):
        rare = " marmalade" if n == len(names) else ""
        (book / name).write_text(f"# Day {n}\n\nEvery day had its errand{rare}.\n\n## Evening {{#evening-{n}}}\n\n"
                                 f"Supper, then cribbage{n}.\n", encoding="utf-8")
    chapters = ", ".join(f'"{name}"' for name in names)
    (book / "book.toml").write_text(f'[book]\ntitle = "Long"\nchapters = [{chapters}]\n', encoding="utf-8")
    out = tmp_path / "out"
    build(book, resolve(book, output=out, formats=["web"]))
    index = load_index(out / "site")
    assert len(index["blocks"]) == 2
    context = browser.new_context()
    page = context.new_page()
    page.goto((out / "site" / "index.html").as_uri())
    for query, expected in [("marmalade", [f"{len(names):02d}.html"]), ("errand", [f"{n:02d}.html" for n in
                                                                                   range(1, len(names) + 1)]),
                            (f"cribbage{len(names)}", [f"{len(names):02d}.html#evening-{len(names)}"])]:
        page.fill("#_search-input", query)
        count = "1 page" if len(expected) == 1 else f"{len(expected)} pages"
        page.wait_for_function("c => document.querySelector('#_search-status').textContent.startsWith(c)",
                               arg=count)
        links = page.locator("#_search-results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        found = [urlsplit(link).path.rsplit("/", 1)[-1] + (f"#{urlsplit(link).fragment}" if "evening" in link else "")
                 for link in links]
        assert set(found) <= set(expected) and found, (query, found)
    context.close()


# --- themes, the header, search results, phones, axe-core -----------------------------------------

AXE = ROOT / ".ci" / ".node" / "node_modules" / "axe-core" / "axe.min.js"  # installed by .ci/run
THEMES = ("light", "dark")
BACKGROUND = "getComputedStyle(document.body).backgroundColor"
CODE_BACKGROUND = "getComputedStyle(document.querySelector('.highlight')).backgroundColor"


def luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed ``rgb(r, g, b)`` colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def themed_page(browser: Any, path: Path, scheme: str, width: int = 1280, height: int = 900) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri())
    return context, page


def test_the_theme_follows_the_system_until_the_reader_chooses(browser: Any, build_book: Site) -> None:
    site = site_of(build_book, BOOKS_CODE, ("web",))
    for scheme in THEMES:
        context, page = themed_page(browser, site / "01-fences.html", scheme)
        dark = scheme == "dark"
        assert (luminance(page.evaluate(BACKGROUND)) < 0.05) is dark
        assert (luminance(page.evaluate(CODE_BACKGROUND)) < 0.05) is dark  # the code's own theme too
        toggle = page.locator(".theme-toggle")
        assert toggle.get_attribute("aria-pressed") == str(dark).lower()
        toggle.click()
        assert toggle.get_attribute("aria-pressed") == str(not dark).lower()
        assert (luminance(page.evaluate(BACKGROUND)) < 0.05) is not dark
        assert (luminance(page.evaluate(CODE_BACKGROUND)) < 0.05) is not dark
        # remembered on the next page, and applied before the body is parsed: no flash of the other theme
        page.add_init_script("""new MutationObserver(function (_, observer) {
            if (document.body) { window.themeAtBody = document.documentElement.getAttribute("data-theme");
                                 observer.disconnect(); }
        }).observe(document, {childList: true, subtree: true});""")
        page.goto((site / "02-languages.html").as_uri())
        assert page.evaluate("window.themeAtBody") == ("light" if dark else "dark")
        assert (luminance(page.evaluate(BACKGROUND)) < 0.05) is not dark
        assert page.errors == []
        context.close()


def test_every_page_links_the_downloads_in_its_header(build_book: Site) -> None:
    site = site_of(build_book, BOOKS_TECHNICAL, ("epub", "pdf", "web"))
    docs = pages(site)
    assert len(docs) > 3
    for name, doc in docs.items():
        links = doc.xpath("//header[@class='site-header']//nav[@class='site-downloads']//a")
        assert [text(a) for a in links] == ["Download EPUB", "Download PDF"], name
        for link in links:
            assert link.get("download") is not None and (site / link.get("href")).is_file(), name


def test_search_lists_each_page_once_with_the_passage_that_matched(open_page: Callable[..., Any]) -> None:
    page = open_page("index.html")
    page.fill("#_search-input", "stakeholder map")
    page.locator("#_search-results .result-passage mark").first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('#_search-results .result-passage')]"
                           ".every(p => p.querySelector('mark'))")
    links = page.locator("#_search-results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    files = [urlsplit(link).path for link in links]
    assert len(files) > 1 and len(files) == len(set(files)), files  # the chapter has three such sections
    assert page.locator("#_search-status").text_content() == f"{len(files)} pages."
    for passage in page.locator("#_search-results .result-passage").all():
        quoted = " ".join(passage.text_content().split())
        marked = [m.lower() for m in passage.locator("mark").all_text_contents()]
        assert 20 < len(quoted) < 260 and marked, quoted
        assert all(m.startswith(("stakeholder", "map")) for m in marked), quoted  # each word as a prefix
    assert page.errors == []


@pytest.mark.parametrize("name", ["04-respecting-stakeholders.html", "part-2.html", "references.html"])
def test_a_phone_shows_the_page_title_without_scrolling(open_page: Callable[..., Any], name: str) -> None:
    page = open_page(name, width=390, height=844)
    box = page.locator("article h1").bounding_box()
    header = page.locator(".site-header").bounding_box()
    assert box["y"] + box["height"] <= 844 and box["y"] < 300, box
    assert header["height"] < 110, header  # one line of buttons and title, one of search
    for selector in (".toc-toggle", ".theme-toggle", ".site-downloads a", "#_search-input"):
        assert page.locator(selector).first.is_visible(), selector
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def axe_findings(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as "rule: target" lines."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert "color-contrast" in [rule["id"] for rule in results["passes"]]  # the themes' colours were checked
    return [f"{v['id']}: {node['target']}" for v in results["violations"] if v["impact"] in ("serious", "critical")
            for node in v["nodes"]]


@pytest.mark.parametrize("scheme", THEMES)
def test_axe_finds_no_serious_violation(browser: Any, build_book: Site, scheme: str) -> None:
    """Every page of the sample and of the books with callouts and code, in both themes."""
    assert AXE.is_file(), f"axe-core is missing at {AXE}: run .ci/run (npm install --prefix .ci/.node axe-core)"
    found: list[str] = []
    for book in (SAMPLE, BOOKS_TECHNICAL, BOOKS_CODE):
        site = site_of(build_book, book)
        for path in sorted(site.glob("*.html")):
            context, page = themed_page(browser, path, scheme)
            found += [f"{book.name}/{path.name}: {finding}" for finding in axe_findings(page)]
            context.close()
    assert found == []

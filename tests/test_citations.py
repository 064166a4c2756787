"""Citations and the references list, on real outputs, and compared with ``pandoc --citeproc``.

The comparison (item 5 of issue 17) builds a book citing 85 real works of tests/books/citations/
works.bib in every form, and formats the same chapters with pandoc's HTML writer in this run: at
least 95% of the citations and of the entries must read the same, whitespace normalised.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from citing import compare, octavo_texts, pandoc_texts, work_keys, write_book
from conftest import BOOKS, ROOT, Epub, build_into, copy_book, epubcheck_messages
from lxml import etree

from octavo.check import run_ace, source_locator
from octavo.citations.sources import STYLES
from octavo.diagnostics import BookError
from octavo.pipeline import assemble

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
CITING = BOOKS / "citations"


def pages(epub: Epub) -> list[etree._Element]:
    return [epub.xml(href) for href in epub.spine_hrefs()]


@pytest.mark.parametrize("style", ["chicago-author-date", "apa"])
def test_citations_and_entries_read_as_pandoc_formats_them(tmp_path: Path, style: str) -> None:
    book = write_book(tmp_path / "book", style)
    build_into(book, tmp_path / "out", ["epub"])
    ours, our_entries = octavo_texts(pages(Epub(tmp_path / "out" / "works-cited.epub")))
    theirs, their_entries = pandoc_texts(book, STYLES / f"{style}.csl")
    total = sum(len(texts) for texts in theirs.values())
    same, differences = compare(ours, theirs)
    entries_same = sum(our_entries.get(key) == text for key, text in their_entries.items())
    report = [f"{keys}: octavo {got!r} / pandoc {want!r}" for keys, got, want in differences]
    report += [f"{key}: octavo {our_entries.get(key)!r} / pandoc {text!r}"
               for key, text in their_entries.items() if our_entries.get(key) != text]
    print(f"{style}: citations {same}/{total}, entries {entries_same}/{len(their_entries)}", *report, sep="\n")
    assert total >= 500 and len(their_entries) >= 60
    assert same >= 0.95 * total, report[:20]
    assert entries_same >= 0.95 * len(their_entries), report[-20:]


@pytest.fixture(scope="module")
def citing_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small citing book, built in every format."""
    work = tmp_path_factory.mktemp("citing")
    book = copy_book(CITING, work / "citations")
    build_into(book, work / "out", ["epub", "pdf", "web"])
    return work / "out"


def test_epub_links_every_citation_to_its_entry_and_marks_the_bibliography(citing_book: Path) -> None:
    epub = Epub(citing_book / "works-cited.epub")
    assert epub.spine_hrefs()[-1] == "references.xhtml"
    refs = epub.xml("references.xhtml")
    assert refs.xpath("//x:h1/text()", namespaces=NS) == ["References"]
    holder = refs.xpath("//*[@id='refs']", namespaces=NS)[0]
    assert holder.get("role") == "doc-bibliography" and holder.get(f"{{{NS['epub']}}}type") == "bibliography"
    entries = holder.xpath(".//x:li", namespaces=NS)
    ids = {li.get("id") for li in entries}
    assert all(li.get(f"{{{NS['epub']}}}type") == "biblioentry" for li in entries)
    assert "ref-knuth1984texbook" in ids and "ref-turing1950computing" in ids  # a work cited only in a note
    links = [a.get("href") for page in pages(epub)
             for a in page.xpath("//x:span[@class='citation']//x:a", namespaces=NS)]
    assert len(links) >= 10 and all(link.startswith("references.xhtml#ref-") for link in links)
    assert {link.split("#")[1] for link in links} <= ids
    one = epub.xml("one.xhtml")
    text = " ".join("".join(one.itertext()).split())
    assert "(Knuth 1984b, 33)" in text and "Knuth (1984a)" in text and "(1968)" in text
    assert "Mail someone@example.org." in text  # an e-mail address is no citation
    doi = refs.xpath("//x:li[@id='ref-turing1950computing']//x:a/@href", namespaces=NS)
    assert doi == ["https://doi.org/10.1093/mind/LIX.236.433"]
    assert epubcheck_messages(citing_book / "works-cited.epub") == []


def test_pdf_and_web_carry_the_citations_and_the_list(citing_book: Path) -> None:
    text = subprocess.run(["pdftotext", str(citing_book / "works-cited.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "(Knuth 1984b, 33)" in flat and "References" in flat
    assert "Turing, A. M. 1950. “Computing Machinery" in flat and "Mind 59 (236): 433–60." in flat
    with pikepdf.open(citing_book / "works-cited.pdf") as pdf:
        names = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys())
        targets = [str(a.Dest) for page in pdf.pages for a in page.get("/Annots", []) if "/Dest" in a]
    assert "references--ref-knuth1984texbook" in names
    assert sum(target.startswith("references--ref-") for target in targets) >= 10  # the citations' links
    site = citing_book / "site"
    one = (site / "one.html").read_text(encoding="utf-8")
    assert 'href="references.html#ref-knuth1984texbook"' in one
    refs = (site / "references.html").read_text(encoding="utf-8")
    assert 'id="ref-knuth1984texbook"' in refs and 'role="doc-bibliography"' in refs


@pytest.mark.ace
def test_ace_finds_nothing_in_a_citing_book(citing_book: Path) -> None:
    epub = citing_book / "works-cited.epub"
    assembled, _ = assemble(citing_book.parent / "citations")
    outcome = run_ace(epub, source_locator(assembled, epub))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []


def citing(tmp_path: Path, text: str, toml: str = "", files: dict[str, str] | None = None) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    (book / "works.bib").write_bytes((CITING / "works.bib").read_bytes())
    (book / "a.md").write_text(text, encoding="utf-8")
    for name, content in (files or {}).items():
        (book / name).write_text(content, encoding="utf-8")
    config = toml or 'bibliography = ["works.bib"]'
    (book / "book.toml").write_text(f'[book]\ntitle = "T"\nchapters = ["a.md"]\n{config}\n', encoding="utf-8")
    return book


def problems_of(book: Path, out: Path) -> list[str]:
    with pytest.raises(BookError) as caught:
        build_into(book, out, ["epub"])
    return [d.format() for d in caught.value.diagnostics]


def test_an_unknown_key_is_an_error_at_its_line_with_a_did_you_mean(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\nFine [@knuth1984texbook].\n\nA typo [@knuth1984texbok, p. 3].\n")
    found = problems_of(book, tmp_path / "out")
    assert found == ["a.md:5: error: no entry 'knuth1984texbok' in the bibliography [citation.unknown]\n"
                     "    hint: did you mean 'knuth1984texbook'?"]
    assert not (tmp_path / "out" / "t.epub").exists()


def test_a_malformed_bib_file_is_an_error_at_its_line(tmp_path: Path) -> None:
    bad = "@book{a,\n  title = {A},\n  year = 2000\n}\n\n@book{b, title = \"B\" year = 3}\n"
    book = citing(tmp_path, "# A\n\n[@a]\n", 'bibliography = ["bad.bib"]', {"bad.bib": bad})
    found = problems_of(book, tmp_path / "out")
    assert len(found) == 1 and found[0].startswith("bad.bib:6: error: cannot format the citations: unexpected")


@pytest.mark.parametrize(("name", "content", "line"), [
    ("refs.json", '[\n  {"id": "a", "type": "book", "title": "A"},\n  {"id": "b" "type": "book"}\n]\n', 3),
    ("refs.yaml", "references:\n- id: a\n  title: [A\n- id: b\n", 4),
])
def test_malformed_csl_json_and_yaml_are_errors_at_their_line(tmp_path: Path, name: str, content: str,
                                                              line: int) -> None:
    book = citing(tmp_path, "# A\n\n[@a]\n", f'bibliography = ["{name}"]', {name: content})
    found = problems_of(book, tmp_path / "out")
    assert len(found) == 1 and found[0].startswith(f"{name}:{line}: error: invalid CSL-"), found


def test_csl_json_and_yaml_bibliographies_are_read(tmp_path: Path) -> None:
    json_ = '[{"id": "j", "type": "book", "title": "Json Book", "author": [{"family": "Jay", "given": "A."}],' \
            ' "issued": {"date-parts": [[2001]]}}]'
    yaml_ = "- id: why2002\n  type: book\n  title: Yaml Book\n  author:\n  - family: Why\n    given: B.\n" \
            "  issued:\n    date-parts:\n    - [2002]\n"
    book = citing(tmp_path, "# A\n\n[@j; @why2002]\n", 'bibliography = ["a.json", "b.yaml"]',
                  {"a.json": json_, "b.yaml": yaml_})
    build_into(book, tmp_path / "out", ["epub"])
    text = " ".join("".join(Epub(tmp_path / "out" / "t.epub").xml("a.xhtml").itertext()).split())
    assert "(Jay 2001; Why 2002)" in text


def test_a_malformed_csl_style_is_an_error_at_its_line(tmp_path: Path) -> None:
    style = '<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text">\n<info>\n' \
            "</style>\n"
    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n", 'bibliography = ["works.bib"]\ncsl = "mine.csl"',
                  {"mine.csl": style})
    found = problems_of(book, tmp_path / "out")
    assert len(found) == 1 and found[0].startswith("mine.csl:4: error: the CSL style is not well-formed XML")


def test_a_missing_style_names_the_styles_octavo_ships(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n", 'bibliography = ["works.bib"]\ncsl = "chicago"')
    found = problems_of(book, tmp_path / "out")
    assert found == ["book.toml:5: error: unknown citation style 'chicago' [citation.style]\n    hint: did you mean "
                     "'chicago-author-date'? octavo ships chicago-author-date, apa, chicago-notes-bibliography, "
                     "harvard, ieee, mla; or give the path of a .csl file in the book"]


def test_a_key_in_two_files_is_an_error_naming_both(tmp_path: Path) -> None:
    other = "% another file\n\n@book{knuth1984texbook,\n  title = {Again},\n  year = {1984}\n}\n"
    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n", 'bibliography = ["works.bib", "more.bib"]',
                  {"more.bib": other})
    found = problems_of(book, tmp_path / "out")
    assert found == ["more.bib:3: error: citation key 'knuth1984texbook' is defined twice: at works.bib:4 and here "
                     "[bibliography.duplicate]\n    hint: keep one entry, or give one of them another key"]


def test_a_failed_build_leaves_the_previous_outputs(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n")
    build_into(book, tmp_path / "out", ["epub"])
    before = (tmp_path / "out" / "t.epub").read_bytes()
    (book / "a.md").write_text("# A\n\n[@nobody]\n", encoding="utf-8")
    problems_of(book, tmp_path / "out")
    assert (tmp_path / "out" / "t.epub").read_bytes() == before


def test_refs_div_places_the_list_and_nocite_adds_entries(tmp_path: Path) -> None:
    text = "# A\n\nSee [@knuth1984texbook].\n\n## Sources\n\n::: {#refs}\n:::\n\nAfter the list.\n"
    book = citing(tmp_path, text, 'bibliography = ["works.bib"]\nnocite = ["@kuhn1962structure"]')
    build_into(book, tmp_path / "out", ["epub"])
    epub = Epub(tmp_path / "out" / "t.epub")
    assert epub.spine_hrefs()[-1] == "a.xhtml"  # no page of its own
    page = epub.xml("a.xhtml")
    ids = page.xpath("//*[@id='refs']//x:li/@id", namespaces=NS)
    assert ids == ["ref-knuth1984texbook", "ref-kuhn1962structure"]
    assert page.xpath("//x:span[@class='citation']//x:a/@href", namespaces=NS) == ["#ref-knuth1984texbook"]
    assert page.xpath("//*[@id='refs']/following-sibling::x:p/text()", namespaces=NS) == ["After the list."]


def test_a_note_style_puts_citations_in_footnotes(tmp_path: Path) -> None:
    text = "# A\n\nFirst [@knuth1984texbook, 33]. Again [@knuth1984texbook, 34].\n"
    book = citing(tmp_path, text, 'bibliography = ["works.bib"]\ncsl = "chicago-notes-bibliography"')
    build_into(book, tmp_path / "out", ["epub"])
    page = Epub(tmp_path / "out" / "t.epub").xml("a.xhtml")
    assert page.xpath("//x:sup[@class='noteref']/x:a/text()", namespaces=NS) == ["1", "2"]
    notes = [" ".join("".join(a.itertext()).split()) for a in page.xpath("//x:aside", namespaces=NS)]
    assert notes == ["1. Donald E. Knuth, The TeXbook (Addison-Wesley, 1984), 33.", "2. Knuth, The TeXbook, 34."]
    body = " ".join("".join(page.xpath("//x:p[contains(., 'First')]", namespaces=NS)[0].itertext()).split())
    assert body.startswith("First.") and "Again." in body  # the note after the full stop, as pandoc puts it


def test_the_book_language_picks_the_locale_and_the_page_title(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\n[@kernighan1988c]\n", 'bibliography = ["works.bib"]\nlanguage = "de"')
    build_into(book, tmp_path / "out", ["epub"])
    epub = Epub(tmp_path / "out" / "t.epub")
    assert "(Kernighan und Ritchie 1988)" in " ".join("".join(epub.xml("a.xhtml").itertext()).split())
    assert epub.xml("references.xhtml").xpath("//x:h1/text()", namespaces=NS) == ["Referenzen"]


def test_without_a_bibliography_citations_stay_text(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\nAsk @someone, or see [@smith2019].\n", toml="")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nchapters = ["a.md"]\n', encoding="utf-8")
    result = build_into(book, tmp_path / "out", ["epub"])
    assert [d.format() for d in result.diagnostics] == [
        "a.md:3: warning: citation [@smith2019] but the book has no bibliography [citation.no-bibliography]\n"
        '    hint: add bibliography = ["references.bib"] under [book] in book.toml, or write \\[ for a literal '
        "bracket"]
    page = Epub(tmp_path / "out" / "t.epub").xml("a.xhtml")
    assert "Ask @someone, or see [@smith2019]." in "".join(page.itertext())
    assert page.xpath("//x:span[not(@class='chapter-number')]", namespaces=NS) == []


def test_cross_references_are_never_citations(tmp_path: Path) -> None:
    refs = "See @fig-map, @tbl-data, [@sec-intro], @eq-one, @lst-code and [@fig:a; @fig:b]"
    book = citing(tmp_path, f"# A\n\n## Intro {{#sec-intro}}\n\n{refs} by [@kuhn1962structure].\n")
    with pytest.raises(BookError) as caught:
        build_into(book, tmp_path / "out", ["epub"])
    # The cross-reference stage, not the citations, answers for each: the figures, tables, equations
    # and listings do not exist; the section does; no key is looked up in the bibliography.
    problems = caught.value.diagnostics
    assert sorted(p.message.split("'")[1] for p in problems) == sorted(
        ["@fig-map", "@tbl-data", "@eq-one", "@lst-code", "@fig:a", "@fig:b"])
    assert {p.code for p in problems} == {"xref.unknown"}


def test_front_matter_bibliography_is_read(tmp_path: Path) -> None:
    text = "---\nbibliography: local.bib\n---\n# A\n\n[@local2000]\n"
    local = "@book{local2000,\n  author = {Local, Anne},\n  title = {Near},\n  year = {2000}\n}\n"
    book = citing(tmp_path, text, toml="", files={"local.bib": local})
    build_into(book, tmp_path / "out", ["epub"])
    assert "(Local 2000)" in "".join(Epub(tmp_path / "out" / "t.epub").xml("a.xhtml").itertext())


def test_the_formatting_is_cached_and_redone_only_for_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from octavo.citations import engine

    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n", files={})
    runs: list[int] = []
    real = engine.run

    def counted(*args: object, **kwargs: object) -> engine.Result:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "run", counted)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build_into(book, tmp_path / "out", ["epub"])
    first = (tmp_path / "out" / "t.epub").read_bytes()
    build_into(book, tmp_path / "out", ["epub"])
    assert len(runs) == 1 and (tmp_path / "out" / "t.epub").read_bytes() == first
    (book / "a.md").write_text("# A\n\n[@kuhn1962structure]\n", encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    assert len(runs) == 2
    assert "(Kuhn 1962)" in "".join(Epub(tmp_path / "out" / "t.epub").xml("a.xhtml").itertext())


def test_the_sample_book_cites_by_key(build_book: Callable[..., Path]) -> None:
    epub = Epub(next(build_book(ROOT / "book").glob("*.epub")))
    refs = epub.xml("references.xhtml")
    entries = [" ".join("".join(li.itertext()).split()) for li in refs.xpath("//x:li", namespaces=NS)]
    assert len(entries) == 12 and entries[4].startswith("Holt, M., & Okafor, D. (2019). Placed or prepared?")
    one = " ".join("".join(epub.xml("01-what-is-inner-leadership.xhtml").itertext()).split())
    assert "(Holt & Okafor, 2019)" in one and "Abernathy (2015)" in one and "@" not in one
    overview = " ".join("".join(epub.xml("part-2.xhtml").itertext()).split())
    assert "(Delacroix, 2020; Whitcombe, 2012)" in overview


def test_a_new_bibliography_renders_no_chapter_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapters render placeholders, so their cache entries do not depend on the bibliography."""
    from octavo import batch

    book = citing(tmp_path, "# A\n\n[@knuth1984texbook]\n", files={"b.md": "# B\n\nNo citation.\n"})
    (book / "book.toml").write_text('[book]\ntitle = "T"\nchapters = ["a.md", "b.md"]\nbibliography = ["works.bib"]\n',
                                    encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    rendered: list[str] = []
    real = batch.render_chapter

    def counted(chapter: object, ctx: object) -> object:
        rendered.append(chapter.source)  # type: ignore[attr-defined]
        return real(chapter, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "render_chapter", counted)
    works = book / "works.bib"
    works.write_text(works.read_text(encoding="utf-8").replace("{The {\\TeX}book}", "{The {\\TeX}book, Again}"),
                     encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    assert rendered == []
    assert "The TeXbook, Again" in "".join(Epub(tmp_path / "out" / "t.epub").xml("references.xhtml").itertext())
    (book / "b.md").write_text("# B\n\nNow [@kuhn1962structure].\n", encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    assert rendered == ["b.md"]


def test_nocite_star_lists_every_entry(tmp_path: Path) -> None:
    book = citing(tmp_path, "# A\n\nNo citation here.\n", 'bibliography = ["works.bib"]\nnocite = ["*"]')
    build_into(book, tmp_path / "out", ["epub"])
    refs = Epub(tmp_path / "out" / "t.epub").xml("references.xhtml")
    assert len(refs.xpath("//x:li", namespaces=NS)) == len(work_keys()) == 85

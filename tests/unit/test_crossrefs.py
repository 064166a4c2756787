"""Numbers and cross-references, book-wide: small books assembled from files, their chapters read
with lxml after the transform, and the problems it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from octavo.diagnostics import Diagnostic
from octavo.memo import Memo
from octavo.model import Assembled
from octavo.pipeline import assemble
from octavo.transforms import crossrefs

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def book(tmp_path: Path, files: dict[str, str], config: str = "", language: str = "en") -> Path:
    root = tmp_path / "book"
    root.mkdir(parents=True, exist_ok=True)
    (root / "a.svg").write_text(SVG, encoding="utf-8")
    for name, content in files.items():
        (root / name).write_text(content, encoding="utf-8")
    front = [n for n in files if n.startswith("front")]
    back = [n for n in files if n.startswith("back")]
    chapters = [n for n in files if n not in front and n not in back]
    (root / "book.toml").write_text(f'[book]\ntitle = "T"\nlanguage = "{language}"\nfront = {front}\n'
                                    f"chapters = {chapters}\nback = {back}\n{config}", encoding="utf-8")
    return root


def made(root: Path, memo: Memo | None = None) -> tuple[Assembled, list[Diagnostic]]:
    return assemble(root, memo=memo) if memo else assemble(root)


def page(assembled: Assembled, chapter: str) -> etree._Element:
    html = assembled.rendered[chapter].html
    return etree.fromstring(f'<r xmlns:epub="http://www.idpf.org/2007/ops">{html}</r>'.encode())


def text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def refs(root: etree._Element) -> list[tuple[str, str | None]]:
    return [(text(a), a.get("href")) for a in root.iter("a", "span") if "xref" in a.get("class", "").split()]


def captions(root: etree._Element) -> list[str]:
    return [text(c) for c in root.iter("figcaption", "caption")]


CHAPTER_ONE = ("# One {#sec-one}\n\n![First](a.svg){#fig-first}\n\n![Unlabelled](a.svg)\n\n"
               "## Part A {#sec-a}\n\n### Deeper {#sec-deeper}\n\n| x |\n|---|\n| 1 |\n\n: Numbers {#tbl-numbers}\n\n"
               "![Second](a.svg){#fig-second}\n\n"
               '<figure class="listing" id="lst-code"><figcaption>code.py</figcaption>'
               "<pre><code>x</code></pre></figure>\n\n"
               '<div class="equation" id="eq-sum"><span>a + b</span></div>\n\n'
               '<figure class="listing" id="lst-bare"><pre><code>y</code></pre></figure>\n')
CHAPTER_TWO = ("# Two\n\nSee @fig-second, [@fig-first; @tbl-numbers; @lst-code], [-@fig-second], @eq-sum,\n"
               "@sec-one, @sec-a, @sec-deeper, @lst-bare and @fig-front, @fig-back.\n")


def test_labelled_things_are_numbered_per_chapter_and_references_name_them(tmp_path: Path) -> None:
    root = book(tmp_path, {"front.md": "# Preface\n\n![Front](a.svg){#fig-front}\n", "one.md": CHAPTER_ONE,
                           "two.md": CHAPTER_TWO, "back.md": "# Appendix\n\n![Back](a.svg){#fig-back}\n"})
    assembled, problems = made(root)
    assert problems == []
    one = page(assembled, "one")
    assert captions(one) == ["Figure 1.1: First", "Unlabelled", "Table 1.1: Numbers", "Figure 1.2: Second",
                             "Listing 1.1: code.py", "Listing 1.2"]
    equation = one.find(".//div[@class='equation']")
    assert equation[0].get("class") == "equation-number" and equation[0].text == "(1.1)"
    assert captions(page(assembled, "front")) == ["Figure 1: Front"]
    assert captions(page(assembled, "back")) == ["Figure A.1: Back"]
    assert refs(page(assembled, "two")) == [
        ("Figure 1.2", "octavo:one#fig-second"), ("Figure 1.1", "octavo:one#fig-first"),
        ("Table 1.1", "octavo:one#tbl-numbers"), ("Listing 1.1", "octavo:one#lst-code"),
        ("1.2", "octavo:one#fig-second"), ("Equation (1.1)", "octavo:one#eq-sum"), ("Chapter 1", "octavo:one#sec-one"),
        ("Section 1.1", "octavo:one#sec-a"), ("Section 1.1.1", "octavo:one#sec-deeper"),
        ("Listing 1.2", "octavo:one#lst-bare"), ("Figure 1", "octavo:front#fig-front"),
        ("Figure A.1", "octavo:back#fig-back")]
    assert "Figure 1.1, Table 1.1 and Listing 1.1" in text(page(assembled, "two"))
    assert "data-xref" not in assembled.rendered["two"].html


def test_references_work_from_front_matter_and_to_unnumbered_sections(tmp_path: Path) -> None:
    root = book(tmp_path, {"front.md": "# Preface {#sec-preface}\n\n## Why {#sec-why}\n\nSee @sec-why, @sec-intro.\n",
                           "one.md": "# Intro {#sec-intro}\n\nBack to @sec-preface.\n"})
    assembled, problems = made(root)
    assert problems == []
    assert [t for t, _ in refs(page(assembled, "front"))] == ["Why", "Chapter 1"]
    assert [t for t, _ in refs(page(assembled, "one"))] == ["Preface"]


@pytest.mark.parametrize(("language", "expected"), [
    ("de", ["Abbildung 1.1: Karte", "Abbildung 1.1 und Tabelle 1.1"]),
    ("fr", ["Figure 1.1\u00a0: Karte", "Figure 1.1 et Tableau 1.1"]),
    ("es", ["Figura 1.1: Karte", "Figura 1.1 y Tabla 1.1"]),
    ("ar", ["الشكل 1.1: Karte", "الشكل 1.1 والجدول 1.1"]),  # "and" (و) joins the word after it
    ("ja", ["図1.1\u3000Karte", "図1.1、表1.1"]),
])
def test_labels_are_in_the_books_language(language: str, expected: list[str], tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# Eins\n\n![Karte](a.svg){#fig-map}\n\n| x |\n|---|\n| 1 |\n\n: T {#tbl-t}\n\n"
                                     "Siehe [@fig-map; @tbl-t].\n"}, language=language)
    assembled, problems = made(root)
    one = page(assembled, "one")
    caption = "".join(next(one.iter("figcaption")).itertext())
    assert problems == [] and caption == expected[0] and expected[1] in text(one)


@pytest.mark.parametrize(("language", "figure", "appendix"),
                         [("en", "Figure", "Appendix"), ("de", "Abbildung", "Anhang")])
def test_appendices_are_lettered_and_other_back_matter_is_not(language: str, figure: str, appendix: str,
                                                             tmp_path: Path) -> None:
    files = {"back-notes.md": "# Notes\n\n![N](a.svg){#fig-note}\n",
             "one.md": "# One\n\nSee @fig-b, @sec-second and @fig-note.\n",
             "appx1.md": "# First\n\n![A](a.svg){#fig-a}\n",
             "appx2.md": "# Second {#sec-second}\n\n![B](a.svg){#fig-b}\n"}
    root = book(tmp_path, {k: v for k, v in files.items() if not k.startswith("appx")}, language=language)
    for name in ("appx1.md", "appx2.md"):
        (root / name).write_text(files[name], encoding="utf-8")
    toml = (root / "book.toml").read_text(encoding="utf-8")
    (root / "book.toml").write_text(toml.replace("back = ['back-notes.md']\n",
                                                 "back = ['back-notes.md']\nappendices = ['appx1.md', 'appx2.md']\n"),
                                    encoding="utf-8")
    assembled, problems = made(root)
    assert problems == []
    assert [(c.id, c.number) for c in assembled.book.back] == [("back-notes", None), ("appx1", "A"), ("appx2", "B")]
    assert captions(page(assembled, "appx2")) == [f"{figure} B.1: B"]
    assert captions(page(assembled, "back-notes")) == [f"{figure} 1: N"]  # not lettered: not an appendix
    assert f"See {figure} B.1, {appendix} B" in text(page(assembled, "one"))


def test_numbering_follows_number_figures(tmp_path: Path) -> None:
    files = {"one.md": "# One\n\n![Map](a.svg){#fig-map}\n"}
    unset, _ = made(book(tmp_path / "unset", files))
    assert captions(page(unset, "one")) == ["Map"]  # no cross-reference: a novel keeps plain captions
    on, _ = made(book(tmp_path / "on", files, "[build]\nnumber-figures = true\n"))
    assert captions(page(on, "one")) == ["Figure 1.1: Map"]
    off, problems = made(book(tmp_path / "off", {"one.md": files["one.md"] + "\nSee @fig-map.\n"},
                              "[build]\nnumber-figures = false\n"))
    assert captions(page(off, "one")) == ["Map"] and refs(page(off, "one")) == [("Figure", "octavo:one#fig-map")]
    assert [(p.code, p.path) for p in problems] == [("xref.unnumbered", "book.toml")]


def test_an_unknown_label_is_an_error_at_its_line_with_did_you_mean(tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# One\n\n![Map](a.svg){#fig-map}\n\nSee @fig-mpa\nand @tbl-nothing.\n"})
    _, problems = made(root)
    assert [(p.severity.value, p.code, p.path, p.line) for p in problems] == [
        ("error", "xref.unknown", "one.md", 5), ("error", "xref.unknown", "one.md", 6)]
    assert problems[0].hint == "did you mean '@fig-map'?"
    assert "{#tbl-nothing}" in str(problems[1].hint) and "no table" in problems[1].message


def test_a_label_given_twice_is_an_error_naming_the_first(tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# One\n\n![A](a.svg){#fig-x}\n\nSee @fig-x.\n",
                           "two.md": "# Two\n\n\n![B](a.svg){#fig-x}\n"})
    _, problems = made(root)
    assert [(p.code, p.path, p.line) for p in problems] == [("xref.duplicate", "two.md", 4)]
    assert "one.md:3" in problems[0].message


def test_page_references_are_marked_for_the_pdf_only_where_asked(tmp_path: Path) -> None:
    files = {"one.md": "# One\n\n![A](a.svg){#fig-a}\n\nSee [@fig-a]{.page} and @fig-a.\n"}
    asked, _ = made(book(tmp_path / "asked", files))
    html = asked.rendered["one"].html
    assert html.count('class="xref-page"') == 1 and crossrefs.has_page_references(html)
    every, _ = made(book(tmp_path / "every", files, "[pdf]\npage-references = true\n"))
    assert every.rendered["one"].html.count('class="xref-page"') == 2


def test_a_book_without_references_or_numbers_is_left_as_rendered(tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# One\n\n![A](a.svg){#fig-a}\n\nText.\n"})
    assembled, _ = made(root)
    again, problems = crossrefs.resolve(assembled.book, assembled.rendered)
    assert problems == [] and all(again[k] is assembled.rendered[k] for k in again)


def test_numbers_follow_an_edit_in_another_chapter_with_the_render_cache(tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# One\n\n![A](a.svg){#fig-a}\n", "two.md": "# Two\n\nSee @fig-a.\n"})
    memo = Memo(tmp_path / "cache")
    first, _ = made(root, memo)
    assert refs(page(first, "two")) == [("Figure 1.1", "octavo:one#fig-a")]
    (root / "one.md").write_text("# One\n\n![Z](a.svg){#fig-z}\n\n![A](a.svg){#fig-a}\n", encoding="utf-8")
    second, _ = made(root, Memo(tmp_path / "cache"))
    assert refs(page(second, "two")) == [("Figure 1.2", "octavo:one#fig-a")]
    assert second.rendered["two"].digest != first.rendered["two"].digest


def test_an_equation_labelled_on_its_math_element_gets_its_number_beside_it(tmp_path: Path) -> None:
    math = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" id="eq-m"><mi>x</mi></math>'
    root = book(tmp_path, {"one.md": f"# One\n\n<p>{math}</p>\n\nSee @eq-m.\n"})
    assembled, problems = made(root)
    one = page(assembled, "one")
    number = one.find(".//span[@class='equation-number']")
    assert problems == [] and number.text == "(1.1)"
    assert number.getnext().tag == "{http://www.w3.org/1998/Math/MathML}math"
    assert refs(one) == [("Equation (1.1)", "octavo:one#eq-m")]


def test_a_math_equation_gets_its_number_in_the_slot_the_math_renderer_left(tmp_path: Path) -> None:
    root = book(tmp_path, {"one.md": "# One\n\n$$x = 1$$ {#eq-x}\n\nText $$y$$ {#eq-y} more.\n\nSee @eq-y.\n"})
    assembled, problems = made(root)
    one = page(assembled, "one")
    slots = [(e.get("id"), [(c.get("class"), c.text) for c in e.findall("span")])
             for e in one.xpath("//*[contains(@class, 'equation')]")]
    assert problems == [] and slots == [("eq-x", [("eq-number", "(1.1)")]), ("eq-y", [("eq-number", "(1.2)")])]
    assert one.find(".//span[@class='equation-number']") is None
    assert refs(one) == [("Equation (1.2)", "octavo:one#eq-y")]

"""TeX math: parsed as pandoc parses it, MathML in the EPUB and the web edition, SVG in the PDF,
and a formula that cannot be read is an error at its line.

The formulas of tests/fixtures/formulas.toml (55, written for this: fractions, roots, limits,
matrices, aligned environments, accents, operators, Greek, text, fences) are checked against
pandoc's own MathML; benchmarks/math_quality.py shows the comparison side by side.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import BOOKS, NS, ROOT, Epub, build_into, epubcheck_messages
from lxml import etree

from octavo import math, sanitize
from octavo.diagnostics import BookError
from octavo.markdown import to_xhtml
from octavo.memo import NO_CACHE, Memo

MATH_BOOK = BOOKS / "math"
FIXTURE = ROOT / "tests" / "fixtures" / "formulas.toml"
M = f"{{{math.MATHML_NS}}}"
MATH_NS = {"m": math.MATHML_NS, **NS}
FORMULAS = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))["formula"]


def fragment(markdown: str) -> etree._Element:
    html, env = to_xhtml(markdown, "en")
    assert not env.get("math_errors"), env["math_errors"]
    return etree.fromstring(f"<div>{html}</div>".encode())


def formulas_in(root: etree._Element) -> list[tuple[bool, str]]:
    return [(m.get("display") == "block", m.get("alttext", "")) for m in root.iter(f"{M}math")]


# --- parsing: pandoc's rules -----------------------------------------------------------------

PANDOC_CASES = [
    "Price $5 and $10 today.",
    "cost $20,000 and $30,000 in all",
    "$x$ and 5$y$ and $z$5 and $$w$$5.",
    "$a $b$ and $ c$ and $d $.",
    "$x$, $y$; ($z$).",
    "$a\\$b$ and \\$c\\$ and \\\\$d$",
    "`$x$` and $y$ in code and out.",
    "a $$x + y$$ b",
    "*$a*b$* and _$c_d$_ and $\"q\" -- r$",
    "$$\n\\int_0^1 x^2\\,dx\n$$",
    "Text before\n$$\na + b\n$$\nand after.",
    "$a\nb$ over a line break",
    "\\(a^2\\) and \\[b_1\\] and \\(\\frac{1}{2}\\)",
    "$x$$y$",
]


def pandoc_math(markdown: str) -> list[tuple[bool, str]]:
    """The formulas pandoc finds, in order: (display?, TeX)."""
    pypandoc = pytest.importorskip("pypandoc")
    found: list[tuple[bool, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Math":
                kind, tex = node["c"]
                found.append((kind["t"] == "DisplayMath", " ".join(tex.split())))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(pypandoc.convert_text(markdown, "json", format="markdown+tex_math_single_backslash")))
    return found


@pytest.mark.parametrize("markdown", PANDOC_CASES)
def test_math_is_found_where_pandoc_finds_it(markdown: str) -> None:
    assert formulas_in(fragment(markdown)) == pandoc_math(markdown)


def test_nothing_inside_math_is_emphasis_quotes_dashes_or_an_escape() -> None:
    root = fragment('A *b* $a_1 * b_2 * c_3$ and "q" -- $"x" -- y...$ and $\\{a\\}$ end.')
    assert formulas_in(root) == [(False, "a_1 * b_2 * c_3"), (False, '"x" -- y...'), (False, "\\{a\\}")]
    assert [e.text for e in root.iter("em")] == ["b"]
    text = "".join(root.itertext())
    assert "“q” –" in text  # outside math, the typographer still works


def test_the_issue_example_keeps_its_underscores() -> None:
    root = fragment("$$\\int_0^1 x^2\\,dx$$")
    assert formulas_in(root) == [(True, "\\int_0^1 x^2\\,dx")]
    assert root.find("em") is None
    assert [e.tag for e in root.iter(f"{M}msubsup")] == [f"{M}msubsup"]


def test_display_equations_take_an_id_and_leave_a_number_slot() -> None:
    root = fragment("$$\nx = 1\n$$ {#eq-one}\n\n$$y$$ {#eq-two}\n\n\\[z\\] {#eq-three}\n\n"
                    "Text $$w$$ {#eq-four} more.\n\n$$v$$\n")
    equations = root.xpath("//*[contains(@class, 'equation')]")
    assert [(e.tag, e.get("id")) for e in equations] == [("div", "eq-one"), ("div", "eq-two"), ("div", "eq-three"),
                                                         ("span", "eq-four"), ("div", None)]
    for equation in equations:
        assert equation.find(f"{M}math").get("display") == "block"
        slot = equation.find("span[@class='eq-number']")
        assert (slot is not None) == (equation.get("id") is not None)
        if slot is not None:
            assert slot.text in (None, "") and len(slot) == 0
    assert "{#" not in "".join(root.itertext())


def test_display_math_across_lines_ignores_markdown_line_starts() -> None:
    """Inside $$ … $$ a line starting with -, + or # is math, not a list or a heading."""
    root = fragment("$$\na\n- b\n+ c\n# d\n$$\n")
    assert formulas_in(root) == [(True, "a - b + c # d")]
    assert root.find("ul") is None and root.find("h1") is None


def test_bare_amsmath_environments_are_display_equations() -> None:
    root = fragment("\\begin{align}\n  a &= b \\\\\n  c &= d\n\\end{align}\n")
    assert root[0].tag == "div" and root[0].get("class") == "equation"
    table = root.find(f".//{M}mtable")
    assert table is not None and len(table) == 2


def test_two_display_formulas_on_a_line_stay_two() -> None:
    root = fragment("$$a$$ and $$b$$")
    assert formulas_in(root) == [(True, "a"), (True, "b")]
    assert root[0].tag == "p"


# --- conversion -----------------------------------------------------------------------------

LAYOUT = ("mfrac", "msqrt", "mroot", "mtable", "munder", "mover", "munderover", "msub", "msup", "msubsup")


def shape(mathml: str, inline: bool) -> Counter[str]:
    """The layout elements of a formula and its upright letters: what a reader sees as its shape.
    Inline, an operator with movable limits shows them beside it, as pandoc's msub does."""
    root = etree.fromstring(mathml.encode())
    beside = {"munder": "msub", "mover": "msup", "munderover": "msubsup"}
    found: Counter[str] = Counter()
    for element in root.iter():
        name = etree.QName(element).localname
        if name in LAYOUT:
            movable = len(element) and element[0].get("movablelimits") == "true"
            found[beside.get(name, name) if inline and movable else name] += 1
    found.update(f"upright {e.text}" for e in root.iter(f"{M}mi")
                 if e.text and len(e.text) == 1 and e.text.isalpha() and e.get("mathvariant") == "normal")
    return found


@pytest.mark.parametrize("formula", FORMULAS, ids=[f["name"] for f in FORMULAS])
def test_every_fixture_formula_has_pandocs_shape(formula: dict[str, Any]) -> None:
    pypandoc = pytest.importorskip("pypandoc")
    tex, display = formula["tex"], formula["display"]
    ours = math.to_mathml(tex, display)
    root = etree.fromstring(ours.encode())
    assert root.get("alttext") == " ".join(tex.split())
    assert root.get("display") == ("block" if display else "inline")
    fence = "$$" if display else "$"
    html = pypandoc.convert_text(f"{fence}{tex}{fence}", "html", format="markdown", extra_args=["--mathml"])
    theirs = re.search(r"<math.*?</math>", html, re.S)
    if theirs is None:  # pandoc cannot read it (\cfrac): then octavo must at least make a fraction of it
        assert formula["name"] == "continued-fraction" and root.find(f".//{M}mfrac") is not None
        return
    assert shape(ours, not display) == shape(theirs.group(0), not display)


def test_fixture_has_forty_formulas_of_every_kind() -> None:
    assert len(FORMULAS) >= 40
    every = " ".join(f["tex"] for f in FORMULAS)
    for command in ["\\frac", "\\sqrt", "\\sum_", "\\int_", "pmatrix", "bmatrix", "aligned", "align*", "cases",
                    "\\hat", "\\bar", "\\vec", "\\tilde", "\\operatorname", "\\mathrm", "\\alpha", "\\Gamma",
                    "\\text", "\\left", "\\right", "\\bigcup", "\\prod"]:
        assert command in every, command


@pytest.mark.parametrize(("tex", "message"), [
    ("\\frac{a}{b", "a '{' is never closed"),
    ("a}", "a '}' closes a brace that was never opened"),
    ("\\foo x", "unknown command \\foo"),
    ("\\left( x", "a \\left has no \\right"),
    ("x^", "^ or _ has nothing after it"),
    ("x_a_b", "two subscripts in a row"),
    ("a & b", "'&' outside an environment that aligns"),
    ("\\begin{tikzcd} a \\end{tikzcd}", "the environment 'tikzcd' is not supported"),
    ("\\begin{aligned} a \\end{cases}", "\\end{cases} does not close the environment opened before it"),
    ("\\begin{pmatrix} a", "\\begin{pmatrix} is never closed"),
    ("x \\label{eq}", "unknown command \\label"),
])
def test_a_formula_the_converter_cannot_read_is_refused_with_its_reason(tex: str, message: str) -> None:
    with pytest.raises(math.MathError) as raised:
        math.to_mathml(tex, False)
    assert message in str(raised.value)


def test_environments_latex2mathml_lacks_become_tables() -> None:
    for name in ["aligned", "gathered", "gather*", "equation", "multline", "alignat*", "eqnarray"]:
        argument = "{2}" if name == "alignat*" else ""
        mathml = math.to_mathml(f"\\begin{{{name}}}{argument} a &= b \\\\ c &= d \\end{{{name}}}"
                                if name not in ("gathered", "gather*", "multline", "equation")
                                else f"\\begin{{{name}}} a = b \\\\ c = d \\end{{{name}}}", True)
        root = etree.fromstring(mathml.encode())
        shown = root.find(f"{M}semantics")[0]  # the annotation after it holds the TeX, & and all
        assert "&" not in "".join(shown.itertext()), name
        if name != "equation":
            assert root.find(f".//{M}mtable") is not None, name


def test_the_fixes_are_those_tex_makes() -> None:
    root = etree.fromstring(math.to_mathml("\\Gamma + \\mathrm{d}x + \\lim_{n} a_n + \\operatorname{Var}(X)"
                                           " + |y| - \\exp(-z)", True).encode())
    upright = {e.text for e in root.iter(f"{M}mi") if e.get("mathvariant") == "normal"}
    assert {"Γ", "d"} <= upright
    limit = root.find(f".//{M}munder")
    assert limit is not None and limit[0].text == "lim" and limit[0].get("movablelimits") == "true"
    assert [e.text for e in root.iter(f"{M}mi") if e.text == "Var"] == ["Var"]
    bars = [e.get("form") for e in root.iter(f"{M}mo") if e.text == "|"]
    assert bars == ["prefix", "postfix"]
    signs = [(e.text, e.get("form")) for e in root.iter(f"{M}mo") if e.text == "−"]
    assert signs == [("−", None), ("−", "prefix")]  # |y| − exp(−z): binary, then unary


# --- whole books -----------------------------------------------------------------------------


def test_bad_tex_is_an_error_at_its_line_and_nothing_is_published(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text('[book]\ntitle = "Bad Math"\nchapters = ["one.md"]\n', encoding="utf-8")
    (book / "one.md").write_text("# One\n\nFine $x$ and\nstill $y +\nz$ then $\\frac{a}{b$ here.\n\n"
                                 "$$\n\\left( x\n$$\n\nAnd $\\nosuch{1}$.\n", encoding="utf-8")
    with pytest.raises(BookError) as raised:
        build_into(book, tmp_path / "out", ["epub"])
    found = [(d.code, d.path, d.line, d.severity) for d in raised.value.diagnostics if d.code == "math.tex"]
    assert found == [("math.tex", "one.md", 5, "error"), ("math.tex", "one.md", 7, "error"),
                     ("math.tex", "one.md", 11, "error")]
    messages = [d.format() for d in raised.value.diagnostics if d.code == "math.tex"]
    assert "one.md:5: error: cannot read the TeX math '\\frac{a}{b': a '{' is never closed" in messages[0]
    assert "a \\left has no \\right (latex2mathml: ExtraLeftOrMissingRightError)" in messages[1]
    assert "unknown command \\nosuch" in messages[2]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.epub"))


@pytest.fixture(scope="module")
def math_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import copy_book

    work = tmp_path_factory.mktemp("math")
    book = copy_book(MATH_BOOK, work / "math")
    result = build_into(book, work / "dist", ["epub", "pdf", "web"])
    assert [d.format() for d in result.diagnostics] == []
    return work / "dist"


def test_epub_math_is_mathml_with_alttext_and_declared(math_outputs: Path) -> None:
    epub = Epub(math_outputs / "math-cases.epub")
    manifest = epub.manifest()
    with_math = set()
    for href in epub.spine_hrefs():
        doc = epub.xml(href)
        formulas = doc.xpath("//m:math", namespaces=MATH_NS)
        properties = (manifest[href].get("properties") or "").split()
        assert ("mathml" in properties) == bool(formulas), href
        for formula in formulas:
            assert formula.get("alttext", "").strip()
            annotation = formula.xpath("m:semantics/m:annotation[@encoding='application/x-tex']/text()",
                                       namespaces=MATH_NS)
            # the contents page repeats a heading as its text reads, without the TeX annotation
            expected = [] if href == "toc.xhtml" else [formula.get("alttext")]
            assert [" ".join(a.split()) for a in annotation] == expected
            assert formula.get("display") in ("inline", "block")
        if formulas:
            with_math.add(href)
    assert with_math == {"toc.xhtml", "01-inline.xhtml", "02-display.xhtml"}  # the contents: a heading has math
    href, doc = epub.chapter_with_title("Display equations")
    ids = doc.xpath("//x:div[@class='equation']/@id", namespaces=NS)
    assert ids == ["eq-quadratic", "eq-square", "eq-normal"]
    assert doc.xpath("//x:span[@id='eq-limit']/m:math/@display", namespaces=MATH_NS) == ["block"]
    nav = epub.xml("nav.xhtml")  # the heading with $\alpha$ reaches the navigation document
    assert nav.xpath("//m:math", namespaces=MATH_NS)
    assert "mathml" in (manifest["nav.xhtml"].get("properties") or "").split()


def test_epubcheck_reports_nothing_on_the_math_book(math_outputs: Path) -> None:
    assert epubcheck_messages(math_outputs / "math-cases.epub") == []


@pytest.mark.ace
def test_ace_finds_no_violation_in_the_math_book(math_outputs: Path) -> None:
    from octavo.check import run_ace, source_locator
    from octavo.pipeline import assemble

    assembled, _ = assemble(math_outputs.parent / "math")
    outcome = run_ace(math_outputs / "math-cases.epub", source_locator(assembled, math_outputs / "math-cases.epub"))
    assert outcome.ran, outcome.reason
    assert [d.format() for d in outcome.diagnostics] == []


def drawn_operators(pdf: pikepdf.Pdf) -> Counter[str]:
    """Path operators painted on every page, forms (where WeasyPrint puts SVG) included."""
    counted: Counter[str] = Counter()

    def count(stream: Any) -> None:
        for _operands, operator in pikepdf.parse_content_stream(stream):
            counted[str(operator)] += 1
        resources = stream.get("/Resources") if isinstance(stream, pikepdf.Stream | pikepdf.Dictionary) else None
        for xobject in (resources.get("/XObject", {}) if resources is not None else {}).values():
            if xobject.get("/Subtype") == "/Form":
                count(xobject)

    for page in pdf.pages:
        count(page)
    return counted


def test_pdf_draws_the_math_and_keeps_its_tex_as_text(math_outputs: Path) -> None:
    import subprocess

    pdf_path = math_outputs / "math-cases.pdf"
    with pikepdf.open(pdf_path) as pdf:
        operators = drawn_operators(pdf)
    assert operators["c"] + operators["l"] > 2000 and operators["f"] > 300  # glyph outlines, filled
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for tex in ["e^{i\\pi} + 1 = 0", "\\int_0^1 x^2\\,dx = \\frac{1}{3}", "x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}"]:
        assert tex in flat
    assert "<math" not in flat and "$$" not in flat


def test_pdf_formulas_are_drawn_once_and_then_come_from_the_cache(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    memo = Memo(tmp_path / "cache")
    html = to_xhtml("A $x^2$ and\n\n$$\\frac{a}{b}$$\n", "en")[0]

    def drawn() -> str:
        root = etree.fromstring(f"<div>{html}</div>".encode())
        math.for_print(root, memo)
        return etree.tostring(root, encoding="unicode")

    first = drawn()
    assert first.count("<svg") == 2 and "<math" not in first
    assert 'class="math-tex">x^2<' in first and 'class="math display"' in first
    math._drawn.cache_clear()  # as in a new process: only the build's cache remains
    monkeypatch.setattr(math, "draw", lambda mathml: pytest.fail("drawn again"))
    assert drawn() == first
    assert list((tmp_path / "cache").rglob("*"))


def test_inline_drawing_sits_on_the_baseline_and_scales_with_the_text() -> None:
    svg = etree.fromstring(math.draw(math.to_mathml("x_i^2", False)).encode())
    style = dict(part.split(":") for part in svg.get("style", "").split(";"))
    assert style["width"].endswith("em") and style["height"].endswith("em")
    assert float(style["vertical-align"].removesuffix("em")) < 0  # the subscript hangs below the baseline
    assert svg.get("aria-label") == "x_i^2"
    assert svg.findall(f".//{{{math.SVG_NS}}}path")


# --- the web edition in a browser ------------------------------------------------------------


@pytest.mark.parametrize("page_name", ["01-inline.html", "02-display.html"])
def test_web_renders_every_formula_without_console_errors(math_outputs: Path, chromium: Any,
                                                          page_name: str) -> None:
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((math_outputs / "site" / page_name).as_uri())
    boxes: list[list[float]] = page.evaluate(
        "Array.from(document.querySelectorAll('math')).map(m => {const r = m.getBoundingClientRect();"
        " return [r.width, r.height]})")
    # a MathML-less browser would lay the formula out as inline text, one line high
    tallest = max(height for _, height in boxes)
    page.close()
    assert boxes and all(width > 0 and height > 0 for width, height in boxes)
    assert tallest > 40
    assert errors == []


# --- robustness --------------------------------------------------------------------------------

TEXISH = "$\\{}_^&()[]|<>'\"\n -*#+=.,x1aα"


def test_any_text_with_dollars_and_backslashes_renders_or_reports() -> None:
    """Whatever the text, rendering ends: formulas become MathML or errors at lines of the text,
    and the chapter stays well-formed XML."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=TEXISH, max_size=60))
    def check(text: str) -> None:
        html, env = to_xhtml(text, "en")
        if not env["raw_html"]:  # the Markdown renderer's own markup is XML (raw HTML goes to html5lib)
            etree.fromstring(f'<div xmlns:epub="{sanitize.EPUB_NS}">{html}</div>'.encode())
        lines = text.count("\n") + 1
        assert all(1 <= line <= lines for line, _, _ in env.get("math_errors", []))

    check()


def test_any_tex_converts_or_is_refused_with_a_reason() -> None:
    """latex2mathml raises its own exceptions, and Python's on odd input: every one is a MathError."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(["\\frac", "\\sqrt", "{", "}", "_", "^", "&", "\\\\", "\\left(", "\\right)", "x",
                              "\\begin{aligned}", "\\end{aligned}", "\\begin{pmatrix}", "\\end{pmatrix}", "\\sum",
                              "\\text{", "\\hat", "1", " ", "\\over", "|", "\\lim", "-", "<", "\\mathrm{"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(pieces, max_size=12).map("".join), st.booleans())
    def check(tex: str, display: bool) -> None:
        try:
            mathml = math.to_mathml(tex, display)
        except math.MathError as problem:
            assert str(problem)
            return
        root = etree.fromstring(mathml.encode())
        assert root.get("alttext") == " ".join(tex.split())
        chapter = etree.fromstring(f"<div>{mathml}</div>".encode())
        undrawn = math.for_print(chapter, NO_CACHE)  # drawn, or printed as TeX: never a crash
        assert chapter.find(f".//{M}math") is None
        assert (chapter.find(f".//{{{math.SVG_NS}}}svg") is None) == bool(undrawn)

    check()


def test_a_formula_ziamath_cannot_draw_is_printed_as_tex_with_a_warning(tmp_path: Path) -> None:
    """``\\text{}`` is valid TeX and valid MathML, on which ziamath 0.13 fails (an IndexError): the
    PDF prints the TeX and the build says so; the EPUB keeps its MathML."""
    from conftest import copy_book

    book = copy_book(MATH_BOOK, tmp_path / "math")
    chapter = book / "02-display.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAn empty text: $a\\text{}b$.\n", encoding="utf-8")
    result = build_into(book, tmp_path / "out", ["pdf"])
    found = [d.format() for d in result.diagnostics if d.code == "math.print"]
    assert found == ["02-display.md: warning: the formula 'a\\text{}b' could not be drawn for the PDF, which prints "
                     "its TeX instead [math.print]\n    hint: simplify the formula; the EPUB and the web edition "
                     "show it as MathML"]
    import subprocess

    text = subprocess.run(["pdftotext", str(tmp_path / "out" / "math-cases.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "An empty text: a\\text{}b." in " ".join(text.split())


def test_a_heading_with_math_reads_as_its_symbols_in_titles_and_ids() -> None:
    """The contents, the pager and the PDF outline show the formula as MathML does (α), not its TeX."""
    from octavo.model import Chapter
    from octavo.render import RenderContext, render_chapter

    chapter = render_chapter(Chapter("c", "c.md", "# The $\\alpha$ parameter\n\n## Why $x^2$?\n"),
                             RenderContext("/nonexistent", "en"))
    assert chapter.title == "The α parameter"
    assert [(h.id, h.text) for h in chapter.headings] == [("the-parameter", "The α parameter"),
                                                          ("why-x2", "Why x2?")]
    assert "alttext" in chapter.headings[0].html and "annotation" not in chapter.headings[0].html

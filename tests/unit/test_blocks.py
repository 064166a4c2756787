"""Callouts, fenced divs, figures and table captions, cross-reference placeholders and the warnings
for syntax left literal: one chapter rendered, its XHTML read with lxml."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from octavo.diagnostics import Diagnostic
from octavo.model import Chapter, RenderedChapter
from octavo.render import RenderContext, render_chapter

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def rendered(markdown: str, tmp_path: Path, language: str = "en") -> RenderedChapter:
    (tmp_path / "a.svg").write_text(SVG, encoding="utf-8")
    chapter = Chapter(id="one", source="one.md", text=markdown)
    return render_chapter(chapter, RenderContext(str(tmp_path), language, {"one.md": "one"}))


def parse(html: str) -> etree._Element:
    return etree.fromstring(f'<root xmlns:epub="http://www.idpf.org/2007/ops">{html}</root>'.encode())


def tree(markdown: str, tmp_path: Path, language: str = "en") -> etree._Element:
    return parse(rendered(markdown, tmp_path, language).html)


def text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def callouts(root: etree._Element) -> list[tuple[str, str, str, str]]:
    """(class, role, epub:type, title) of each callout."""
    epub_type = "{http://www.idpf.org/2007/ops}type"
    return [(c.get("class"), c.get("role"), c.get(epub_type, ""), text(c.find("p[@class='callout-title']")))
            for c in root.iter("div") if "callout" in c.get("class", "").split()]


def codes(problems: tuple[Diagnostic, ...]) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in problems]


# --- callouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "role", "epub_type"), [
    ("NOTE", "note", ""), ("TIP", "doc-tip", "tip"), ("IMPORTANT", "doc-notice", "notice"),
    ("WARNING", "doc-notice", "notice"), ("CAUTION", "doc-notice", "notice")])
def test_github_alerts_are_callouts_with_a_role_and_a_title(kind: str, role: str, epub_type: str,
                                                             tmp_path: Path) -> None:
    root = tree(f"> [!{kind}]\n> Mind *this*.\n", tmp_path)
    assert callouts(root) == [(f"callout callout-{kind.lower()}", role, epub_type, kind.capitalize())]
    assert root.find("blockquote") is None
    assert text(root.find("div/p[2]")) == "Mind this."


@pytest.mark.parametrize(("language", "titles"), [
    ("de", ["Hinweis", "Warnung"]), ("fr", ["Note", "Avertissement"]), ("es", ["Nota", "Advertencia"]),
    ("pt", ["Nota", "Aviso"]), ("ja", ["注記", "警告"]), ("ar", ["ملاحظة", "تحذير"]),
    ("sv", ["Note", "Warning"])])  # Swedish has no catalogue: English
def test_callout_titles_are_in_the_books_language(language: str, titles: list[str], tmp_path: Path) -> None:
    root = tree("> [!NOTE]\n> Eins.\n\n::: warning\nZwei.\n:::\n", tmp_path, language)
    assert [title for *_, title in callouts(root)] == titles


def test_quarto_callouts_take_a_title_attribute_or_their_first_heading(tmp_path: Path) -> None:
    root = tree('::: {.callout-tip title="Use *this*" collapse="true"}\nBody.\n:::\n\n'
                "::: {.callout-important #imp}\n## A heading title\n\nBody.\n:::\n", tmp_path)
    assert callouts(root) == [("callout callout-tip", "doc-tip", "tip", "Use this"),
                              ("callout callout-important", "doc-notice", "notice", "A heading title")]
    tip, important = root.findall("div")
    assert tip.find("p/em").text == "this" and tip.get("data-collapse") == "true"
    assert important.get("id") == "imp" and important.find(".//h2") is None
    assert rendered("::: {.callout-note}\n## Title\n\nText.\n:::\n", tmp_path).headings == ()


def test_pandoc_vuepress_and_myst_spellings(tmp_path: Path) -> None:
    root = tree("::: Warning ::::::\nA.\n:::\n\n::: tip Custom title\nB.\n:::\n\n:::{note}\nC.\n:::\n\n"
                ":::{admonition} My own\n:class: tip\nD.\n:::\n\n```{danger}\n:name: dang\nE **strong**.\n```\n\n"
                ":::{seealso}\nF.\n:::\n", tmp_path)
    assert callouts(root) == [
        ("callout callout-warning", "doc-notice", "notice", "Warning"),
        ("callout callout-tip", "doc-tip", "tip", "Custom title"),
        ("callout callout-note", "note", "", "Note"),
        ("callout callout-note admonition tip", "note", "", "My own"),
        ("callout callout-caution", "doc-notice", "notice", "Danger"),
        ("callout callout-note", "note", "", "See also"),
    ]
    assert root.find("pre") is None and root.find(".//div[@id='dang']/p/strong").text == "strong"
    assert "D." in text(root) and ":class:" not in text(root)


def test_fenced_divs_nest_like_pandoc_and_skip_code(tmp_path: Path) -> None:
    markdown = ("::: note\nOuter.\n\n::: {.inner}\nInner.\n\n```\n:::\n```\n:::\nAfter inner.\n:::\n\nOutside.\n")
    root = tree(markdown, tmp_path)
    outer = root.find("div")
    assert outer.get("class") == "callout callout-note"
    inner = outer.find("div[@class='inner']")
    assert inner is not None and "".join(inner.find("pre/code").itertext()) == ":::\n"
    assert text(outer.findall("p")[-1]) == "After inner."
    assert root.findall("p")[-1].text == "Outside."


def test_a_generic_div_keeps_safe_attributes_and_drops_the_rest(tmp_path: Path) -> None:
    page = rendered('Text.\n\n::: {.sidebar #side lang="fr" data-x=1 key=val onclick="alert(1)"}\nInside.\n:::\n',
                    tmp_path)
    div = parse(page.html).find("div")
    assert dict(div.attrib) == {"class": "sidebar", "id": "side", "lang": "fr", "data-x": "1", "data-key": "val",
                                "{http://www.w3.org/XML/1998/namespace}lang": "fr"}  # lang for XHTML too
    assert codes(page.diagnostics) == [("div.attributes", 3)] and "onclick" in page.diagnostics[0].message
    for opening, removed in (("::: bad^class", 'class="bad^class"'), ("::: {#1bad}", 'id="1bad"')):
        page = rendered(f"{opening}\nX.\n:::\n", tmp_path)
        assert removed not in page.html and codes(page.diagnostics) == [("div.attributes", 1)]
    unreadable = rendered("::: {.a #b c=}\nKept.\n:::\n", tmp_path)
    assert "<p>Kept.</p>" in unreadable.html and codes(unreadable.diagnostics) == [("div.attributes", 1)]


def test_an_unclosed_div_runs_to_the_end_with_a_warning(tmp_path: Path) -> None:
    page = rendered("Intro.\n\n::: warning\nNever closed.\n", tmp_path)
    assert "Never closed." in text(parse(page.html).find("div"))
    assert codes(page.diagnostics) == [("div.unclosed", 3)]


def test_an_unknown_myst_directive_is_a_plain_div_with_a_warning(tmp_path: Path) -> None:
    page = rendered(":::{toctree}\nContent.\n:::\n", tmp_path)
    assert '<div class="toctree"' in page.html and codes(page.diagnostics) == [("div.attributes", 1)]


# --- figures and tables ----------------------------------------------------------------------------


def test_a_lone_image_is_a_figure_captioned_by_its_alt_text_or_title(tmp_path: Path) -> None:
    root = tree('![A *bold* claim](a.svg){#fig-claim}\n\n![Described](a.svg "Titled")\n\n'
                '![Caption](a.svg){fig-alt="What it shows"}\n\nInline ![x](a.svg) image.\n', tmp_path)
    first, second, third = root.findall("figure")
    assert first.get("id") == "fig-claim" and first.find("img").get("id") is None
    assert first.find("img").get("alt") == "A bold claim" and first.find("figcaption/em").text == "bold"
    assert second.find("img").get("alt") == "Described" and text(second.find("figcaption")) == "Titled"
    assert second.find("img").get("title") is None
    assert third.find("img").get("alt") == "What it shows" and text(third.find("figcaption")) == "Caption"
    assert root.find("p/img") is not None and len(root.findall("figure")) == 3


def test_a_figure_div_captions_with_its_last_paragraph_and_holds_sub_figures(tmp_path: Path) -> None:
    page = rendered("::: {#fig-pair}\n![Left](a.svg){#fig-left}\n\n![Right](a.svg){#fig-right}\n\nBoth.\n:::\n",
                    tmp_path)
    root = parse(page.html)
    outer = root.find("figure")
    assert outer.get("id") == "fig-pair" and [f.get("id") for f in outer.findall("figure")] == ["fig-left", "fig-right"]
    assert text(outer.find("figcaption")) == "Both."
    assert [(t.id, t.kind, t.within, t.line) for t in page.targets] == [
        ("fig-pair", "fig", "", 1), ("fig-left", "fig", "fig-pair", 2), ("fig-right", "fig", "fig-pair", 4)]


TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n"


@pytest.mark.parametrize("markdown", [
    TABLE + "\n: The *caption* {#tbl-one .wide}\n",
    TABLE + "\nTable: The *caption* {#tbl-one .wide}\n",
    "Table: The *caption* {#tbl-one .wide}\n\n" + TABLE,
    TABLE + "Table: The *caption* {#tbl-one .wide}\n",
], ids=["colon-after", "table-after", "before", "last-row"])
def test_a_caption_paragraph_next_to_a_table_is_its_caption(markdown: str, tmp_path: Path) -> None:
    page = rendered(markdown, tmp_path)
    root = parse(page.html)
    table = root.find("table")
    assert table.get("id") == "tbl-one" and table.get("class") == "wide"
    assert table[0].tag == "caption" and text(table[0]) == "The caption" and table[0].find("em") is not None
    assert len(table.findall("tbody/tr")) == 1 and root.find("p") is None
    assert page.diagnostics == ()


def test_an_ordinary_paragraph_after_a_table_stays_one(tmp_path: Path) -> None:
    root = tree(TABLE + "\nThe table: above.\n", tmp_path)
    assert root.find("table/caption") is None and text(root.find("p")) == "The table: above."


# --- cross-reference placeholders ----------------------------------------------------------------


def test_references_become_placeholders_with_their_lines(tmp_path: Path) -> None:
    page = rendered("See @fig-map, [@Fig-a; @tbl-b; @eq:c],\n[-@lst-d]{.page} and [see @sec-e](https://x.org).\n"
                    "Mail jo@fig-tree.org, cite @smith2020, email(@fig-x) `@fig-code`.\n", tmp_path)
    root = parse(page.html)
    refs = [(e.tag, e.get("data-xref"), e.get("data-xref-form"), e.get("data-xref-page"))
            for e in root.iter() if e.get("data-xref")]
    assert refs == [("a", "fig-map", None, None), ("a", "fig-a", None, None), ("a", "tbl-b", None, None),
                    ("a", "eq:c", None, None), ("a", "lst-d", "bare", "yes"), ("span", "sec-e", None, None),
                    ("a", "fig-x", None, None)]
    assert [(r.label, r.line) for r in page.crossrefs] == [
        ("fig-map", 1), ("fig-a", 1), ("tbl-b", 1), ("eq:c", 1), ("lst-d", 2), ("sec-e", 2), ("fig-x", 3)]
    paragraph = text(root.find("p"))
    assert "jo@fig-tree.org" in paragraph and "@smith2020" in paragraph and "@fig-code" in paragraph
    assert ", @tbl-b and @eq:c" in paragraph  # the group's joins, before the book-wide step fills the names
    assert page.diagnostics == ()


def test_targets_are_found_by_their_id_prefix(tmp_path: Path) -> None:
    page = rendered("# Intro {#sec-intro}\n\n![A](a.svg){#fig-a}\n\n" + TABLE + "\n: Cap {#tbl:b}\n\n"
                    '<figure class="listing" id="lst-c"><pre><code>x</code></pre></figure>\n\n'
                    '<div class="equation" id="eq-d">E</div>\n\n<p id="figure-not">x</p>\n\n## Fig-trees\n\n'
                    '<p id="fig-para">x</p>\n\n<svg id="eq-svg" width="1" height="1"></svg>\n', tmp_path)
    assert [(t.id, t.kind) for t in page.targets] == [("sec-intro", "sec"), ("fig-a", "fig"), ("tbl:b", "tbl"),
                                                       ("lst-c", "lst"), ("eq-d", "eq")]


# --- nothing silently literal ----------------------------------------------------------------------


@pytest.mark.parametrize(("markdown", "code", "line", "says"), [
    ("Text.\n\n{{#template ../src/main.md}}\n", "literal.directive", 3, "'{{#template …}}'"),
    ("Text\n:::\nmore\n", "literal.fence", 2, "':::'"),
    ("> [!NOTE] A title\n> Text.\n", "literal.alert", 1, "'[!NOTE]'"),
    ("> [!DANGER]\n> Text.\n", "literal.alert", 1, "'[!DANGER]'"),
    ("Intro.\n\nThe sum $$x + y\nis open.\n", "literal.math", 3, "'$$'"),
    ("A paragraph {.note} with a class.\n", "literal.attributes", 1, "'{.note}'"),
    ("![An image](a.svg) {#fig-spaced}\n", "literal.attributes", 1, "'{#fig-spaced}'"),
    ("See @fig- for more.\n", "literal.xref", 1, "'@fig-'"),
], ids=["directive", "fence", "alert-title", "alert-kind", "display-math",
        "class", "id", "xref"])
def test_syntax_left_in_the_text_is_a_warning_at_its_line(markdown: str, code: str, line: int, says: str,
                                                           tmp_path: Path) -> None:
    page = rendered(markdown, tmp_path)
    found = [p for p in page.diagnostics if p.code == code]
    assert [(p.code, p.line) for p in found] == [(code, line)]
    assert says in found[0].message and found[0].severity.value == "warning"


@pytest.mark.parametrize("markdown", [
    "`{{#include x}}` and `:::` and `$$` and `{.class}` and `@fig-`\n",
    "```\n{{#include x}}\n:::\n$$\n> [!NOTE] x\n```\n",
    "    {{#include x}}\n",
    "Prices: \\$\\$ and \\$5.\n",
    "Brackets: \\[1\\] and \\[2\\].\n",
    "## A heading {#sec-a .b}\n",
    "![x](a.svg){#fig-x}\n",
    "<div>{{#include x}}</div>\n",
    "An e-mail: jo@fig-tree.org.\n",
    "Write {{#include file.rs}} or {{#rustdoc_include a.rs:2}}, {{#playground b.rs}}, {{#title T}}.\n",
], ids=["inline-code", "fenced-code", "indented-code", "escaped-dollars", "escaped-brackets", "heading-attrs",
        "image-attrs", "raw-html", "email", "mdbook-directives"])
def test_code_escapes_and_syntax_octavo_reads_are_not_warned_about(markdown: str, tmp_path: Path) -> None:
    assert [p.code for p in rendered(markdown, tmp_path).diagnostics if p.code.startswith("literal.")] == []


def test_an_empty_header_row_is_no_header_and_an_empty_header_cell_is_data() -> None:
    from octavo.markdown import to_xhtml

    html, _ = to_xhtml("| | |\n|---|---|\n| a | b |\n\n| | Men | Guns |\n|---|---|---|\n| Ship | 3 | 4 |\n", "en")
    first, second = html.split("</table>")[:2]
    assert "<thead>" not in first and "<th" not in first and "<td>a</td>" in first
    assert "<thead>\n<tr>\n<td></td>\n<th>Men</th>\n<th>Guns</th>" in second
    assert "<th></th>" not in html

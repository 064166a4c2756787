"""Code blocks as chapters render them: fence info read as mdBook, pandoc, Quarto and MyST authors
write it, Pygments' token classes, listings, line numbers; and the colours octavo gives them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from octavo import codestyle, highlight
from octavo.config import load_config
from octavo.diagnostics import Severity
from octavo.model import Chapter
from octavo.render import RenderContext, render_chapter


def rendered(markdown: str, tmp_path: Path) -> tuple[etree._Element, list[tuple[str, str, int | None]]]:
    """The chapter's XHTML parsed, and its diagnostics as (severity, code, line)."""
    chapter = Chapter(id="one", source="one.md", text=markdown)
    result = render_chapter(chapter, RenderContext(str(tmp_path), "en"))
    root = etree.fromstring(f'<div xmlns:epub="http://www.idpf.org/2007/ops">{result.html}</div>')
    return root, [(d.severity.value, d.code, d.line) for d in result.diagnostics]


def one_block(info: str, code: str, tmp_path: Path) -> etree._Element:
    root, _ = rendered(f"```{info}\n{code}\n```\n", tmp_path)
    blocks = root.xpath("//pre")
    assert len(blocks) == 1
    return blocks[0]


def classes(element: etree._Element) -> list[str]:
    return element.get("class", "").split()


def line_texts(pre: etree._Element) -> list[str]:
    """Each line's code, without its number."""
    return ["".join(t for t in line.xpath(".//text()[not(ancestor::*[@class='ln'])]")).rstrip("\n")
            for line in pre.xpath(".//span[@class='line']")]


@pytest.mark.parametrize(("info", "language", "extra"), [
    ("rust,ignore", "rust", ["ignore"]),
    ("rust ignore", "rust", ["ignore"]),
    ("rust,no_run,should_panic,edition2021,noplayground", "rust",
     ["no_run", "should_panic", "edition2021", "noplayground"]),
    ('{.python .numberLines startFrom="10"}', "python", ["numbered", "ln-2"]),
    ("{.python .numberLines}", "python", ["numbered", "ln-2"]),
    ("{r}", "r", []),
    ("{python}", "python", []),
    ("{r setup, echo=FALSE}", "r", ["setup"]),
    ("{code-block} python", "python", []),
    ("python {.numberLines}", "python", ["numbered", "ln-2"]),
    ("Python", "python", []),
    ("c++", "c", []),
])
def test_the_language_is_the_first_word_and_the_rest_are_attributes(info: str, language: str, extra: list[str],
                                                                     tmp_path: Path) -> None:
    pre = one_block(info, "x = 1", tmp_path)
    assert classes(pre) == ["highlight", *extra]
    assert pre.xpath("string(code/@class)") == f"language-{language}"
    assert pre.xpath(".//span[@class='line']"), "one span.line a line"


def test_tokens_get_pygments_classes_and_the_code_keeps_every_character(tmp_path: Path) -> None:
    code = 'def greet(name):\n    return "Hi -- there..." if name else \'x\'  # say <hi> & go'
    pre = one_block("python", code, tmp_path)
    assert pre.xpath("string(.//span[@class='k'][1])") == "def"
    assert pre.xpath("string(.//span[@class='nf'])") == "greet"
    assert pre.xpath(".//span[@class='c1']/text()") == ["# say <hi> & go"]
    assert line_texts(pre) == code.split("\n")
    assert "".join(pre.itertext()) == code + "\n", "no smart quotes, dashes or ellipses in code"


def test_a_title_makes_a_listing_figure_with_a_caption(tmp_path: Path) -> None:
    root, _ = rendered('```python title="app.py"\nprint(1)\n```\n', tmp_path)
    figure = root.xpath("//figure")[0]
    assert classes(figure) == ["listing"] and figure.get("id") is None
    assert [child.tag for child in figure] == ["figcaption", "pre"]
    assert figure.xpath("string(figcaption)") == "app.py"


@pytest.mark.parametrize(("markdown", "ident", "caption"), [
    ("{#lst-config}\n```toml\na = 1\n```\n", "lst-config", ""),
    ('```{#lst-query .sql lst-cap="Customers query"}\nSELECT 1;\n```\n', "lst-query", "Customers query"),
    ('```{#lst:crossref .haskell caption="From pandoc-crossref"}\nmain = pure ()\n```\n', "lst-crossref",
     "From pandoc-crossref"),
    ("```{python}\n#| lst-label: lst-fib\n#| lst-cap: Fibonacci numbers\ndef fib(n): pass\n```\n", "lst-fib",
     "Fibonacci numbers"),
])
def test_an_lst_id_makes_a_listing_with_that_id(markdown: str, ident: str, caption: str, tmp_path: Path) -> None:
    root, _ = rendered(markdown, tmp_path)
    figure = root.xpath("//figure[@class='listing']")[0]
    assert figure.get("id") == ident
    assert figure.xpath("string(figcaption)") == caption
    assert figure.xpath("count(pre[@class='highlight'][not(@id)])") == 1
    assert "#|" not in "".join(figure.itertext()), "Quarto's cell options are not code"


def test_another_id_stays_on_the_block(tmp_path: Path) -> None:
    root, _ = rendered("{#setup .wide}\n```sh\nmake\n```\n", tmp_path)
    assert root.xpath("//figure") == []
    assert [(p.get("id"), classes(p)) for p in root.xpath("//pre")] == [("setup", ["highlight", "wide"])]


def test_line_numbers_count_from_the_start_given_and_stay_out_of_the_code(tmp_path: Path) -> None:
    pre = one_block('{.python .numberLines startFrom="98"}', "a = 1\n\nb = 2", tmp_path)
    assert pre.xpath(".//span[@class='ln']/text()") == ["98", "99", "100"]
    assert pre.xpath(".//span[@class='ln']/@aria-hidden") == ["true"] * 3
    assert classes(pre) == ["highlight", "numbered", "ln-3"]
    assert line_texts(pre) == ["a = 1", "", "b = 2"]


def test_myst_options_are_read_and_removed(tmp_path: Path) -> None:
    root, _ = rendered("```{code-block} python\n:caption: numbers.py\n:lineno-start: 5\n\ntotal = 1\n```\n",
                       tmp_path)
    figure = root.xpath("//figure[@class='listing']")[0]
    assert figure.xpath("string(figcaption)") == "numbers.py"
    assert figure.xpath(".//span[@class='ln']/text()") == ["5"]
    assert line_texts(figure.xpath("pre")[0]) == ["total = 1"]


def test_rust_hides_lines_as_mdbook_does(tmp_path: Path) -> None:
    pre = one_block("rust", "# fn main() {\n#[derive(Debug)]\n#![allow(unused)]\n## shown\nlet x = 1;\n#\n# }",
                    tmp_path)
    assert line_texts(pre) == ["#[derive(Debug)]", "#![allow(unused)]", "# shown", "let x = 1;"]


def test_hidelines_names_the_prefix_in_other_languages(tmp_path: Path) -> None:
    pre = one_block("python,hidelines=!!!", "!!!import os\nprint(1)", tmp_path)
    assert line_texts(pre) == ["print(1)"]


def test_an_unknown_language_is_plain_text_with_one_notice_a_chapter(tmp_path: Path) -> None:
    markdown = "# T\n\n```pyhton\nx = 1\n```\n\n```pyhton\ny\n```\n\n```text\nplain\n```\n\n```hbs\n{{x}}\n```\n"
    root, found = rendered(markdown, tmp_path)
    assert found == [("notice", "code.language", 3)]
    first = root.xpath("//pre")[0]
    assert first.xpath(".//span[@class='line']/span") == [], "plain text: no token spans"
    assert first.xpath("string(code/@class)") == "language-pyhton"
    assert root.xpath("//pre")[3].xpath(".//span[@class='line']/span"), "hbs is Handlebars"


def test_the_notice_suggests_the_language_meant(tmp_path: Path) -> None:
    result = render_chapter(Chapter(id="one", source="one.md", text="```pyhton\nx\n```\n"),
                            RenderContext(str(tmp_path), "en"))
    [notice] = result.diagnostics
    assert notice.severity is Severity.NOTICE and notice.hint == "did you mean 'python'?"


def test_indented_code_is_a_shaded_block_too(tmp_path: Path) -> None:
    root, _ = rendered("Text.\n\n    $ make -- all\n", tmp_path)
    [pre] = root.xpath("//pre")
    assert classes(pre) == ["highlight"] and pre.xpath("code/@class") == []
    assert line_texts(pre) == ["$ make -- all"]


def test_lexers_are_made_once_per_language() -> None:
    assert highlight.lexer_for("python") is highlight.lexer_for("python")
    assert highlight.lexer_for("no-such-language") is None and highlight.lexer_for("text") is None


def test_the_lexers_a_text_wants_are_made_ahead_of_forking() -> None:
    """What a forked worker inherits: the lexers of every fence form a chapter can hold."""
    highlight.lexer_for.cache_clear()
    highlight.lexers_ahead(["```rust,ignore\nfn f() {}\n```\n", "  ~~~ {.haskell .numberLines}\n~~~\n",
                            "> ```toml\n> a = 1\n> ```\n", "```{r}\nx\n```\n", "text ```scala in a line\n"])
    made = highlight.lexer_for.cache_info()
    assert made.currsize == 4  # rust, haskell, toml, r: not the fence inside a line of text
    highlight.lexer_for("haskell")
    assert highlight.lexer_for.cache_info().hits == made.hits + 1


# The colours.


def contrast(a: str, b: str) -> float:
    la, lb = codestyle.luminance(a), codestyle.luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def grey(colour: str) -> str:
    """The colour as a greyscale printer or an e-ink screen shows it (Rec. 601 luma)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    y = round(0.299 * r + 0.587 * g + 0.114 * b)
    return f"#{y:02x}{y:02x}{y:02x}"


@pytest.mark.parametrize("name", ["octavo", "octavo-dark"])
def test_octavo_themes_keep_strong_contrast_in_colour_and_in_grey(name: str) -> None:
    css = codestyle.sheet(name)
    background = re.search(r"^\.highlight \{[^}]*background-color: (#[0-9a-f]{6})", css, re.M)
    assert background is not None
    tokens = set(re.findall(r"^\.highlight \.(?!ln)\w+ \{[^}]*?(?<!-)color: (#[0-9a-f]{6})", css, re.M))
    numbers = re.findall(r"^\.highlight \.ln \{ color: (#[0-9a-f]{6})", css, re.M)
    assert len(tokens) >= 8 and numbers
    for colour in tokens:
        assert contrast(colour, background.group(1)) >= 7, colour
        assert contrast(grey(colour), grey(background.group(1))) >= 7, f"{colour} in grey"
    assert contrast(numbers[0], background.group(1)) >= 4.5


def test_the_sheet_is_plain_rules_and_the_web_adds_the_dark_variant() -> None:
    light = codestyle.sheet("octavo")
    assert "var(" not in light and "--" not in light.replace("/*", "").split("*/", 1)[-1]
    assert "prefers-color-scheme" not in light and "url(" not in light
    web = codestyle.sheet("octavo", "octavo-dark", marks=True)
    assert web.startswith(light.split("\n", 1)[0][:40])
    assert '@media (prefers-color-scheme: dark) {\n:root:not([data-theme="light"]) .highlight {' in web
    assert '\n:root:not([data-theme="light"]) .highlight .k { color: #f2a6cf; font-weight: bold; }' in web
    assert '\n[data-theme="dark"] .highlight .k { color: #f2a6cf; font-weight: bold; }' in web
    assert ".highlight .line::after { background: url(\"data:image/svg+xml," in web


def test_dark_rules_undo_what_the_light_theme_sets() -> None:
    """A property the light theme sets on a class (a background, bold) is set again in dark mode."""
    web = codestyle.sheet("friendly", "octavo-dark")
    assert ".highlight .cs { background-color: #fff0f0;" in web
    assert ".highlight .nn { color: #0e84b5; font-weight: bold; }" in web
    dark = web.split('[data-theme="dark"] ', 1)[1]
    assert ".highlight .cs { background-color: transparent;" in dark
    assert ".highlight .nn { color: #9cc2ff; font-weight: normal; }" in dark


@pytest.mark.parametrize(("light", "dark"), [("octavo", "octavo-dark"), ("solarized-light", "solarized-dark"),
                                             ("monokai", "monokai"), ("friendly", "octavo-dark")])
def test_the_dark_theme_follows_the_light_one(light: str, dark: str) -> None:
    assert codestyle.dark_of(light) == dark
    assert codestyle.dark_of(light, "github-dark") == "github-dark"


def test_config_names_the_theme_and_rejects_a_typo(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n\n[style]\ncode-theme = "solarized-lihgt"\n'
                                        'code-theme-dark = "monokai"\n', encoding="utf-8")
    _, problems = load_config(tmp_path)
    assert [(p.code, p.line, p.hint) for p in problems] == [("config", 5, "did you mean 'solarized-light'?")]
    assert "unknown code theme 'solarized-lihgt'" in problems[0].message
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n\n[style]\ncode-theme = "friendly"\n', encoding="utf-8")
    config, problems = load_config(tmp_path)
    assert problems == [] and config is not None
    assert (config.style.code_theme, config.style.code_theme_dark, config.style.variables) == ("friendly", "", ())


def test_octavo_own_theme_names_are_the_ones_config_accepts() -> None:
    from octavo.config import OWN_CODE_THEMES

    assert set(codestyle.OWN) == set(OWN_CODE_THEMES)


def test_print_drops_the_spans_of_tokens_its_theme_leaves_plain(tmp_path: Path) -> None:
    """WeasyPrint lays out every span on its own: a name or a comma that looks like the text
    around it needs none in the PDF."""
    from octavo.model import XRefIndex
    from octavo.writers.pdf.body import print_body

    html = render_chapter(Chapter(id="one", source="one.md", text="```python\nprint(a, 'b')  # c\n```\n"),
                          RenderContext(str(tmp_path), "en")).html
    plain = codestyle.plain_classes("octavo")
    assert {"n", "p"} <= plain and not {"k", "s1", "c1", "nb"} & plain
    body = print_body(html, "one", XRefIndex({}, {}), {}, plain=plain)
    printed = etree.fromstring(f"<div>{body}</div>")
    before = etree.fromstring(f'<div xmlns:epub="http://www.idpf.org/2007/ops">{html}</div>')
    assert printed.xpath("//span[@class='line']/span/@class") == ["nb", "s1", "c1"]
    assert set(before.xpath("//span[@class='line']/span/@class")) == {"nb", "p", "n", "s1", "c1"}
    assert "".join(printed.xpath("//pre")[0].itertext()) == "".join(before.xpath("//pre")[0].itertext()) \
        == "print(a, 'b')  # c\n"


def test_control_characters_in_code_show_as_their_pictures(tmp_path: Path) -> None:
    """Terminal colours pasted into a block (ESC) or a form feed: XML cannot hold them."""
    pre = one_block("console", "\x1b[31mred\x1b[0m\n\x0c", tmp_path)
    assert line_texts(pre) == ["\u241b[31mred\u241b[0m", "\u240c"]


def test_pandoc_raw_blocks_pass_html_and_leave_out_other_formats(tmp_path: Path) -> None:
    markdown = ("```{=html}\n<aside class=\"tip\"><p>Raw <b>HTML</b></p></aside>\n```\n\n"
                "```{=latex}\n\\newpage\n```\n\nText.\n")
    root, found = rendered(markdown, tmp_path)
    assert root.xpath("//aside[@class='tip']/p/b/text()") == ["HTML"] and root.xpath("//pre") == []
    assert "newpage" not in "".join(root.itertext())
    assert found == [("warning", "code.raw", 5)]

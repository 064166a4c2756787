"""Customising: a book's styles and templates layer over the defaults, one rule or one block at a time."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NS, ROOT, Epub, copy_book, epubcheck_messages

from octavo.cli import main
from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.pipeline import build


@pytest.fixture()
def book(tmp_path: Path) -> Path:
    return copy_book(ROOT / "book", tmp_path / "book")


def test_book_css_is_layered_after_the_defaults(book: Path, tmp_path: Path) -> None:
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text("h1 { color: #7a1f1f; }\n", encoding="utf-8")
    (book / "styles" / "epub.css").write_text("p { text-indent: 2em; }\n", encoding="utf-8")
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8")
                                    + '\n[style]\naccent-color = "#005f5f"\n', encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "out", formats=["epub", "web"]))
    site_css = (tmp_path / "out" / "site" / "styles" / "book.css").read_text(encoding="utf-8")
    assert "h1 { color: #7a1f1f; }" in site_css
    epub = Epub(tmp_path / "out" / "inner-leadership.epub")
    _, chapter = epub.chapter_with_title("Preface")
    links = chapter.xpath("//x:link/@href", namespaces=NS)
    assert links == ["css/base.css", "css/epub.css", "css/code.css", "css/variables.css", "styles/book.css",
                     "styles/epub.css"]
    assert "h1 { color: #7a1f1f; }" in epub.zip.read("EPUB/styles/book.css").decode()
    # e-readers get the value itself wherever the property is used (octavo/writers/epub/ereader.py)
    assert "a { color: #005f5f; }" in epub.zip.read("EPUB/css/base.css").decode()


def test_a_block_override_changes_only_that_block(book: Path, tmp_path: Path) -> None:
    build(book, resolve(book, output=tmp_path / "before", formats=["epub"]))
    (book / "templates" / "epub").mkdir(parents=True)
    (book / "templates" / "epub" / "chapter.xhtml.j2").write_text(
        '{% extends "!default/epub/chapter.xhtml.j2" %}\n'
        '{% block heading %}{% if page.number %}<p class="chapter-number">No. {{ page.number }}</p>'
        "{% endif %}{% endblock %}\n", encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "after", formats=["epub"]))
    before = zipfile.ZipFile(tmp_path / "before" / "inner-leadership.epub")
    after = zipfile.ZipFile(tmp_path / "after" / "inner-leadership.epub")
    old = before.read("EPUB/05-relationship-focus.xhtml").decode()
    new = after.read("EPUB/05-relationship-focus.xhtml").decode()
    assert '<span class="chapter-number">No. 5</span>' in new  # the EPUB keeps the label in its heading
    assert new.replace("No. 5", "Chapter 5").replace("\n", "") == old.replace("\n", "")
    assert after.read("EPUB/titlepage.xhtml") == before.read("EPUB/titlepage.xhtml")


@pytest.mark.parametrize(("template", "line", "code"), [
    ("{% extends \"!default/epub/chapter.xhtml.j2\" %}\n{% block heading %}\n{% if %}\n{% endblock %}\n", 3,
     "template.syntax"),
    ("{% extends \"!default/epub/chapter.xhtml.j2\" %}\n{% block heading %}\n\n{{ no_such_variable }}\n"
     "{% endblock %}\n", 4, "template.render"),
])
def test_broken_template_reports_path_and_line(book: Path, tmp_path: Path, template: str, line: int,
                                               code: str) -> None:
    (book / "templates" / "epub").mkdir(parents=True)
    (book / "templates" / "epub" / "chapter.xhtml.j2").write_text(template, encoding="utf-8")
    with pytest.raises(BookError) as caught:
        build(book, resolve(book, output=tmp_path / "out", formats=["epub"]))
    problem = caught.value.diagnostics[-1]
    assert problem.code == code
    assert problem.path.endswith("templates/epub/chapter.xhtml.j2") and problem.line == line


def test_template_include_cycle_is_reported(book: Path, tmp_path: Path) -> None:
    (book / "templates" / "epub").mkdir(parents=True)
    (book / "templates" / "epub" / "chapter.xhtml.j2").write_text('{% include "epub/loop.j2" %}', encoding="utf-8")
    (book / "templates" / "epub" / "loop.j2").write_text('{% include "epub/loop.j2" %}', encoding="utf-8")
    with pytest.raises(BookError) as caught:
        build(book, resolve(book, output=tmp_path / "out", formats=["epub"]))
    assert caught.value.diagnostics[-1].code == "template.cycle"


def test_theme_export_never_overwrites_and_list_shows_origin(book: Path) -> None:
    (book / "templates" / "epub").mkdir(parents=True)
    mine = book / "templates" / "epub" / "chapter.xhtml.j2"
    mine.write_text('{% extends "!default/epub/chapter.xhtml.j2" %}\n', encoding="utf-8")
    exported = CliRunner().invoke(main, ["theme", "export", str(book)])
    assert exported.exit_code == 0
    assert f"kept  {mine} (exists)" in exported.output
    assert mine.read_text(encoding="utf-8") == '{% extends "!default/epub/chapter.xhtml.j2" %}\n'
    assert (book / "templates" / "epub" / "nav.xhtml.j2").is_file() and (book / "styles" / "book.css").is_file()
    listed = CliRunner().invoke(main, ["theme", "list", str(book)]).output
    assert any(line.split()[:4] == ["epub", "template", "epub/chapter.xhtml.j2", "book"]
               for line in listed.splitlines())


def test_new_book_builds_and_validates(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["new", str(tmp_path / "fresh")])
    assert result.exit_code == 0, result.output
    built = build(tmp_path / "fresh", resolve(tmp_path / "fresh", output=tmp_path / "out", formats=["epub"]))
    assert [d for d in built.diagnostics if d.severity.value != "notice"] == []
    assert epubcheck_messages(tmp_path / "out" / "my-new-book.epub") == []
    again = CliRunner().invoke(main, ["new", str(tmp_path / "fresh")])
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_font_shipped_in_the_book_is_embedded(book: Path, tmp_path: Path) -> None:
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    assert font.is_file(), "the DejaVu fonts are not installed: apt-get install fonts-dejavu-core (.ci/run does)"
    (book / "fonts").mkdir()
    shutil.copyfile(font, book / "fonts" / "BookFace.ttf")
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text(
        '@font-face { font-family: "Book Face"; src: url("../fonts/BookFace.ttf"); }\n'
        'body { font-family: "Book Face", serif; }\n', encoding="utf-8")
    build(book, resolve(book, output=tmp_path / "out", formats=["epub", "pdf", "web"]))
    epub = Epub(tmp_path / "out" / "inner-leadership.epub")
    assert epub.manifest()["fonts/BookFace.ttf"].get("media-type") == "font/ttf"
    assert epubcheck_messages(tmp_path / "out" / "inner-leadership.epub") == []
    assert (tmp_path / "out" / "site" / "fonts" / "BookFace.ttf").is_file()
    fonts = subprocess.run(["pdffonts", str(tmp_path / "out" / "inner-leadership.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert "+Book-Face " in fonts, "WeasyPrint embeds the face under its CSS family name"

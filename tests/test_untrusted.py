"""Books with files nobody on the team wrote: hostile SVGs, decompression bombs, ``srcset``s that
point out of the book, images WeasyPrint cannot read. Each is stopped where it is used, with the
chapter's (or book.toml's, or the style sheet's) line, before any output is written; or, for a
plain DOCTYPE, carried without it into every output.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest
from conftest import NS, Epub, build_into, epubcheck_messages
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from unit.test_images import LAUGHS, bomb_png

from octavo import raster
from octavo.diagnostics import BookError, Diagnostic, Severity
from octavo.writers.pdf import layout as pdf_layout

XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&xxe;</text></svg>\n')
PLAIN_DOCTYPE = (b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
                 b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
                 b'  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                 b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
                 b'<rect width="40" height="20" fill="teal"/></svg>\n')


def make_book(tmp_path: Path, chapter: str, toml: str = "", css: str | None = None) -> Path:
    root = tmp_path / "book"
    (root / "images").mkdir(parents=True)
    (root / "book.toml").write_text(f'[book]\ntitle = "Untrusted"\nchapters = ["one.md"]\n{toml}', encoding="utf-8")
    (root / "one.md").write_text(f"# One\n\n{chapter}\n\nThe end.\n", encoding="utf-8")
    Image.new("RGB", (30, 20), "teal").save(root / "images" / "ok.png")
    Image.new("RGB", (60, 40), "navy").save(root / "images" / "ok@2x.png")
    if css is not None:
        (root / "styles").mkdir()
        (root / "styles" / "book.css").write_text(css, encoding="utf-8")
    return root


def failed(root: Path, out: Path, formats: list[str], jobs: int | None = None) -> list[Diagnostic]:
    with pytest.raises(BookError) as caught:
        build_into(root, out, formats, jobs=jobs)
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")], "no output written"
    return caught.value.diagnostics


def at(problems: list[Diagnostic], code: str, path: str, line: int | None) -> Diagnostic:
    found = [p for p in problems if (p.code, p.path, p.line) == (code, path, line)]
    assert found, [p.format() for p in problems]
    return found[0]


# An SVG with a DTD ------------------------------------------------------------------------------

@pytest.mark.parametrize(("chapter", "toml", "css", "where"), [
    ("![a drawing](images/x.svg)", "", None, ("one.md", 3)),
    ('<img src="images/x.svg" alt="a drawing">', "", None, ("one.md", 3)),
    ('<img src="images/ok.png" srcset="images/x.svg 2x" alt="a drawing">', "", None, ("one.md", 3)),
    ("Text.", 'cover = "images/x.svg"\n', None, ("book.toml", 4)),
    ("Text.", "", "body {\n  background: url(../images/x.svg);\n}\n", ("styles/book.css", 2)),
], ids=["markdown", "raw-img", "srcset", "cover", "style-sheet"])
def test_an_svg_declaring_an_external_entity_is_an_error_where_it_is_used(
        tmp_path: Path, chapter: str, toml: str, css: str | None, where: tuple[str, int]) -> None:
    root = make_book(tmp_path, chapter, toml, css)
    (root / "images" / "x.svg").write_bytes(XXE)
    problems = failed(root, tmp_path / "out", ["epub", "web", "pdf"])
    problem = [p for p in problems if (p.path, p.line) == where and "DOCTYPE" in p.message]
    assert problem and problem[0].severity is Severity.ERROR and "x.svg" in problem[0].message, problems
    assert "delete the <!DOCTYPE" in (problem[0].hint or "")


def test_a_billion_laughs_svg_fails_the_build_without_expanding(tmp_path: Path) -> None:
    root = make_book(tmp_path, "![laughs](images/lol.svg)")
    (root / "images" / "lol.svg").write_bytes(LAUGHS)
    problem = at(failed(root, tmp_path / "out", ["epub", "web"]), "image.invalid", "one.md", 3)
    assert "never reads" in problem.message


def test_a_plain_doctype_is_left_out_of_every_output_with_a_warning(tmp_path: Path) -> None:
    root = make_book(tmp_path, "![a drawing](images/plot.svg)", 'cover = "images/cover.svg"\n')
    (root / "images" / "plot.svg").write_bytes(PLAIN_DOCTYPE)
    (root / "images" / "cover.svg").write_bytes(PLAIN_DOCTYPE.replace(b"teal", b"olive"))
    result = build_into(root, tmp_path / "out", ["epub", "web", "pdf"])
    warned = {(d.code, d.path, d.line) for d in result.diagnostics}
    assert {("image.doctype", "one.md", 3), ("image.doctype", "book.toml", 4)} <= warned
    assert (root / "images" / "plot.svg").read_bytes() == PLAIN_DOCTYPE, "the book's own file is left alone"
    epub = Epub(tmp_path / "out" / "untrusted.epub")
    assert epub.zip.read(epub.base + "images/cover-2560.jpg").startswith(b"\xff\xd8")  # drawn, not carried
    carried = [epub.zip.read(epub.base + "images/plot.svg"),
               (tmp_path / "out" / "site" / "images" / "plot.svg").read_bytes(),
               (tmp_path / "out" / "site" / "images" / "cover.svg").read_bytes()]
    carried += [result.assembled.downloads[name].read_bytes() for name in ("images/plot.svg", "images/cover.svg")]
    for data in carried:  # the EPUB's, the web edition's, and the PDF fetcher's
        assert b"DOCTYPE" not in data and etree.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"
    assert epubcheck_messages(epub.path) == []
    assert len(PdfReader(tmp_path / "out" / "untrusted.pdf").pages) >= 2


def test_a_data_url_svg_with_a_plain_doctype_is_carried_without_it(tmp_path: Path) -> None:
    encoded = base64.b64encode(PLAIN_DOCTYPE).decode()
    root = make_book(tmp_path, f'<img src="data:image/svg+xml;base64,{encoded}" alt="a drawing">')
    result = build_into(root, tmp_path / "out", ["epub"])
    assert ("image.doctype", "one.md", 3) in {(d.code, d.path, d.line) for d in result.diagnostics}
    epub = Epub(tmp_path / "out" / "untrusted.epub")
    page = next(epub.xml(href) for href in epub.spine_hrefs() if b"data:image" in epub.zip.read(epub.base + href))
    src = page.xpath("//x:img/@src", namespaces=NS)[0]
    assert src.startswith("data:image/svg+xml;base64,") and b"DOCTYPE" not in base64.b64decode(src.split(",")[1])


def test_data_urls_in_a_style_sheet_are_checked_at_their_line(tmp_path: Path) -> None:
    bomb = base64.b64encode(bomb_png(10_000, 10_000)).decode()
    css = f'p {{ color: black; }}\nbody {{\n  background: url("data:image/png;base64,{bomb}");\n}}\n'
    root = make_book(tmp_path, "Text.", css=css)
    problem = at(failed(root, tmp_path / "out", ["epub"]), "image.large", "styles/book.css", 3)
    assert "100 megapixels" in problem.message


# Decompression bombs and damaged images -------------------------------------------------------------

def test_a_decompression_bomb_is_an_error_before_any_output(tmp_path: Path) -> None:
    root = make_book(tmp_path, "![a bomb](images/bomb.png)")
    (root / "images" / "bomb.png").write_bytes(bomb_png(30_000, 30_000))
    problem = at(failed(root, tmp_path / "out", ["epub", "web", "pdf"]), "image.large", "one.md", 3)
    assert "30,000 × 30,000 pixels (900 megapixels)" in problem.message and "50 megapixels" in problem.message
    assert "max-megapixels" in (problem.hint or "")


def test_the_limit_is_set_in_book_toml_and_checked(tmp_path: Path) -> None:
    root = make_book(tmp_path, "![big](images/big.png)", "[build]\nmax-megapixels = 0.001\n")
    Image.new("L", (40, 30)).save(root / "images" / "big.png")
    problem = at(failed(root, tmp_path / "out", ["epub"]), "image.large", "one.md", 3)
    assert "0.001 megapixels" in problem.message
    (root / "book.toml").write_text('[book]\ntitle = "U"\n\n[build]\nmax-megapixels = "lots"\n', encoding="utf-8")
    at(failed(root, tmp_path / "out", ["epub"]), "config", "book.toml", 5)


def test_an_image_weasyprint_refuses_is_reported_at_its_line_with_a_book_path_and_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's image library refuses 900 megapixels and says so only in an exception it raises an
    empty error from. octavo refuses them first (Pillow's bomb limit holds whatever max-megapixels
    says), so its header check is told here that the image is small, to reach WeasyPrint's refusal."""
    monkeypatch.setattr(raster, "measure", lambda data: raster.Raster("image/png", 10, 10))
    monkeypatch.setattr(raster, "verify", lambda data: None)
    root = make_book(tmp_path, "Some text.\n\n![a bomb](images/bomb.png)", "[build]\nmax-megapixels = 1000\n")
    (root / "images" / "bomb.png").write_bytes(bomb_png(30_000, 30_000))
    problems = failed(root, tmp_path / "out", ["pdf"], jobs=1)  # patched in this process only
    problem = at(problems, "pdf.resource", "one.md", 5)
    assert problem.message.startswith("the PDF cannot use 'images/bomb.png': Image size (900000000 pixels)")
    assert str(tmp_path) not in problem.format() and "file:" not in problem.format()
    assert "scale the image down" in (problem.hint or "")


def test_a_fatal_fetching_error_is_a_diagnostic_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """WeasyPrint's FatalURLFetchingError is a BaseException: it passes every ``except Exception``."""
    root = make_book(tmp_path, "![fine](images/ok.png)")

    def fatal(self: pdf_layout.BookFetcher, url: str, headers: object = None) -> object:
        if url.endswith("ok.png"):
            raise pdf_layout.FatalURLFetchingError(f'Error fetching "{url}"') from OSError("disk on fire")
        return original(self, url, headers)

    original = pdf_layout.BookFetcher.fetch
    monkeypatch.setattr(pdf_layout.BookFetcher, "fetch", fatal)
    problem = at(failed(root, tmp_path / "out", ["pdf"], jobs=1), "pdf.fetch", "one.md", 3)  # patched here only
    assert problem.message == "the PDF cannot use 'images/ok.png': disk on fire"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_truncated_image_is_an_error(tmp_path: Path, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 30).convert("RGB").save(buffer, fmt)
    data = buffer.getvalue()
    suffix = {"JPEG": "jpg"}.get(fmt, fmt.lower())
    root = make_book(tmp_path, f"![cut](images/cut.{suffix})")
    (root / "images" / f"cut.{suffix}").write_bytes(data[: len(data) * 2 // 3])
    problem = at(failed(root, tmp_path / "out", ["epub"]), "image.invalid", "one.md", 3)
    assert "truncated" in problem.message


def test_images_above_a_stores_limit_are_warnings_in_an_epub_build_only(tmp_path: Path) -> None:
    root = make_book(tmp_path, "Text.\n\n![a wide photo](images/wide.jpg)")
    Image.new("RGB", (2500, 2400), "white").save(root / "images" / "wide.jpg", quality=20)
    result = build_into(root, tmp_path / "epub", ["epub"])
    warning = at(result.diagnostics, "image.store", "one.md", 5)
    assert "Apple Books" in warning.message and "5.6 megapixels" in warning.message
    assert "2,500 × 2,400 pixels" in warning.message
    printed = build_into(root, tmp_path / "pdf", ["pdf"])
    assert not [d for d in printed.diagnostics if d.code == "image.store"], "a print PDF wants large images"


# srcset and the other URL attributes --------------------------------------------------------------

def test_srcset_candidates_outside_the_book_are_errors_like_src(tmp_path: Path) -> None:
    chapter = ('<img srcset="file:///etc/passwd 2x, ../../../etc/hosts 3x" src="images/ok.png" alt="x">\n\n'
               '<picture><source srcset="../outside/secret.png 1x"><img src="images/ok.png" alt="y"></picture>')
    root = make_book(tmp_path, chapter)
    problems = failed(root, tmp_path / "out", ["epub", "web"])
    at(problems, "image.remote", "one.md", 3)
    assert "'file:///etc/passwd'" in at(problems, "image.remote", "one.md", 3).message
    assert "'../../../etc/hosts'" in at(problems, "image.outside", "one.md", 3).message
    assert "'../outside/secret.png'" in at(problems, "image.outside", "one.md", 5).message


def test_sound_srcset_candidates_travel_with_the_book(tmp_path: Path) -> None:
    chapter = ('<img src="images/ok.png" srcset="images/ok.png 1x, images/ok@2x.png 2x" alt="teal">\n\n'
               '<picture><source srcset="images/ok@2x.png 2x"><img src="images/ok.png" alt="navy"></picture>')
    root = make_book(tmp_path, chapter)
    build_into(root, tmp_path / "out", ["epub", "web"])
    epub = Epub(tmp_path / "out" / "untrusted.epub")
    assert {"images/ok.png", "images/ok@2x.png"} <= set(epub.manifest())
    page = next(epub.xml(href) for href in epub.spine_hrefs() if b"srcset" in epub.zip.read(epub.base + href))
    assert page.xpath("//x:img/@srcset", namespaces=NS)[0] == "images/ok.png 1x, images/ok@2x.png 2x"
    assert epubcheck_messages(epub.path) == []
    assert (tmp_path / "out" / "site" / "images" / "ok@2x.png").is_file()


def test_no_output_carries_a_url_out_of_the_book_from_any_attribute(tmp_path: Path) -> None:
    """Every URL-bearing attribute at once, with values that are warnings (links, citations) or
    removed: the build succeeds, and no XHTML or HTML of any output still names them."""
    chapter = ('<a href="file:///etc/passwd" ping="https://tracker.example/p">a</a> '
               '<q cite="file:///etc/passwd">q</q> <span itemtype="file:///etc/passwd">i</span>\n\n'
               '<svg><a xlink:href="javascript:alert(1)"><text>t</text></a><g xml:base="file:///etc/"></g>'
               '<foreignObject><p>html</p></foreignObject><set attributeName="href" to="file:///x"/></svg>\n\n'
               '<math><mi href="vbscript:x">x</mi><annotation-xml encoding="text/html"><p>h</p></annotation-xml>'
               '</math>')
    root = make_book(tmp_path, chapter)
    result = build_into(root, tmp_path / "out", ["epub", "web"])
    assert {d.code for d in result.diagnostics} >= {"link.scheme", "html.unsafe"}
    with zipfile.ZipFile(tmp_path / "out" / "untrusted.epub") as archive:
        texts = [archive.read(name) for name in archive.namelist() if name.endswith(".xhtml")]
    texts += [page.read_bytes() for page in (tmp_path / "out" / "site").rglob("*.html")]
    for text in texts:
        for scheme in (b"file:", b"javascript:", b"vbscript:", b"tracker.example", b"foreignObject",
                       b"annotation-xml", b"xml:base"):
            assert scheme not in text

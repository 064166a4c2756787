"""The EPUB as e-readers and stores read it: sheets without custom properties, a raster cover at
store size named as EPUB 3 and EPUB 2 name it, Apple's display options for embedded faces, and
chapter labels that stay with their headings."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import tinycss2
from conftest import NS, ROOT, Epub, build_into, copy_book, epubcheck_messages
from PIL import Image

APPLE = "META-INF/com.apple.ibooks.display-options.xml"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def declarations(css: str) -> list[tuple[str, str]]:
    """(property, value) of every declaration in the sheet, nested rules included."""
    found: list[tuple[str, str]] = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        content = getattr(rule, "content", None) or []
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            found += declarations(tinycss2.serialize(content))
            continue
        for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
            if item.type == "declaration":
                found.append((item.name, tinycss2.serialize(item.value).strip()))
    return found


def test_sheets_hold_no_custom_properties_or_alpha_colours(sample_epub: Epub) -> None:
    sheets = [name for name, item in sample_epub.manifest().items() if item.get("media-type") == "text/css"]
    assert "css/base.css" in sheets
    found = [d for name in sheets for d in declarations(sample_epub.zip.read(sample_epub.base + name).decode())]
    assert len(found) > 100
    assert not [d for d in found if d[0].startswith("--") or "var(" in d[1] or "rgba(" in d[1]]
    families = [" ".join(value.split()) for name, value in found if name == "font-family"]
    body = 'Georgia, "DejaVu Serif", "Liberation Serif", "Noto Serif", "DejaVu Serif", "Noto Naskh Arabic"'
    assert any(family.startswith(body) and family.endswith('"Noto Serif CJK JP", serif') for family in families)
    assert ("line-height", "1.5") in found and ("color", "#2b4c7e") in found


def test_the_cover_is_a_raster_at_store_size(sample_epub: Epub) -> None:
    covers = sample_epub.opf.xpath("//opf:manifest/opf:item[@properties='cover-image']", namespaces=NS)
    assert len(covers) == 1 and covers[0].get("media-type") == "image/jpeg"
    assert sample_epub.opf.xpath("//opf:meta[@name='cover']/@content", namespaces=NS) == [covers[0].get("id")]
    with Image.open(io.BytesIO(sample_epub.zip.read(sample_epub.base + covers[0].get("href")))) as image:
        assert image.format == "JPEG" and image.size == (1600, 2560)
        assert image.getpixel((800, 100)) != image.getpixel((800, 1700))  # drawn, not blank
    page = sample_epub.xml("cover.xhtml")
    assert page.xpath("//x:img/@src", namespaces=NS) == [covers[0].get("href")]
    assert not [name for name in sample_epub.zip.namelist() if name.endswith("cover.svg")]
    assert APPLE not in sample_epub.zip.namelist()  # the sample embeds no face


def test_embedded_faces_are_shown_in_apple_books(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    (book / "styles").mkdir(exist_ok=True)
    shutil.copyfile(FONT, book / "styles" / "Face.ttf")
    (book / "styles" / "book.css").write_text(
        '@font-face { font-family: "Face"; src: url(Face.ttf); }\n:root { --body-font: "Face", serif; }\n',
        encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    epub = Epub(tmp_path / "out" / "inner-leadership.epub")
    options = epub.zip.read(APPLE).decode()
    assert '<option name="specified-fonts">true</option>' in options
    base = epub.zip.read(epub.base + "css/base.css").decode()
    assert 'font-family: "Face", serif' in base  # the book's value of the property, resolved into base.css
    assert epubcheck_messages(epub.path) == []


def test_no_page_break_strands_a_chapter_label(sample_epub: Epub) -> None:
    for href in sample_epub.spine_hrefs():
        page = sample_epub.xml(href)
        for label in page.xpath("//*[contains(concat(' ', @class, ' '), ' chapter-number ')]", namespaces=NS):
            assert label.getparent().tag == f"{{{NS['x']}}}h1", href
    sheets = [sample_epub.zip.read(sample_epub.base + n).decode() for n in sample_epub.manifest()
              if n.endswith(".css")]
    assert not [d for css in sheets for d in declarations(css)
                if d[0] in ("page-break-before", "break-before") and d[1] in ("always", "page")]


def test_no_conformance_claim_for_an_image_without_a_text_alternative(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    chapter = book / "part-1" / "01-what-is-inner-leadership.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + '\n<img src="../images/stakeholder-map.svg">\n',
                       encoding="utf-8")
    build_into(book, tmp_path / "out", ["epub"])
    epub = Epub(tmp_path / "out" / "inner-leadership.epub")
    assert epub.prop("dcterms:conformsTo") == []
    summary = epub.prop("schema:accessibilitySummary")[0]
    assert "meets" not in summary and "Some of its images have no text alternative." in summary

"""The print profile: the interior's page (trim, bleed, marks, gutter) and the cover's geometry.

``[pdf] profile = "print"`` makes the two files a print-on-demand service takes: the interior,
without the cover, and a cover PDF of one spread (back cover, spine, front cover) with bleed on
all four sides. Here: the arithmetic, the CSS, the back cover's text and the cover's boxes;
the writer lays the pages out.

Numbers (why: docs/book-format.md, "Print-ready files"): the gutter follows KDP's table of
minimum inside margins by page count, which IngramSpark's and Lulu's guides match or undercut;
the spine is pages / paper PPI; the cover's bleed is 0.125 in unless ``[pdf] bleed`` says
otherwise; spine text only on a book of more than 79 pages (KDP's threshold) whose spine has
room for 6 pt type.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from octavo import markdown, sanitize
from octavo.config import PdfOptions, length
from octavo.diagnostics import Diagnostic, warning

INCH = 72.0
# (most pages, minimum inside margin) of KDP's print guide; a thicker book needs more gutter.
GUTTERS = ((150, 0.375 * INCH), (300, 0.5 * INCH), (500, 0.625 * INCH), (700, 0.75 * INCH),
           (10**9, 0.875 * INCH))
INSIDE = 0.875 * INCH  # styles/pdf.css's inside margin, drawn for the thinnest band
COVER_BLEED = 0.125 * INCH  # KDP, IngramSpark and Lulu all ask 0.125 in (3.175 mm) around a cover
SPINE_TEXT_PAGES = 79  # spine text only on a thicker book
SPINE_SAFE = 0.0625 * INCH  # text keeps this far from the spine's folds
SPINE_TYPE = 6.0  # the smallest type worth setting on a spine, in points


def band(pages: int) -> int:
    """The gutter band of a book of ``pages`` pages: 0 up to 150 pages, 1 up to 300..."""
    return next(number for number, (most, _) in enumerate(GUTTERS) if pages <= most)


def inside_margin(chosen: int, margins: str | None) -> float:
    """The inside margin in points for gutter band ``chosen``: the book's own inside margin (the
    sheet's, or the left one of ``[style] page-margins``) grown by what KDP's table adds over its
    first band, and never under KDP's minimum for the band."""
    base = INSIDE
    if margins is not None:
        values = margins.split()
        found = length(values[3] if len(values) == 4 else values[1] if len(values) > 1 else values[0])
        base = found if found is not None else INSIDE
    minimum = GUTTERS[chosen][1]
    return round(max(base + minimum - GUTTERS[0][1], minimum), 2)


def interior_sheet(pdf: PdfOptions, margins: str | None, chosen: int | None) -> str:
    """The page rules of ``[pdf]``: the trim in both profiles; bleed, crop marks and the gutter of
    band ``chosen`` in the print profile (``chosen`` None: the screen profile)."""
    rules: list[str] = []
    if pdf.trim is not None:
        rules.append(f"@page {{ size: {pdf.trim[0]:.2f}pt {pdf.trim[1]:.2f}pt; }}")
    if chosen is not None:
        bleed = f"{pdf.bleed:.2f}pt" if pdf.bleed else "auto"  # auto: 6pt for crop marks, else none
        rules.append(f"@page {{ bleed: {bleed}; marks: {'crop' if pdf.marks else 'none'}; }}")
        inside = inside_margin(chosen, margins)
        rules.append(f"@page :right {{ margin-left: {inside}pt; }}\n@page :left {{ margin-right: {inside}pt; }}")
    return "\n".join(rules)


@dataclass(frozen=True)
class Spread:
    """The cover's geometry in points: the trim of one page, the spine between, the bleed around."""

    width: float  # of the trim (one page)
    height: float
    spine: float
    bleed: float
    pages: int
    rtl: bool = False  # bound on the right: the front cover is the left panel, the back the right

    @property
    def size(self) -> tuple[float, float]:
        return 2 * self.width + self.spine + 2 * self.bleed, self.height + 2 * self.bleed

    @property
    def type_size(self) -> float:
        """The spine's type: six tenths of the width between its safe margins, at most 12 pt."""
        return round(min(12.0, (self.spine - 2 * SPINE_SAFE) * 0.6), 2)

    @property
    def spine_text(self) -> bool:
        """Title and authors on the spine: past KDP's 79 pages, and wide enough for 6 pt type."""
        return self.pages > SPINE_TEXT_PAGES and self.type_size >= SPINE_TYPE


def spread(width: float, height: float, pages: int, pdf: PdfOptions, rtl: bool = False) -> Spread:
    """The cover of a book of ``pages`` interior pages of ``width`` x ``height`` points."""
    return Spread(width, height, round(pages / pdf.paper_ppi * INCH, 3), pdf.bleed or COVER_BLEED, pages, rtl)


def cover_rules(cover: Spread) -> str:
    """Where the panels go, in points from the sheet's top left (the bleed's corner); their look
    (faces, colours, padding) is styles/pdf.css's, which a book's sheet can change."""
    total, tall = cover.size
    back = cover.bleed + cover.width
    text = cover.height - 2 * INCH * 0.25  # the spine's text runs along it, 0.25 in from top and bottom
    first, last = ("front", "back") if cover.rtl else ("back", "front")  # left panel, right panel
    return "\n".join([
        f"@page cover {{ size: {total:.3f}pt {tall:.3f}pt; margin: 0; bleed: 0; marks: none; }}",
        f".print-cover .{first} {{ left: 0; top: 0; width: {back:.3f}pt; height: {tall:.3f}pt; }}",
        f".print-cover .spine {{ left: {back:.3f}pt; top: 0; width: {cover.spine:.3f}pt; height: {tall:.3f}pt; }}",
        f".print-cover .{last} {{ left: {back + cover.spine:.3f}pt; top: 0; width: {back:.3f}pt; "
        f"height: {tall:.3f}pt; }}",
        f".print-cover .back-text {{ padding: {cover.bleed + 0.5 * INCH:.3f}pt; }}",
        f".print-cover .spine-text {{ width: {text:.3f}pt; height: {cover.spine - 2 * SPINE_SAFE:.3f}pt; "
        f"left: {(cover.spine - text) / 2:.3f}pt; top: {(tall - cover.spine) / 2 + SPINE_SAFE:.3f}pt; "
        f"line-height: {cover.spine - 2 * SPINE_SAFE:.3f}pt; "
        f"font-size: {cover.type_size:.2f}pt; }}",
    ])


def is_image(path: str) -> bool:
    """Whether a back cover is an image rather than Markdown text."""
    return re.search(r"\.(png|jpe?g|gif|webp|svg)$", path, re.I) is not None


def markdown_html(path: Path, language: str, source: str) -> tuple[str, list[Diagnostic]]:
    """The back cover's Markdown as safe HTML (as a chapter's: raw HTML cleaned), and warnings."""
    html, env = markdown.to_xhtml(path.read_text(encoding="utf-8-sig"), language)
    problems = [warning(code, message, source, line) for code, message, line in env["problems"]]
    root = sanitize.parse(html, raw=env["raw_html"])
    problems += [warning("pdf.back-cover", f"the back cover's {removal.what} is left out", source, removal.line)
                 for removal in sanitize.clean(root)]
    return sanitize.serialize(root), problems


def finish_cover(pdf: bytes, cover: Spread, path: Path, created: str, attachments: Mapping[str, bytes]) -> None:
    """Save the laid-out spread with the boxes a printer reads (TrimBox inside the bleed, BleedBox
    the whole sheet), the build's dates and the font licence, the same bytes on every build."""
    total, tall = cover.size
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        page.obj.MediaBox = page.obj.BleedBox = pikepdf.Array([0, 0, round(total, 3), round(tall, 3)])
        page.obj.TrimBox = pikepdf.Array([round(cover.bleed, 3), round(cover.bleed, 3),
                                          round(total - cover.bleed, 3), round(tall - cover.bleed, 3)])
        info = document.trailer.Info if "/Info" in document.trailer else document.make_indirect(pikepdf.Dictionary())
        info.CreationDate = info.ModDate = pikepdf.String(created)
        document.trailer.Info = info
        for name, data in sorted(attachments.items()):
            document.attachments[name] = pikepdf.AttachedFileSpec(document, data, description="Font licence",
                                                                  filename=name, mime_type="text/plain")
        document.save(path, deterministic_id=True, compress_streams=True,
                      object_stream_mode=pikepdf.ObjectStreamMode.generate)

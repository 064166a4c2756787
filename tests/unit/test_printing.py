"""The print profile's arithmetic: gutter bands, inside margins, the cover's spine."""

from __future__ import annotations

from octavo.config import PdfOptions
from octavo.writers.pdf.printing import band, inside_margin, spread


def test_gutter_bands_follow_kdps_table() -> None:
    pages = (24, 150, 151, 300, 301, 500, 501, 700, 701, 828)
    assert [band(count) for count in pages] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_inside_margin_grows_from_the_books_own() -> None:
    assert [inside_margin(chosen, None) for chosen in range(5)] == [63.0, 72.0, 81.0, 90.0, 99.0]
    assert inside_margin(1, "0.5in") == 45.0  # [style] page-margins, one value for every side
    assert inside_margin(0, "0.75in 0.25in") == 27.0  # its left value, never under the band's minimum
    assert inside_margin(4, "1in 0.5in 1in 0.3in") == 63.0  # 0.3 in + 0.5 in, under 0.875 in: the minimum
    assert inside_margin(2, "auto") == 81.0  # not a length: octavo's 0.875 in


def test_spine_width_and_text() -> None:
    white, cream = PdfOptions(profile="print"), PdfOptions(profile="print", paper_ppi=370.0)
    assert spread(432, 648, 434, white).spine == 72.0 and spread(432, 648, 370, cream).spine == 72.0
    assert spread(432, 648, 100, white).size == (2 * 432 + round(100 / 434 * 72, 3) + 18, 648 + 18)
    assert not spread(432, 648, 79, cream).spine_text  # KDP: no spine text up to 79 pages
    assert not spread(432, 648, 100, white).spine_text  # 0.23 in: no room for 6 pt type
    assert spread(432, 648, 120, white).spine_text and spread(432, 648, 100, cream).spine_text
    assert spread(432, 648, 700, white).type_size == 12.0
    assert spread(432, 648, 100, PdfOptions(bleed=8.5)).bleed == 8.5

"""The EPUB's sheets with custom properties and alpha colours resolved, as e-readers need them."""

from __future__ import annotations

from octavo.writers.epub.ereader import close_heading_gaps, for_ereaders, label_in_heading


def test_custom_properties_are_resolved_across_sheets_later_winning() -> None:
    base = ":root { --accent: #111; --text: var(--accent); } a { color: var(--accent); } p { color: var(--text); }"
    book = ":root { --accent: #7a1f1f; } em { color: var(--missing, var(--accent)); } b { color: var(--missing); }"
    first, second = for_ereaders([base, book])
    assert "var(" not in first + second and "--" not in first + second
    assert "a { color: #7a1f1f; }" in first and "p { color: #7a1f1f; }" in first
    assert "em { color: #7a1f1f; }" in second
    assert "b {" not in second  # no value, no fallback: left out, as a browser drops it


def test_a_property_that_refers_to_itself_is_dropped_not_looped() -> None:
    (sheet,) = for_ereaders([":root { --a: var(--a); } p { color: var(--a); margin: 0; }"])
    assert sheet == "p { margin: 0; }\n"


def test_alpha_colours_become_the_colour_they_make_on_white() -> None:
    (sheet,) = for_ereaders([".callout { background-color: rgba(43, 76, 126, 0.08); color: rgb(0, 0, 0); }"])
    assert sheet == ".callout { background-color: #eef1f5; color: rgb(0, 0, 0); }\n"


def test_media_queries_font_faces_and_important_are_kept() -> None:
    (sheet,) = for_ereaders([":root { --f: Serif; } @font-face { font-family: var(--f); src: url(f.ttf); } "
                             "@media (min-width: 30em) { body { margin: 0 !important; } } @import url(x.css);"])
    assert '@font-face { font-family: Serif; src: url(f.ttf); }' in sheet
    assert "@media (min-width: 30em) {\nbody { margin: 0 !important; }\n}" in sheet
    assert "@import url(x.css);" in sheet


def test_a_chapter_label_moves_into_its_heading() -> None:
    page = ('<p class="chapter-number" title="x">Chapter <i>5</i></p>\n<h1 id="t">Title</h1>'
            '<p class="chapter-number">b</p>')
    assert label_in_heading(page) == ('<h1 id="t"><span class="chapter-number" title="x">Chapter <i>5</i></span> '
                                      'Title</h1><p class="chapter-number">b</p>')
    other = '<p class="chapter-numbers">x</p><h1>T</h1>'
    assert label_in_heading(other) == other


def test_heading_levels_close_up_without_changing_anything_else() -> None:
    page = ('<h1 id="a">A</h1><h4 id="b">B</h4><hr/><h4>C</h4><header><h2>D</h2></header><h5 class="x">E</h5>'
            '<h3>F</h3>')
    assert close_heading_gaps(page) == ('<h1 id="a">A</h1><h2 id="b">B</h2><hr/><h2>C</h2><header><h2>D</h2>'
                                        '</header><h3 class="x">E</h3><h3>F</h3>')
    assert close_heading_gaps("<h2>x</h2><h3>y</h3>") == "<h2>x</h2><h3>y</h3>"

"""mdBook's addressing rules (octavo.mdbook) and the web edition's paths for pages in folders."""

from __future__ import annotations

import pytest

from octavo.mdbook import web as mdbook
from octavo.writers.web.writer import mdbook_notes, rebase


@pytest.mark.parametrize(("source", "src", "page"), [
    ("src/cli/build.md", "src", "cli/build.html"),
    ("src/README.md", "src", "index.html"),
    ("src/format/theme/readme.md", "src", "format/theme/index.html"),
    ("book/intro.md", "book", "intro.html"),
    ("intro.md", ".", "intro.html"),
])
def test_a_page_path_mirrors_its_source(source: str, src: str, page: str) -> None:
    assert mdbook.page_path(source, src) == page


def test_heading_ids_follow_mdbooks_rule_and_count_repeats() -> None:
    taken: dict[str, int] = {}
    texts = ("The export_name attribute", "--open", "Example", "Example", "Example-1", "Example",
             "Über C++ & Rust: ÜNÏ")
    made = [mdbook.heading_id(text, taken) for text in texts]
    # as mdBook 0.5.4 writes them: "Example-1" steps over the id the second "Example" took
    assert made == ["the-export_name-attribute", "--open", "example", "example-1", "example-1-1", "example-2",
                    "über-c--rust-ünï"]


def test_a_link_out_of_the_book_resolves_from_its_page() -> None:
    assert mdbook.outside("https://doc.example.org/book/", "cli/build.html", "../../std/index.html") == \
        "https://doc.example.org/std/index.html"
    assert mdbook.outside("https://doc.example.org/book", "index.html", "../std/") == "https://doc.example.org/std/"
    assert mdbook.outside(None, "cli/build.html", "../../std/index.html#x") == "../std/index.html#x"


def test_a_page_in_a_folder_reaches_the_sites_top_through_its_parents() -> None:
    html = ('<link href="css/base.css"><img src="src/a.png" srcset="src/a.png 1x, src/b.png 2x">'
            '<a href="#here">h</a><a href="https://example.org/">w</a><a href="toc.html#x">t</a>')
    assert rebase(html, "index.html") == html
    assert rebase(html, "format/theme/index.html") == (
        '<link href="../../css/base.css"><img src="../../src/a.png" srcset="../../src/a.png 1x, ../../src/b.png 2x">'
        '<a href="#here">h</a><a href="https://example.org/">w</a><a href="../../toc.html#x">t</a>')


def test_footnotes_take_mdbooks_ids_on_the_web() -> None:
    html = ('<a href="#note-note" id="noteref-note">1</a> <a href="#note-note" id="noteref-note-2">1</a>'
            '<aside id="note-note"><a href="#noteref-note">1.</a></aside>')
    assert mdbook_notes(html) == (
        '<a href="#footnote-note" id="fr-note-1">1</a> <a href="#footnote-note" id="fr-note-2">1</a>'
        '<aside id="footnote-note"><a href="#fr-note-1">1.</a></aside>')

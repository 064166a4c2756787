"""A part's page names the part, lists its chapters and sets its overview, each once."""

from __future__ import annotations

from octavo.model import Part, RenderedChapter, TocEntry
from octavo.transforms.toc import part_page

ENTRIES = (TocEntry("One", "One", "c1", "chapter", number="1"), TocEntry("Two", "Two", "c2", "chapter", number="2"))


def intro(html: str) -> RenderedChapter:
    return RenderedChapter("part-2", "part-2/overview.md", html, "Overview", "Overview", True, digest="d")


def test_a_numbered_title_becomes_a_label_over_the_title() -> None:
    page = part_page(Part("part-2", "Part II: The Techniques & Tools", 2, ()), None, ENTRIES)
    assert (page.label, page.heading) == ("Part II", "The Techniques &amp; Tools")
    assert page.title == "Part II: The Techniques & Tools"  # running heads and bookmarks keep it whole
    plain = part_page(Part("part-1", "Foundations", 1, ()), None, ENTRIES)
    assert (plain.label, plain.heading, plain.entries) == ("", "Foundations", ENTRIES)


def test_an_overview_heading_that_repeats_the_title_is_dropped_but_its_anchor_stays() -> None:
    html = '<h1 id="the-techniques">The  Techniques</h1>\n<p>Text.</p>'
    page = part_page(Part("part-2", "Part II: The Techniques", 2, ()), intro(html), ENTRIES)
    assert page.chapter is not None
    assert page.chapter.html == '<span id="the-techniques"></span>\n<p>Text.</p>'
    assert page.chapter.digest not in ("", "d")  # the cache sees the change
    other = part_page(Part("part-2", "Part II: The Techniques", 2, ()), intro("<h1>Why</h1><p>T</p>"), ENTRIES)
    assert other.chapter is not None and other.chapter.html.startswith("<h1>Why</h1>")


def test_an_overview_that_links_every_chapter_is_the_chapter_list() -> None:
    listed = '<p>x</p><ul><li><a href="octavo:c1#">One</a>: a.</li><li><a href="octavo:c2#">Two</a></li></ul>'
    assert part_page(Part("p", "P", 1, ()), intro(listed), ENTRIES).entries == ()
    some = '<p>See <a href="octavo:c1#">One</a>.</p>'
    assert part_page(Part("p", "P", 1, ()), intro(some), ENTRIES).entries == ENTRIES

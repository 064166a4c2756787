"""Which text is a citation, and what its parts are, as pandoc reads them (octavo/citations/syntax.py)."""

from __future__ import annotations

import pytest

from octavo.markdown import to_xhtml
from octavo.model import Citation, CiteItem


def citations(text: str, notes: bool = False) -> list[Citation]:
    return list(to_xhtml(text, "en", 1, notes)[1]["citations"])


@pytest.mark.parametrize(("text", "keys"), [
    ("[@smith2019]", ["smith2019"]),
    ("@smith2019.", ["smith2019"]),  # a full stop after the key is not part of it
    ("@doe:2001/a-b", ["doe:2001/a-b"]),  # inner punctuation is
    ("@{Weird key, 2001}", ["Weird key, 2001"]),
    ("[see @a; @b, p. 3; -@c]", ["a", "b", "c"]),
    ("me@example.org", []),  # an e-mail address
    ("\\@escaped", []),
    ("[@smith](https://example.org)", ["smith"]),  # a link's text may cite; the bracket is a link
    ("@fig-map @tbl-x @sec-y @eq-z @lst-w @fig:a [@fig-a; @smith]", []),  # cross-references, never citations
    ("`[@code]`", []),
])
def test_keys_follow_pandocs_rules(text: str, keys: list[str]) -> None:
    assert [item.key for c in citations(text) for item in c.items] == keys


def test_prefix_locator_suffix_and_forms_are_kept_as_written() -> None:
    found = citations("Text [*see* @a, pp. 3--4 and passim; -@b].\n\nAs @c [chap. 2] says.\n")
    assert found[0].items == (CiteItem("a", "*see*", ", pp. 3--4 and passim"), CiteItem("b", "", "", True))
    assert found[0].source == "[*see* @a, pp. 3--4 and passim; -@b]" and not found[0].author_in_text
    assert found[1] == Citation(1, (CiteItem("c", "", "chap. 2"),), "@c [chap. 2]", 3, True, False)


def test_citations_in_footnotes_are_marked_and_a_note_style_makes_notes() -> None:
    text = "A [@a]. B.[^n]\n\n[^n]: In a note [@b].\n"
    assert [c.in_note for c in citations(text)] == [False, True]
    html, env = to_xhtml(text, "en", 1, True)
    # [@a] becomes note 1 after the full stop; the author's note is 2; [@b] stays inside it
    assert "A<span" in html and 'data-cite-part="note"' in html and html.count('class="footnote"') == 2
    assert [c.in_note for c in env["citations"]] == [False, True]


def test_the_refs_div_is_a_placeholder_for_the_list() -> None:
    html, _ = to_xhtml("::: {#refs}\n:::\n\nAfter.\n", "en")
    assert html.startswith('<div id="refs"') and "<p>After.</p>" in html

"""Cross-references, book-wide: check every ``file.md#fragment`` and place links per output.

Chapters are rendered on their own with internal links written ``octavo:<chapter>#<fragment>``.
Once all are rendered, :func:`index` knows every id of every chapter; it reports links to ids
that exist nowhere, and lets a same-chapter ``#id`` that lives in another chapter find it (as
happens when one long source is split into chapters). Each writer then calls :func:`relink`
with its own idea of where a chapter lives (``ch.xhtml#id``, ``ch.html#id``, ``#ch--id``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from html import escape

from octavo.diagnostics import Diagnostic, warning
from octavo.model import RenderedChapter, XRefIndex
from octavo.render import OUTSIDE, XREF

PLACEHOLDER = re.compile(re.escape(f'href="{XREF}') + r'([^"#]*)#([^"]*)"')
# A link out of the book (see render.OUTSIDE) with its content: links do not nest, so its end is
# the first </a>, and our serialisation writes each attribute after one space in double quotes.
OUTSIDE_LINK = re.compile(r'<a((?: [^>]*?)?) href="' + re.escape(OUTSIDE) + r'([^"]*)"([^>]*)>(.*?)</a>', re.S)
UrlFor = Callable[[str, str], str]


def index(rendered: Iterable[RenderedChapter], page_of: Mapping[str, str] | None = None
          ) -> tuple[XRefIndex, list[Diagnostic]]:
    """Index all ids and report the links that point nowhere."""
    chapters = list(rendered)
    anchors = {c.id: c.anchors for c in chapters}
    owners: dict[str, str] = {}
    shared: set[str] = set()
    for chapter in chapters:  # the ids of a long book (9,000 in Pepys's diary) counted by C loops
        shared.update(filter(owners.__contains__, chapter.anchors))
        owners.update(dict.fromkeys(chapter.anchors, chapter.id))
    for anchor in shared:
        del owners[anchor]
    xref_index = XRefIndex(anchors, owners)
    problems: list[Diagnostic] = []
    for chapter in chapters:
        for ref in chapter.xrefs:
            if ref.fragment and xref_index.resolve(ref.chapter, ref.fragment)[1] != ref.fragment:
                problems.append(warning("link.fragment", f"link to '#{ref.fragment}', which is not an id in "
                                        f"chapter '{ref.chapter}'", chapter.source, ref.line,
                                        hint=_fragment_hint(ref.fragment, anchors.get(ref.chapter, frozenset()))))
    return xref_index, problems


def _fragment_hint(fragment: str, ids: frozenset[str]) -> str:
    """Did-you-mean among the ids of the page the link points at, since a typo is the usual cause."""
    close = difflib.get_close_matches(fragment, sorted(ids), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'#{c}'" for c in close) + "?"
    return "give the heading an id, e.g. ## Title {#" + fragment + "}"


def relink(html: str, xref_index: XRefIndex, url_for: UrlFor, current: str | None = None,
           outside: Callable[[str], str] | None = None) -> str:
    """Replace each ``octavo:`` placeholder by the output's own URL for that chapter and id.

    A link within ``current`` (the page being written) stays a bare ``#id``. A link out of the
    book with no web address goes where ``outside`` says (the web edition's own path to it), or,
    in an output without one (an EPUB cannot link a file it does not hold), becomes its text.
    """
    if OUTSIDE in html:
        html = OUTSIDE_LINK.sub(lambda m: _outside(m, outside), html)

    def place(match: re.Match[str]) -> str:
        chapter, fragment = xref_index.resolve(match.group(1), match.group(2))
        if chapter == current and fragment:
            return f'href="#{escape(fragment)}"'
        return f'href="{escape(url_for(chapter, fragment))}"'

    return PLACEHOLDER.sub(place, html)


def _outside(match: re.Match[str], outside: Callable[[str], str] | None) -> str:
    before, path, after, content = match.groups()
    if outside is not None:
        return f'<a{before} href="{outside(path)}"{after}>{content}</a>'
    return f"<span{before}{after}>{content}</span>"

"""What more than one writer needs: the template context of a page and the files a book carries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from markupsafe import Markup

from octavo.transforms import xrefs
from octavo.transforms.toc import Page, TocEntry
from octavo.transforms.xrefs import UrlFor

if TYPE_CHECKING:
    from octavo.pipeline import Assembled


def page_body(assembled: Assembled, page: Page, url_for: UrlFor) -> Markup:
    """The page's chapter XHTML with internal links placed for this output."""
    if page.chapter is None:
        return Markup("")
    return Markup(xrefs.relink(page.chapter.html, assembled.xrefs, url_for, page.id))


def images(assembled: Assembled) -> list[str]:
    """Book-relative paths of every image the chapters use, in reading order, each once."""
    found: dict[str, None] = {}
    for page in assembled.pages:
        if page.chapter is not None:
            found.update(dict.fromkeys(page.chapter.images))
    return list(found)


def flatten(entries: Iterable[TocEntry]) -> list[TocEntry]:
    result: list[TocEntry] = []
    for entry in entries:
        result.append(entry)
        result.extend(flatten(entry.children))
    return result

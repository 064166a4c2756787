"""The side contents of the web edition, made once per build rather than once per page.

Every page shows the whole book's contents, so rendering ``sidebar_list`` for each page costs
pages x entries (for a long book, much of the time of writing the site; benchmarks/README.md).
With octavo's own ``web/nav.j2`` only the current page's entry differs from page to page (it is
marked ``aria-current`` and shows its sections), so the list is rendered once with no current
page, and each page's variant is that list with the page's entry rendered again as current by
``sidebar_item``: the macros stay the one source of the markup. A book's own ``web/nav.j2`` may
make the list depend on the current page in other ways, so it is called for every page, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from octavo import templates
from octavo.model import TocEntry
from octavo.transforms.xrefs import UrlFor
from octavo.writers.common import flatten

NAV = "web/nav.j2"


@dataclass(frozen=True)
class Deferred:
    """Markup made only if a template prints it (through ``__html__``), so a book whose templates
    leave the side contents out never pays for it, nor needs ``sidebar_list`` in its ``nav.j2``."""

    make: Callable[[], Markup]

    def __html__(self) -> str:
        return str(self.make())

    def __str__(self) -> str:
        return self.__html__()


class SideContents:
    """``side_contents`` for each page of one build."""

    def __init__(self, env: Environment, toc: Sequence[TocEntry], url: UrlFor) -> None:
        self.env, self.toc, self.url = env, toc, url
        with templates.reported(NAV):
            self.own = Path(env.get_template(NAV).filename or "") == templates.DEFAULTS / NAV
        self._nav: Any = None
        self._plain: Markup | None = None
        self._owners = own_entries(toc) if self.own else {}
        self._rebased: dict[int, str] = {}  # the plain list for a page that many folders down

    def __getstate__(self) -> dict[str, Any]:
        """Without the Jinja environment, which cannot be pickled: a cluster's worker gets this
        from :class:`~octavo.writers.web.writer.SitePages`, which gives it the worker's own."""
        return {**vars(self), "env": None, "_nav": None, "_rebased": {}}

    def for_page(self, current: str) -> Deferred:
        return Deferred(lambda: self.render(current))

    def render(self, current: str) -> Markup:
        """``sidebar_list(toc, url, current)``, spliced from the one plain rendering when that is
        sure to give the same markup."""
        if self._nav is None:
            self._nav = templates.module(self.env, NAV)
        with templates.reported(NAV):
            if not self.own:
                return Markup(self._nav.sidebar_list(self.toc, self.url, current))
            if self._plain is None:
                self._plain = Markup(self._nav.sidebar_list(self.toc, self.url, ""))
            return self._splice(current) if current else self._plain

    def rebased(self, current: str, file: str, rebase: Callable[[str, str], str]) -> str:
        """``rebase(render(current), file)``, the list's paths made for a page at ``file``
        (:func:`octavo.writers.web.writer.rebase`), without going through the whole list at every
        page: the plain list is rebased once per folder depth, and the page's entry spliced in."""
        depth = file.count("/")
        entry = self._owners.get(current)
        if not depth or entry is None:
            return rebase(str(self.render(current)), file)
        plain = self._rebased.get(depth)
        if plain is None:
            plain = self._rebased[depth] = rebase(str(self.render("")), file)  # which loads self._nav
        with templates.reported(NAV):
            before = rebase(str(self._nav.sidebar_item(entry, self.url, "")), file)
            if not before or plain.count(before) != 1:
                return rebase(str(self.render(current)), file)
            return plain.replace(before, rebase(str(self._nav.sidebar_item(entry, self.url, current)), file))

    def _splice(self, current: str) -> Markup:
        plain = str(self._plain)
        entry = self._owners.get(current)
        before = str(self._nav.sidebar_item(entry, self.url, "")) if entry else ""
        if entry is None or not before or plain.count(before) != 1:
            return Markup(self._nav.sidebar_list(self.toc, self.url, current))
        return Markup(plain.replace(before, str(self._nav.sidebar_item(entry, self.url, current))))


def own_entries(toc: Sequence[TocEntry]) -> dict[str, TocEntry]:
    """Each page's one entry (not a section) when every entry that names the page lies in it, so
    that the page's variant of the list differs from the plain one inside that entry alone."""
    named: dict[str, int] = {}
    owners: dict[str, list[TocEntry]] = {}
    for entry in flatten(toc):
        named[entry.page] = named.get(entry.page, 0) + 1
        if entry.kind != "section":
            owners.setdefault(entry.page, []).append(entry)
    return {page: found[0] for page, found in owners.items()
            if len(found) == 1 and 1 + sum(1 for e in flatten(found[0].children) if e.page == page) == named[page]}

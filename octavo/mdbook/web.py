"""mdBook's addressing rules, so the web edition of an mdBook project keeps its book's addresses.

A hosted mdBook book is linked to by page path and heading id (``cli/build.html#--open``); the
web edition of the same project answers at the same addresses: a page's path is its source's path
under ``src/`` (``README.md`` becoming ``index.html``), and a heading's id is made by mdBook's
rule (its text lower-cased, spaces to hyphens, only letters, digits, ``_`` and ``-`` kept; a
repeated id gets ``-1``, ``-2``...), not by octavo's own slugs. The rules were read off mdBook
0.5.4's output (``tests/test_mdbook_web.py`` compares the two on the mdBook guide).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urljoin

# In a page's HTML (octavo's own serialisation: each attribute after one space, in double quotes),
# an id, and a link to an id of the same page.
ID_ATTR = re.compile(r'(\sid=")([^"]*)"')
LOCAL_HREF = re.compile(r'(\shref="#)([^"]*)"')
PLACED = "\x01"  # marks a link to the book on one page already placed, which print_body leaves alone


def page_path(source: str, src: str) -> str:
    """``src/cli/build.md`` -> ``cli/build.html``; a ``README.md`` (any case) is its folder's ``index.html``."""
    prefix = "" if src in ("", ".") else src.rstrip("/") + "/"
    path = source[len(prefix):] if prefix and source.startswith(prefix) else source
    folder, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if stem.lower() == "readme":
        stem = "index"
    return f"{folder}/{stem}.html" if folder else f"{stem}.html"


def heading_id(text: str, used: dict[str, int]) -> str:
    """mdBook's id for a heading with this plain text. ``used`` holds the page's ids so far, each
    with the next number to try after it, so a repeated "Example" is ``example-1``, then
    ``example-2``, and a heading "Example-1" after the first repeat becomes ``example-1-1``."""
    return unique("".join(c.lower() if c.isalnum() or c in "_-" else "-" if c.isspace() else "" for c in text.strip()),
                  used)


def unique(base: str, used: dict[str, int]) -> str:
    """``base``, or the first of ``base-1``, ``base-2``... not in ``used`` (see :func:`heading_id`)."""
    if base not in used:
        used[base] = 1
        return base
    number = used[base]
    while f"{base}-{number}" in used:
        number += 1
    used[base] = number + 1
    made = f"{base}-{number}"
    used[made] = 1
    return made


def outside(base: str | None, page: str, href: str) -> str:
    """Where a link out of the book goes: ``href`` read from ``page`` (a site path) of a site served
    at ``base``; without a base, the site path it names (``../std/index.html`` from the top)."""
    if base:
        return urljoin(urljoin(base if base.endswith("/") else base + "/", page), href)
    folder = posixpath.dirname(page)
    return posixpath.normpath(posixpath.join(folder, href)) + ("/" if href.endswith("/") else "")


def print_ids(bodies: Sequence[str], headings: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """For the book on one page (mdBook's ``print.html``): each page's ids made unique in the book
    as mdBook makes them, numbered on from the pages before (``--open`` of a later page is
    ``--open-1``). ``headings`` maps each page's heading ids to their text: a heading's id is made
    again from its text, as mdBook does; any other id (a footnote's, a term's) from itself."""
    used: dict[str, int] = {}
    found: list[dict[str, str]] = []
    for body, texts in zip(bodies, headings, strict=True):
        mapping: dict[str, str] = {}
        for match in ID_ATTR.finditer(body):
            ident = match.group(2)
            text = texts.get(ident)
            slug = heading_id(text, {}) if text is not None else ""
            base = slug if slug and re.fullmatch(re.escape(slug) + r"(-\d+)?", ident) else ident
            mapping.setdefault(ident, unique(base, used))
        found.append(mapping)
    return found


def print_body(body: str, ids: Mapping[str, str]) -> str:
    """A page's HTML for the book on one page: its ids as ``ids`` says and its links within
    itself to match; the links already placed in the page (``#`` + :data:`PLACED`) are left as
    they are, but for the marker."""
    body = ID_ATTR.sub(lambda m: f'{m.group(1)}{ids.get(m.group(2), m.group(2))}"', body)
    body = LOCAL_HREF.sub(lambda m: f'{m.group(1)}{ids.get(m.group(2), m.group(2))}"', body)
    return body.replace('href="#' + PLACED, 'href="#')

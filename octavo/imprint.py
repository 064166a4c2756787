"""What a publisher prints about a book: names as a sentence says them, a date as people write it,
and the copyright page's lines, made once from ``[book]`` for every output.

The copyright page says what a reader or a librarian looks for (rights, publisher, date, series,
contributors, each edition's ISBN) and nothing internal: the package identifier is for reading
systems, and a credit to octavo is printed only when the book asks (``made-with-octavo``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from octavo.config import Metadata

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# How a copyright page credits each MARC role (octavo.config.ROLES); others are "Contributions by".
CREDITS = {"edt": "Edited by", "trl": "Translated by", "ill": "Illustrations by", "pht": "Photographs by",
           "aui": "Introduction by", "aft": "Afterword by", "cov": "Cover design by", "bkd": "Book design by",
           "nrt": "Narrated by", "com": "Compiled by", "ann": "Annotated by", "aut": "By"}
EDITIONS = {"epub": "EPUB", "print": "print"}


def names(people: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: names as a sentence lists them."""
    people = [p for p in people if p]
    if len(people) < 3:
        return " and ".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


def human_date(date: str | None, language: str = "en") -> str:
    """``2026-11-27`` as ``27 November 2026`` (month names in English books; the year alone in
    others, which every language reads); anything that is not an ISO date is kept as written."""
    if not date:
        return ""
    found = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?", date.strip())
    if found is None:
        return date
    year, month, day = found.groups()
    if not language.lower().startswith("en") or month is None or not 1 <= int(month) <= 12:
        return year
    words = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {words}" if day else words


@dataclass(frozen=True)
class Imprint:
    """The copyright page's lines, in the order a publisher sets them."""

    title: str
    authors: str
    series: str
    credits: tuple[str, ...]
    rights: str
    published: str
    isbns: tuple[str, ...]
    made_with_octavo: bool

    @property
    def lines(self) -> tuple[str, ...]:
        """The lines between the title and the ISBNs, those the book has."""
        return tuple(line for line in (self.authors, self.series, *self.credits, self.rights, self.published) if line)


def imprint(meta: Metadata) -> Imprint:
    """The copyright page of the book ``meta`` describes."""
    year = (meta.date or "")[:4] if re.match(r"\d{4}", meta.date or "") else ""
    rights = meta.rights or (" ".join(filter(None, ("Copyright ©", year, names(meta.authors))))
                             if meta.authors else "")
    when = human_date(meta.date, meta.language)
    if meta.publisher:
        published = f"Published by {meta.publisher}" + (f", {when}" if when else "") + "."
    else:
        published = f"First published {when}." if when else ""
    series = ""
    if meta.series:
        series = f"{meta.series}, book {meta.series_number}" if meta.series_number else meta.series
    roles = dict.fromkeys(c.role for c in meta.contributors)
    credits = tuple(f"{CREDITS.get(role, 'Contributions by')} "
                    f"{names([c.name for c in meta.contributors if c.role == role])}" for role in roles)
    isbns = tuple(f"ISBN {number} ({EDITIONS.get(edition, edition)})" for edition, number in meta.isbns)
    title = meta.title + (f": {meta.subtitle}" if meta.subtitle else "")
    return Imprint(title, names(meta.authors), series, credits, rights, published, isbns, meta.made_with_octavo)


# schema.org's words for the roles it has a property for; the others are schema.org "contributor"s
SCHEMA_ROLES = {"aut": "author", "edt": "editor", "trl": "translator", "ill": "illustrator"}


def schema_book(meta: Metadata, image: str | None = None) -> str:
    """The book as schema.org Book JSON-LD, safe to put inside ``<script>`` (no ``<``, ``>``, ``&``)."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Book", "name": meta.title}
    if meta.subtitle:
        data["alternativeHeadline"] = meta.subtitle
    if meta.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in meta.authors]
    for contributor in meta.contributors:
        key = SCHEMA_ROLES.get(contributor.role, "contributor")
        data.setdefault(key, []).append({"@type": "Person", "name": contributor.name})
    for key, value in (("description", meta.description), ("datePublished", meta.date),
                       ("copyrightNotice", meta.rights), ("image", image)):
        if value:
            data[key] = value
    data["inLanguage"] = meta.language
    if meta.publisher:
        data["publisher"] = {"@type": "Organization", "name": meta.publisher}
    if meta.subjects:
        data["keywords"] = ", ".join(meta.subjects)
    if meta.series:
        data["isPartOf"] = {"@type": "BookSeries", "name": meta.series}
        if meta.series_number:
            data["position"] = meta.series_number
    editions = [{"@type": "Book", "isbn": number, **({"bookFormat": "https://schema.org/EBook"}
                                                     if edition == "epub" else {"bookEdition": "print"})}
                for edition, number in meta.isbns]
    if editions:
        data["workExample"] = editions
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PRISM = "http://prismstandard.org/namespaces/basic/3.0/"


def xmp_fields(meta: Metadata) -> dict[str, str | list[str]]:
    """What a publisher fills in, as the print PDF's XMP keys (pikepdf's names): Dublin Core for
    publisher, rights and contributors, PRISM for the subtitle, series and the print edition's ISBN."""
    fields: dict[str, str | list[str]] = {}
    if meta.publisher:
        fields["dc:publisher"] = [meta.publisher]
    if meta.rights:
        fields["dc:rights"] = meta.rights
    if meta.contributors:
        fields["dc:contributor"] = [c.name for c in meta.contributors]
    if meta.subjects:
        fields["dc:subject"] = list(meta.subjects)
    if meta.subtitle:
        fields[f"{{{PRISM}}}subtitle"] = meta.subtitle
    if meta.series:
        fields[f"{{{PRISM}}}seriesTitle"] = meta.series
        if meta.series_number:
            fields[f"{{{PRISM}}}seriesNumber"] = meta.series_number
    if (isbn := meta.isbn("print")) is not None:
        fields["dc:identifier"] = f"urn:isbn:{isbn}"
        fields[f"{{{PRISM}}}isbn"] = isbn
    return fields

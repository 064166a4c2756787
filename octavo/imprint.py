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
from octavo.i18n import Messages, messages

# How a copyright page credits each MARC role (octavo.config.ROLES); others are "Contributions by".
CREDITS = {"edt": "Edited by %(names)s", "trl": "Translated by %(names)s", "ill": "Illustrations by %(names)s",
           "pht": "Photographs by %(names)s", "aui": "Introduction by %(names)s",
           "aft": "Afterword by %(names)s", "cov": "Cover design by %(names)s", "bkd": "Book design by %(names)s",
           "nrt": "Narrated by %(names)s", "com": "Compiled by %(names)s", "ann": "Annotated by %(names)s",
           "aut": "By %(names)s"}
EDITIONS = {"epub": "EPUB", "print": "print"}


def names(people: Sequence[str], words: Messages | None = None) -> str:
    """``A``, ``A and B``, ``A, B and C``: names as a sentence in the book's language lists them."""
    return (words or messages("en")).listing(tuple(people))


def human_date(date: str | None, language: str = "en") -> str:
    """``2026-11-27`` as the language writes it (``27 November 2026``, ``27. November 2026``,
    ``2026年11月27日``, by Babel's CLDR data); anything that is not an ISO date is kept as written."""
    if not date:
        return ""
    found = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?", date.strip())
    if found is None:
        return date
    year, month, day = found.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year
    try:
        return messages(language).date(int(year), int(month), int(day) if day else None)
    except ValueError:  # 2026-02-30
        return date


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


def imprint(meta: Metadata, words: Messages | None = None) -> Imprint:
    """The copyright page of the book ``meta`` describes, in the words of its language."""
    say = words or messages(meta.language)
    year = (meta.date or "")[:4] if re.match(r"\d{4}", meta.date or "") else ""
    authors = say.listing(meta.authors)
    rights = meta.rights or ((say("Copyright © %(year)s %(names)s", year=year, names=authors) if year
                              else say("Copyright © %(names)s", names=authors)) if meta.authors else "")
    when = human_date(meta.date, meta.language)
    if meta.publisher:
        published = (say("Published by %(publisher)s, %(date)s.", publisher=meta.publisher, date=when) if when
                     else say("Published by %(publisher)s.", publisher=meta.publisher))
    else:
        published = say("First published %(date)s.", date=when) if when else ""
    series = ""
    if meta.series:
        series = (say("%(series)s, book %(number)s", series=meta.series, number=meta.series_number)
                  if meta.series_number else meta.series)
    roles = dict.fromkeys(c.role for c in meta.contributors)
    credits = tuple(say(CREDITS.get(role, "Contributions by %(names)s"),
                        names=say.listing([c.name for c in meta.contributors if c.role == role])) for role in roles)
    isbns = tuple(say("ISBN %(number)s (%(edition)s)", number=number,
                      edition=say(EDITIONS[edition]) if edition in EDITIONS else edition)
                  for edition, number in meta.isbns)
    title = meta.title + (f": {meta.subtitle}" if meta.subtitle else "")
    return Imprint(title, authors, series, credits, rights, published, isbns, meta.made_with_octavo)


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

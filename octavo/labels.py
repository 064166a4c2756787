"""The words octavo writes into a book's text, by the book's language, from its message catalogue.

Callout titles ("Note", "Warning"), the names of numbered things ("Figure 3.2", "Table 1.1"), and
the few words that join cross-references ("and", "on page"): each key here names a message of
:mod:`octavo.i18n`, so they come from the same catalogues (and the same ``[labels]``) as the
words of the templates. A language without a catalogue gets English.
"""

from __future__ import annotations

from collections.abc import Mapping

from octavo.i18n import Messages, messages

# key -> the English message (the catalogues' msgid); "chapter" is the whole label, "Chapter 3"
KEYS: Mapping[str, str] = {
    "fig": "Figure", "tbl": "Table", "eq": "Equation", "lst": "Listing", "sec": "Section",
    "note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning", "caution": "Caution",
    "danger": "Danger", "error": "Error", "hint": "Hint", "attention": "Attention", "seealso": "See also",
    "and": "and", "on page": "on page", "caption": ": ",
}
Labels = tuple[tuple[str, str], ...]  # a book's [labels], as config.Config keeps them


def _messages(language: str, labels: Labels = ()) -> Messages:
    return messages(language, dict(labels))


def words(language: str, labels: Labels = ()) -> Mapping[str, str]:
    """The table for a BCP 47 tag (``de-AT`` reads ``de``) under a book's ``[labels]``."""
    say = _messages(language, labels)
    table = {key: say(message) for key, message in KEYS.items()}
    # patterns, filled in by join(): "%(label)s %(number)s" and the chapter's "Chapter %(number)s"
    table["numbered"] = say.gettext("%(label)s %(number)s")
    table["chapter"] = say.gettext("Chapter %(number)s")
    table["appendix"] = say.gettext("Appendix %(number)s")
    return table


def join(table: Mapping[str, str], label: str, number: str) -> str:
    """``label`` and ``number`` as a table of :func:`words` joins them: "Figure 3.2", "図3.2"."""
    return table["numbered"] % {"label": label, "number": number}


def word(language: str, key: str, labels: Labels = ()) -> str:
    return words(language, labels)[key]


def separators(language: str, count: int, labels: Labels = ()) -> list[str]:
    """What goes between ``count`` items of one list of cross-references: ", " and " and " in
    English, "، " and " و" in Arabic (whose "and" joins the word after it), "、" in Japanese.
    Babel's CLDR lists give them, unless the book names its own "and" in ``[labels]``."""
    if count < 2:
        return []
    marks = [f"\x00{n}\x00" for n in range(count)]
    listed = _messages(language, labels).listing(marks)
    return [listed.split(marks[n])[1].split(marks[n + 1])[0] for n in range(count - 1)]


def numbered(language: str, key: str, number: str, labels: Labels = ()) -> str:
    """A numbered thing as the language writes it: "Figure 3.2", "図3.2"; "chapter" and "part"
    have their own ordinal style ("Chapter 4", "第4章")."""
    say = _messages(language, labels)
    if key == "chapter":
        return say.label("chapter", number=number)
    if key == "part":
        return say.label("part", number=number)
    return say("%(label)s %(number)s", label=say(KEYS[key]), number=number)

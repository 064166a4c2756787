"""Every word octavo writes itself, in the book's language: gettext catalogues read through Babel.

The catalogues are ``octavo/locale/<lang>/LC_MESSAGES/octavo.po``, one per language, with the
Plural-Forms Babel knows for it. They are compiled in memory when a build first needs them (no
``.mo`` is committed, so the source is the only copy and two builds compile the same bytes). A book's
``[labels]`` table replaces single messages by their key (:data:`LABELS`); a message a catalogue
lacks, or a language with no catalogue, falls back to English, and :func:`missing` names each
such label so the build can say so once.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date as Date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "octavo"
# The catalogues octavo ships; "zh" is simplified Chinese (zh-Hans, zh-CN, zh-SG read it).
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "ar", "he", "ja", "zh", "ko")
TRADITIONAL = {"hant", "tw", "hk", "mo"}  # subtags of a Chinese that the simplified catalogue does not serve
CODE = ("i18n.py", *(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po" for lang in LANGUAGES if lang != "en"))
# The writing systems set right to left: a book in one of these reads from the right.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"})

# The keys of [labels] in book.toml and the message each replaces; "{number}" in a book's own
# label stands for the number ("Kap. {number}").
LABELS: Mapping[str, str] = {
    "contents": "Contents", "chapter": "Chapter %(number)s", "appendix": "Appendix %(number)s",
    "part": "Part %(number)s",
    "previous": "Previous", "next": "Next", "notes": "Notes", "search": "Search",
    "search-the-book": "Search the book", "start-reading": "Start reading", "copyright": "Copyright",
    "cover": "Cover", "inside-cover": "Inside cover", "half-title": "Half-title", "title-page": "Title page",
    "downloads": "Downloads", "dark-theme": "Dark theme",
    "skip-to-text": "Skip to the text", "back-to-text": "Back to the text",
    "chapters-in-part": "Chapters in this part", "landmarks": "Landmarks",
    "figure": "Figure", "table": "Table", "equation": "Equation", "listing": "Listing", "section": "Section",
    "note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning", "caution": "Caution",
    "danger": "Danger", "error": "Error", "hint": "Hint", "attention": "Attention", "see-also": "See also",
    "on-page": "on page", "and": "and",
}


def catalogue_language(language: str) -> str | None:
    """The catalogue a BCP 47 tag reads (``de-AT`` -> ``de``, ``zh-CN`` -> ``zh``), or None."""
    subtags = language.lower().split("-")
    if subtags[0] == "zh" and TRADITIONAL & set(subtags[1:]):
        return None
    return subtags[0] if subtags[0] in LANGUAGES else None


def _catalogue(lang: str) -> gettext.NullTranslations:
    return _compiled(lang)[0]


@cache
def _compiled(lang: str) -> tuple[gettext.NullTranslations, frozenset[str]]:
    """``lang``'s messages compiled from its .po in memory (English is the msgids themselves), and
    the ids it translates (a fuzzy or empty entry translates nothing)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations(), frozenset()
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    done = frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                     if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,)))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer), done


def _own_label(text: str) -> str:
    """A book's label as a gettext message: "{number}" -> "%(number)s", a lone "%" kept."""
    return re.sub(r"\{(\w+)\}", r"%(\1)s", text.replace("%", "%%"))


@dataclass(frozen=True)
class Messages:
    """The words of one book: its language's catalogue under its own ``[labels]``."""

    language: str = "en"
    overrides: tuple[tuple[str, str], ...] = ()  # ([labels] key, text as the book wrote it)
    _own: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._own.update({LABELS[key]: _own_label(text) for key, text in self.overrides if key in LABELS})

    @property
    def translations(self) -> gettext.NullTranslations:
        lang = catalogue_language(self.language)
        return _catalogue(lang) if lang else gettext.NullTranslations()

    def gettext(self, message: str) -> str:
        return self._own.get(message) or self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def __call__(self, message: str, **values: Any) -> str:
        """The message in the book's language, its ``%(name)s`` filled in from ``values``."""
        return self.gettext(message) % values

    def label(self, key: str, **values: Any) -> str:
        return self(LABELS[key], **values)

    @property
    def locale(self) -> Locale:
        try:
            return Locale.parse(self.language, sep="-")
        except (UnknownLocaleError, ValueError):
            return Locale("en")

    def listing(self, items: list[str] | tuple[str, ...]) -> str:
        """``A``, ``A and B``, ``A, B and C`` as the language lists things (authors, the targets of
        one cross-reference): Babel's CLDR lists, or, in English or under a book's own ``[labels]
        and``, commas and that word (CLDR's English list has the serial comma; octavo's has not)."""
        items = [item for item in items if item]
        if len(items) > 1 and (LABELS["and"] in self._own or catalogue_language(self.language) in (None, "en")):
            return ", ".join(items[:-1]) + f" {self.label('and')} " + items[-1]
        return format_list(items, locale=self.locale) if items else ""

    def date(self, year: int, month: int | None = None, day: int | None = None) -> str:
        """A date as the language writes it: "27 November 2026", "27. November 2026", "2026年11月27日"."""
        locale = self.locale if catalogue_language(self.language) not in (None, "en") else Locale.parse("en_GB")
        if month is None:
            return str(year)
        if day is None:
            return format_skeleton("yMMMM", Date(year, month, 1), locale=locale)
        return format_date(Date(year, month, day), format="long", locale=locale)

    def plural_table(self, singular: str, plural: str) -> dict[str, str]:
        """The plural message by CLDR category ("one", "few", "other"…), for the web edition's
        script, which picks one with ``Intl.PluralRules``."""
        rule = self.locale.plural_form
        table: dict[str, str] = {}
        for n in range(0, 200):
            table.setdefault(rule(n), self.ngettext(singular, plural, n))
        return table


def messages(language: str, overrides: Mapping[str, str] | None = None) -> Messages:
    """The words of a book in ``language`` with its ``[labels]``."""
    return _messages(language, tuple(sorted((overrides or {}).items())))


@lru_cache(maxsize=64)
def _messages(language: str, overrides: tuple[tuple[str, str], ...]) -> Messages:
    return Messages(language, overrides)


def missing(language: str, overrides: Mapping[str, str] | None = None) -> list[str]:
    """The [labels] keys that a book in ``language`` gets in English: neither its catalogue nor
    its own table translates them (empty for an English book)."""
    lang = catalogue_language(language)
    if language.lower().split("-")[0] == "en":
        return []
    done = _compiled(lang)[1] if lang else frozenset()
    own = overrides or {}
    return [key for key, message in LABELS.items() if key not in own and message not in done]


def direction(language: str, chosen: str = "") -> str:
    """"rtl" or "ltr": as the book says (``direction``), else as its language is written."""
    return chosen or ("rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr")


def install(env: Any, words: Messages) -> None:
    """Give a Jinja environment ``_``/``gettext``/``ngettext`` (the i18n extension, new style:
    ``{{ _("Chapter %(number)s", number=n) }}``, values escaped, the result safe)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)

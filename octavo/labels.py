"""The words octavo writes into a book's text, by the book's language: in one table, in one place.

Callout titles ("Note", "Warning"), the names of numbered things ("Figure 3.2", "Table 1.1"), and
the few words that join cross-references ("and", "on page"). English, German, French and Spanish
for now; a language not in the table gets English. A later issue replaces this with message
catalogues; until then, a word is added here for every language at once.
"""

from __future__ import annotations

from collections.abc import Mapping

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "fig": "Figure", "tbl": "Table", "eq": "Equation", "lst": "Listing", "sec": "Section", "chapter": "Chapter",
        "note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning", "caution": "Caution",
        "danger": "Danger", "error": "Error", "hint": "Hint", "attention": "Attention", "seealso": "See also",
        "and": "and", "on page": "on page", "caption": ": ",
    },
    "de": {
        "fig": "Abbildung", "tbl": "Tabelle", "eq": "Gleichung", "lst": "Listing", "sec": "Abschnitt",
        "chapter": "Kapitel",
        "note": "Hinweis", "tip": "Tipp", "important": "Wichtig", "warning": "Warnung", "caution": "Vorsicht",
        "danger": "Gefahr", "error": "Fehler", "hint": "Tipp", "attention": "Achtung", "seealso": "Siehe auch",
        "and": "und", "on page": "auf Seite", "caption": ": ",
    },
    "fr": {
        "fig": "Figure", "tbl": "Tableau", "eq": "Équation", "lst": "Listing", "sec": "Section", "chapter": "Chapitre",
        "note": "Note", "tip": "Astuce", "important": "Important", "warning": "Avertissement", "caution": "Prudence",
        "danger": "Danger", "error": "Erreur", "hint": "Indice", "attention": "Attention", "seealso": "Voir aussi",
        "and": "et", "on page": "à la page", "caption": "\u00a0: ",
    },
    "es": {
        "fig": "Figura", "tbl": "Tabla", "eq": "Ecuación", "lst": "Listado", "sec": "Sección", "chapter": "Capítulo",
        "note": "Nota", "tip": "Consejo", "important": "Importante", "warning": "Advertencia", "caution": "Precaución",
        "danger": "Peligro", "error": "Error", "hint": "Pista", "attention": "Atención", "seealso": "Véase también",
        "and": "y", "on page": "en la página", "caption": ": ",
    },
}


def words(language: str) -> Mapping[str, str]:
    """The table for a BCP 47 tag (``de-AT`` reads ``de``); English for a language it lacks."""
    return WORDS.get(language.split("-")[0].lower(), WORDS["en"])


def word(language: str, key: str) -> str:
    return words(language)[key]

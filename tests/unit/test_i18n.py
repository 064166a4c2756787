"""The message catalogues: every word octavo writes is translated in every language it ships,
with the same placeholders and the plural forms Babel knows; a book's [labels] and a language
without a catalogue behave as docs/book-format.md says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from octavo import i18n
from octavo.config import load_config
from octavo.imprint import CREDITS, imprint
from octavo.labels import KEYS, numbered, separators, words
from octavo.templates import DEFAULTS
from octavo.writers.web.writer import SCRIPT_WORDS

SHIPPED = [lang for lang in i18n.LANGUAGES if lang != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CALL = re.compile(r"""\b_\(\s*(["'])(.+?)\1""")


def used_messages() -> set[str]:
    """What templates and code ask the catalogues for."""
    found = {match.group(2) for path in DEFAULTS.rglob("*.j2") for match in CALL.finditer(path.read_text())}
    found |= set(i18n.LABELS.values()) | set(KEYS.values()) | set(CREDITS.values())
    found |= {m for m in SCRIPT_WORDS.values() if isinstance(m, str)}
    found |= {"Contributions by %(names)s", "%(label)s %(number)s", "Start of content", "print",
              "Copyright © %(year)s %(names)s", "Copyright © %(names)s", "Published by %(publisher)s, %(date)s.",
              "Published by %(publisher)s.", "First published %(date)s.", "%(series)s, book %(number)s",
              "ISBN %(number)s (%(edition)s)", "Page not found"}
    return found


def catalog(lang: str) -> Catalog:
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "octavo.po").open("rb") as source:
        return read_po(source, locale="zh_Hans" if lang == "zh" else lang)


def test_templates_ask_for_the_words_they_show() -> None:
    assert {"Contents", "Chapter %(number)s", "Previous", "Next", "Search", "Landmarks"} <= used_messages()


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_catalogue_translates_every_message(lang: str) -> None:
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(lang) if m.id}
    missing = sorted(used_messages() - set(entries))
    assert not missing, missing
    for message in entries.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        assert all(strings) and not message.fuzzy, message.id
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:  # a translation fills in what the message has, and nothing else
            assert set(PLACEHOLDER.findall(text)) <= wanted, (message.id, text)
            if wanted and len(strings) == 1:
                assert set(PLACEHOLDER.findall(text)) == wanted, (message.id, text)
    assert i18n.missing(lang) == []


@pytest.mark.parametrize("lang", SHIPPED)
def test_plural_forms_are_babels_for_the_language(lang: str) -> None:
    found = catalog(lang)
    expected = Catalog(locale="zh_Hans" if lang == "zh" else lang)
    assert (found.num_plurals, found.plural_expr) == (expected.num_plurals, expected.plural_expr)
    for message in found:
        if isinstance(message.id, tuple):
            assert len(message.string) == found.num_plurals, message.id


@pytest.mark.parametrize(("lang", "chapter", "figure", "part"), [
    ("en", "Chapter 4", "Figure 3.2", "Part II"), ("de", "Kapitel 4", "Abbildung 3.2", "Teil II"),
    ("fr", "Chapitre 4", "Figure 3.2", "Partie II"), ("ru", "Глава 4", "Рисунок 3.2", "Часть II"),
    ("ar", "الفصل 4", "الشكل 3.2", "الجزء II"), ("he", "פרק 4", "איור 3.2", "חלק II"),
    ("ja", "第4章", "図3.2", "第II部"), ("zh-CN", "第4章", "图3.2", "第II部分"), ("ko", "제4장", "그림 3.2", "제II부")])
def test_ordinal_styles(lang: str, chapter: str, figure: str, part: str) -> None:
    assert numbered(lang, "chapter", "4") == chapter
    assert numbered(lang, "fig", "3.2") == figure
    assert numbered(lang, "part", "II") == part


@pytest.mark.parametrize(("lang", "forms"), [
    ("en", {1: "1 page", 2: "2 pages"}), ("ru", {1: "1 страница", 3: "3 страницы", 5: "5 страниц", 21: "21 страница"}),
    ("pl", {1: "1 strona", 2: "2 strony", 5: "5 stron", 22: "22 strony"}),
    ("ar", {1: "صفحة واحدة", 2: "صفحتان", 3: "3 صفحات", 11: "11 صفحة", 100: "100 صفحة"}),
    ("he", {1: "עמוד אחד", 2: "שני עמודים", 7: "7 עמודים"}), ("ja", {1: "1ページ", 9: "9ページ"})])
def test_plurals(lang: str, forms: dict[int, str]) -> None:
    words_ = i18n.messages(lang)
    for n, text in forms.items():
        assert words_.ngettext("%(count)s page", "%(count)s pages", n) % {"count": n} == text


def test_the_web_scripts_plurals_are_by_cldr_category() -> None:
    table = i18n.messages("ru").plural_table("%(count)s page", "%(count)s pages")
    assert table == {"one": "%(count)s страница", "few": "%(count)s страницы", "many": "%(count)s страниц"}


def test_chinese_is_simplified_only() -> None:
    assert i18n.catalogue_language("zh-CN") == i18n.catalogue_language("zh-Hans") == "zh"
    assert i18n.catalogue_language("zh-TW") is None and i18n.catalogue_language("zh-Hant-HK") is None
    assert words("zh-TW")["fig"] == "Figure"  # English, with a notice, rather than the wrong script


def test_direction_follows_the_language_unless_the_book_says() -> None:
    assert [i18n.direction(lang) for lang in ("ar", "he-IL", "fa", "ur", "en", "ja")] == ["rtl"] * 4 + ["ltr"] * 2
    assert i18n.direction("en", "rtl") == "rtl" and i18n.direction("ar", "ltr") == "ltr"


def test_copyright_page_in_the_books_language(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "Die Uhr"\nauthors = ["A", "B", "C"]\nlanguage = "de"\n'
                                        'publisher = "Verlag"\ndate = "2026-11-27"\nseries = "Reihe"\n'
                                        'series-number = 2\nisbn = { print = "978-3-16-148410-0" }\n'
                                        'contributors = [{ name = "L", role = "translator" }]\n')
    config, problems = load_config(tmp_path)
    assert config is not None and problems == []
    page = imprint(config.meta, config.words)
    assert page.lines == ("A, B und C", "Reihe, Band 2", "Übersetzt von L", "© 2026 A, B und C",
                          "Erschienen bei Verlag, 27. November 2026.")
    assert page.isbns == ("ISBN 9783161484100 (Druckausgabe)",)


def test_a_books_own_labels(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nlanguage = "de"\n[labels]\n'
                                        'chapter = "Kap. {number}"\ncontents = "Übersicht"\nfigure = "Abb."\n')
    config, problems = load_config(tmp_path)
    assert config is not None and problems == []
    assert config.words.label("chapter", number=3) == "Kap. 3" and config.words.label("contents") == "Übersicht"
    assert numbered("de", "fig", "1.1", config.labels) == "Abb. 1.1"
    assert config.words.label("next") == "Weiter"  # the rest from the catalogue


def test_bad_labels_are_errors_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n[labels]\nchapterr = "K"\nchapter = "Kap. {num}"\n')
    _, problems = load_config(tmp_path)
    assert [(p.code, p.line) for p in problems] == [("config", 4), ("config", 5)]
    assert "did you mean 'chapter'" in (problems[0].hint or "")
    assert "{num}" in problems[1].message and "{number}" in (problems[1].hint or "")


def test_a_language_without_a_catalogue_is_english_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nlanguage = "sv"\n[labels]\ncontents = "Innehåll"\n')
    config, problems = load_config(tmp_path)
    assert config is not None and [p.code for p in problems] == ["labels.missing"]
    assert problems[0].severity == "notice" and "chapter" in problems[0].message
    assert "contents," not in problems[0].message  # the book gave that one
    assert config.words.label("next") == "Next" and config.words.label("contents") == "Innehåll"


def test_direction_key(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nlanguage = "en"\ndirection = "rtl"\n')
    config, _ = load_config(tmp_path)
    assert config is not None and config.direction == "rtl"
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\ndirection = "up"\n')
    _, problems = load_config(tmp_path)
    assert [p.line for p in problems] == [3] and "ltr" in problems[0].message


def test_search_indexes_cjk_as_pairs_of_characters() -> None:
    from octavo.writers.web.search import words as index_words

    found = index_words("小镇的河边有一家老茶馆。 2024年 Hello")
    assert {"茶馆", "老茶", "河边", "馆", "2024", "年", "hello"} <= found
    assert "小镇的河边有一家老茶馆" not in found  # no run is one long word a query never matches
    assert {"図書", "書館", "館が"} <= index_words("図書館が")  # the voiced kana kept whole (NFC)
    assert index_words("Hello world, café") == {"hello", "world", "cafe"}


def test_lists_of_names_and_of_references_join_alike() -> None:
    """Authors and the targets of one cross-reference are one list rule: commas and "and" in
    English (no serial comma), CLDR's list elsewhere, and a book's own ``and`` for both."""
    english, german = i18n.messages("en"), i18n.messages("de")
    assert english.listing(["A", "B", "C"]) == "A, B and C"
    assert german.listing(["A", "B", "C"]) == "A, B und C"
    assert i18n.messages("ja").listing(["A", "B"]) == "A、B"
    own = i18n.messages("de", {"and": "&"})
    assert own.listing(["A", "B", "C"]) == "A, B & C"
    assert separators("de", 3, (("and", "&"),)) == [", ", " & "]
    assert separators("ar", 2) == [" و"]

"""book.toml: typed settings, and every problem of the file reported at once with its line."""

from __future__ import annotations

from pathlib import Path

from octavo.config import default_identifier, load_config
from octavo.diagnostics import Severity


def config_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "book.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def test_full_config(tmp_path: Path) -> None:
    config, problems = config_of(tmp_path, """
[book]
title = "T"
authors = "One Author"
language = "en-GB"
date = 2026-11-27
front = ["p.md"]
[[book.parts]]
title = "Part I"
chapters = ["a.md"]
[build]
toc-depth = 3
formats = ["epub"]
[site]
header = "A header"
footer = [{ title = "Community", url = "https://example.org" }]
""")
    assert problems == []
    assert config.meta.authors == ("One Author",)
    assert config.meta.date == "2026-11-27"
    assert config.outline.front == ("p.md",)
    assert config.outline.parts[0].chapters == ("a.md",)
    assert config.build.toc_depth == 3 and config.build.formats == ("epub",)
    assert config.site.footer[0].title == "Community"


def test_identifier_is_derived_and_stable(tmp_path: Path) -> None:
    first, _ = config_of(tmp_path, '[book]\ntitle = "Same"\nauthors = ["A"]\n')
    second, _ = config_of(tmp_path, '[book]\ntitle = "Same"\nauthors = ["A"]\n')
    assert first.meta.identifier == second.meta.identifier == default_identifier("Same", ("A",))
    assert first.meta.identifier.startswith("urn:uuid:")


def test_invalid_toml_reports_line_and_column(tmp_path: Path) -> None:
    config, problems = config_of(tmp_path, '[book]\ntitle = "Unclosed\n')
    assert config is None
    assert problems[0].path == "book.toml" and problems[0].line == 2 and problems[0].col is not None
    assert problems[0].code == "config.toml"


def test_all_problems_reported_together(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, '[book]\ntitle = "T"\nautors = ["x"]\nlanguage = "english!"\n'
                                      '[build]\ntoc-depth = 0\n')
    messages = [p.format() for p in problems]
    assert len([p for p in problems if p.severity is Severity.ERROR]) == 3
    assert any("unknown key 'book.autors'" in m and "did you mean 'authors'" in m for m in messages)
    assert any(p.line == 3 for p in problems if "autors" in p.message)
    assert any("BCP 47" in m for m in messages)
    assert any("toc-depth" in m for m in messages)


def test_missing_title(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, '[book]\nauthors = ["x"]\n')
    assert any("'book.title' is missing" in p.message for p in problems)


def test_mdbook_tables_are_ignored_with_one_notice_but_preprocessors_run(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, '[book]\ntitle = "T"\nsrc = "src"\n[output.html]\nx = 1\n'
                                      '[preprocessor.links]\n[rust]\nedition = "2021"\n')
    assert [p.severity for p in problems] == [Severity.NOTICE]
    assert "tables octavo does not use: [output], [rust] (" in problems[0].message  # [preprocessor.*] runs


def test_site_links_must_be_web_addresses(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, '[book]\ntitle = "T"\n[site]\nbase-url = "ftp://x"\n'
                                      'footer = [{ title = "x", url = "javascript:alert(1)" }]\n')
    messages = [p.message for p in problems]
    assert any("base-url" in m for m in messages) and any("javascript:alert(1)" in m for m in messages)


def test_publisher_metadata(tmp_path: Path) -> None:
    config, problems = config_of(tmp_path, """
[book]
title = "T"
series = "Leading Well"
series-number = 2
isbn = { epub = "978-0-306-40615-7", print = "0-306-40615-2" }
contributors = [{ name = "Ada Lane", role = "editor" }, { name = "Ben Cho", role = "ill" }]
""")
    assert problems == []
    meta = config.meta
    assert (meta.series, meta.series_number) == ("Leading Well", "2")
    assert meta.isbn("epub") == meta.isbn("print") == "9780306406157"  # the ISBN-10 as its ISBN-13
    assert [(c.name, c.role) for c in meta.contributors] == [("Ada Lane", "edt"), ("Ben Cho", "ill")]
    assert meta.made_with_octavo is False


def test_publisher_metadata_problems_at_their_lines(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, """
[book]
title = "T"
series-number = "two"
isbn = { epub = "978-0-306-40615-8", audio = "978-0-306-40615-7" }
contributors = [{ name = "Ada Lane", role = "edtor" }, { role = "editor" }]
""")
    messages = {(p.line, p.message, p.hint) for p in problems}
    assert all(p.severity is Severity.ERROR for p in problems)
    assert (4, "'book.series-number' must be a number, such as 2", "the book's place in its series (book.series)") \
        in messages
    lines = {p.line for p in problems}
    assert lines == {4, 5, 6}
    assert any("978-0-306-40615-8" in m and "not a valid ISBN" in m for _, m, _ in messages)
    assert any("unknown edition 'audio'" in m for _, m, _ in messages)
    assert any(m == "unknown contributor role 'edtor'" and h == "did you mean 'editor'?" for _, m, h in messages)
    assert any("{ name = " in m for _, m, _ in messages)


def test_pdf_print_settings(tmp_path: Path) -> None:
    """Named trims, "W x H" with units, a bleed length, a paper by name or by pages per inch."""
    config, problems = config_of(tmp_path, '[book]\ntitle = "T"\n[pdf]\nprofile = "print"\ntrim = "A5"\n'
                                           'bleed = "3mm"\nmarks = true\npaper = "cream"\n')
    assert problems == []
    pdf = config.pdf
    assert pdf.profile == "print" and pdf.marks and pdf.paper_ppi == 370
    assert [round(v, 2) for v in pdf.trim] == [419.53, 595.28] and round(pdf.bleed, 2) == 8.5
    for text, size in (("6x9", (432, 648)), ("5.5 x 8.5 in", (396, 612)), ("152mm x 229mm", (430.87, 649.13)),
                       ("royal", (442.2, 663.31)), ("6.14x9.21in", (442.08, 663.12))):
        config, problems = config_of(tmp_path, f'[book]\ntitle = "T"\n[pdf]\ntrim = "{text}"\npaper-ppi = 444\n')
        assert tuple(round(v, 2) for v in config.pdf.trim) == size, text
        assert config.pdf.profile == "screen" and config.pdf.paper_ppi == 444 and config.pdf.bleed == 0
        assert [(p.code, p.severity, p.line) for p in problems] == [("config.print-only", Severity.NOTICE, 5)]


def test_pdf_print_settings_errors_with_line_and_hint(tmp_path: Path) -> None:
    _, problems = config_of(tmp_path, '[book]\ntitle = "T"\n[pdf]\nprofile = "printer"\ntrim = "6x10"\n'
                                      'bleed = "-3mm"\npaper = "glossy"\npaper-ppi = 5\n')
    shown = [p.format() for p in problems]
    assert [p.line for p in problems] == [4, 5, 6, 8], shown
    assert all(p.path == "book.toml" and p.severity is Severity.ERROR and p.code == "config" and p.hint
               for p in problems)
    assert "unknown PDF profile 'printer'" in shown[0] and "unknown trim size '6x10'" in shown[1]
    assert "'pdf.bleed' must be a length" in shown[2] and "3mm" in (problems[2].hint or "")
    assert "paper-ppi" in shown[3]
    _, problems = config_of(tmp_path, '[book]\ntitle = "T"\n[pdf]\npaper = "glossy"\ntrim = "6.69 x 9.61"\n')
    assert [(p.code, p.line) for p in problems] == [("config.print-only", 4), ("config", 5), ("config", 4)]
    assert "a width and height with units" in (problems[1].hint or "")

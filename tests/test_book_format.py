"""docs/book-format.md documents every key octavo/config.py accepts, with the defaults it uses.

The accepted keys are not listed here: they are recorded from config.py itself, by reading a
book.toml that holds every table it knows and noting the known keys it checks each table against.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from octavo import config

DOC = ROOT / "docs" / "book-format.md"
SECTION = re.compile(r"^#{2,6} `\[{1,2}([\w.-]+)\]{1,2}`\s*$")  # ### `[build]`, ### `[[book.parts]]`
ROW = re.compile(r"^\| `([\w-]+)` \|(.*)\|\s*$")  # | `key` | type | default | what it does |


def documented() -> dict[str, dict[str, list[str]]]:
    """The reference's key rows by table (``book``, ``book.parts``, ``build``…): key -> its cells."""
    tables: dict[str, dict[str, list[str]]] = {}
    table = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = SECTION.match(line)
            table = section.group(1) if section else None
        elif table and (row := ROW.match(line)):
            tables.setdefault(table, {})[row.group(1)] = [cell.strip() for cell in row.group(2).split("|")]
    return tables


def accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The keys config.py accepts in each table ("" for the top level), as it checks them."""
    seen: dict[str, set[str]] = {}
    check = config._Reader.check_keys

    def record(reader: Any, table: Any, known: set[str], where: str) -> None:
        seen[re.sub(r"\[\d+\]", "", where).rstrip(".")] = set(known)
        check(reader, table, known, where)

    monkeypatch.setattr(config._Reader, "check_keys", record)
    tables = sorted(set(config.TOP_KEYS) - set(config.IGNORED_TABLES) - {"book"})
    (tmp_path / "book.toml").write_text('[book]\ntitle = "Probe"\n[[book.parts]]\ntitle = "Part"\n'
                                        + "".join(f"[{name}]\n" for name in tables), encoding="utf-8")
    loaded, problems = config.load_config(tmp_path)
    assert loaded is not None and problems == []
    key_tables = [value for name, value in vars(config).items() if name.endswith("_KEYS") and isinstance(value, set)]
    unreached = [sorted(keys) for keys in key_tables if keys not in seen.values()]
    assert unreached == [], "a table of known keys this test's book.toml does not reach: add its table to it"
    return seen


def test_every_key_config_accepts_is_documented_and_no_other(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    keys = accepted(tmp_path, monkeypatch)
    docs = documented()
    text = DOC.read_text(encoding="utf-8")
    for name in sorted(keys.pop("")):
        if name in config.IGNORED_TABLES:
            assert f"`[{name}" in text, f"the ignored table [{name}] is not named in {DOC.name}"
        else:
            assert name in docs, f"[{name}] has no section in {DOC.name}"
    missing = {table: sorted(known - docs.get(table, {}).keys()) for table, known in keys.items()}
    invented = {table: sorted(docs[table].keys() - known) for table, known in keys.items() if table in docs}
    assert {t: k for t, k in missing.items() if k} == {}, f"keys config.py accepts but {DOC.name} does not document"
    assert {t: k for t, k in invented.items() if k} == {}, f"keys {DOC.name} documents but config.py rejects"
    assert set(docs) <= set(keys), f"sections of {DOC.name} for tables config.py does not have"


def test_documented_defaults_are_the_ones_the_dataclasses_use() -> None:
    """A field's default (a string, number or list of strings) is written, in TOML, in the
    default column of its key's row: ``"en"`` for ``language``, ``2`` for ``toc-depth``."""
    rows = [(key, cells) for table in documented().values() for key, cells in table.items()]
    checked = []
    for cls in (v for v in vars(config).values() if isinstance(v, type) and dataclasses.is_dataclass(v)):
        for f in dataclasses.fields(cls):
            default = f.default
            if not isinstance(default, str | int | tuple) or default in ("", ()) or isinstance(default, bool):
                continue
            spelled = json.dumps(list(default) if isinstance(default, tuple) else default, ensure_ascii=False)
            for key, cells in rows:
                if key == f.name.replace("_", "-"):
                    assert spelled in cells[1], f"{cls.__name__}.{f.name}: default {spelled}, documented {cells[1]}"
                    checked.append(key)
    assert {"language", "formats", "toc-depth"} <= set(checked)


def test_the_readme_and_a_new_book_point_to_the_reference() -> None:
    assert "](docs/book-format.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/book-format.md" in (ROOT / "octavo" / "skeleton" / "book.toml").read_text(encoding="utf-8")

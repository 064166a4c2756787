"""Every third-party package octavo imports is one pyproject.toml declares, so a fresh install
(``pip install octavo``) has all it needs, not only what other packages happen to pull in."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from imports import PACKAGE, modules

PYPROJECT = PACKAGE.parent / "pyproject.toml"


def normal(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``MarkupSafe`` and ``markupsafe`` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {normal(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]) for requirement in project["dependencies"]}


def third_party_imports() -> dict[str, list[str]]:
    """Top-level name -> the octavo modules that import it, for names outside octavo and the standard library."""
    found: dict[str, list[str]] = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top != "octavo" and top not in sys.stdlib_module_names:
                    found.setdefault(top, []).append(name)
    return found


def test_the_scan_finds_the_packages_octavo_uses() -> None:
    imported = third_party_imports()
    assert {"weasyprint", "ebooklib", "click", "pydyf", "tinycss2", "markupsafe"} <= set(imported)
    assert "pathlib" not in imported and "octavo" not in imported


def test_every_third_party_import_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    wanted = declared()
    undeclared = {top: users for top, users in third_party_imports().items()
                  if not {normal(d) for d in distributions.get(top, [top])} & wanted}
    assert not undeclared, f"imported but not in pyproject.toml's dependencies: {undeclared}"

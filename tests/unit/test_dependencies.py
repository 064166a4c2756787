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


def declared(extras: bool = False) -> set[str]:
    """The distributions a plain install brings, or with ``extras`` also those of every extra but ``test``."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    if extras:
        requirements += [r for name, more in project["optional-dependencies"].items() if name != "test" for r in more]
    return {normal(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]) for requirement in requirements}


def lazy(tree: ast.Module) -> set[int]:
    """The ids of import nodes that run only when called or when type-checking, not on ``import``.

    A package of an extra (``octavo[dask]``) may be imported there: octavo loads without it.
    """
    deferred: set[int] = set()
    for node in ast.walk(tree):
        guarded = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if guarded or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            deferred |= {id(inner) for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)}
    return deferred


def third_party_imports(eager: bool = False) -> dict[str, list[str]]:
    """Top-level name -> the octavo modules that import it, for names outside octavo and the standard library.

    ``eager``: only the imports that run when the module is imported (see :func:`lazy`).
    """
    found: dict[str, list[str]] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deferred = lazy(tree) if eager else set()
        for node in ast.walk(tree):
            if id(node) in deferred:
                continue
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


def undeclared(imports: dict[str, list[str]], wanted: set[str]) -> dict[str, list[str]]:
    distributions = packages_distributions()
    return {top: users for top, users in imports.items()
            if not {normal(d) for d in distributions.get(top, [top])} & wanted}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    missing = undeclared(third_party_imports(), declared(extras=True))
    assert not missing, f"imported but not in pyproject.toml's dependencies or extras: {missing}"


def test_what_loads_with_octavo_is_in_a_plain_install() -> None:
    missing = undeclared(third_party_imports(eager=True), declared())
    assert not missing, f"imported on load but only in an extra (import it where it is used): {missing}"


def test_the_extras_are_imported_only_where_used() -> None:
    assert "distributed" in third_party_imports() and "distributed" not in third_party_imports(eager=True)

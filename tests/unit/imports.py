"""octavo's own import graph, read from the source with ast (no module is run to build it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "octavo"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.AST) -> Iterator[str]:
    """The octavo modules an import statement names; ``from a import b`` names ``a.b`` if that is
    a module, else ``a`` (octavo uses no relative imports; a test checks that)."""
    known = modules()
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in known)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            yield full if full in known else node.module


def relative_imports() -> list[str]:
    return [f"{name}:{node.lineno}" for name, path in modules().items()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.level > 0]


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the octavo modules it imports anywhere in its source (at the top, in a function,
    under TYPE_CHECKING): the strictest reading, so a cycle cannot hide behind a lazy import."""
    edges: dict[str, frozenset[str]] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges[name] = frozenset(m for node in ast.walk(tree) for m in _imported(node) if m != name and m in modules())
    return edges


def closure(start: str) -> set[str]:
    """``start`` and every octavo module it imports, directly or not."""
    seen, todo = {start}, [start]
    while todo:
        for imported in graph()[todo.pop()]:
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def cycle() -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for imported in sorted(graph()[name]):
            if state.get(imported) == 1:
                return [*path[path.index(imported):], imported]
            if imported not in state and (found := visit(imported)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph()):
        if name not in state and (found := visit(name)):
            return found
    return None

"""Every output behind the same writer interface, named in one registry; library code never prints."""

from __future__ import annotations

import ast
import inspect
import io
import subprocess
import sys

import pytest
from imports import modules

from octavo.cli import ProgressBars
from octavo.options import Progress
from octavo.pipeline import writer
from octavo.writers.base import Writer
from octavo.writers.registry import FORMATS, OUTPUTS

# The command line's own modules, which talk to the terminal: cli.py draws what the library
# reports; serve.py is the `serve` command's loop (it prints each rebuild's outcome).
TERMINAL = {"octavo.cli", "octavo.serve"}


@pytest.mark.parametrize("output", FORMATS)
def test_each_registered_output_has_one_writer_with_the_common_interface(output: str) -> None:
    found = writer(output)
    assert isinstance(found, Writer) and output in found.formats and found.name
    assert found.write.__module__ == OUTPUTS[output]
    assert list(inspect.signature(found.write).parameters) == ["assembled", "dest", "options"]


def test_the_outputs_are_written_in_the_registry_order_with_the_web_last() -> None:
    assert FORMATS == ("epub", "pdf", "azw3", "kepub", "web")


def test_the_registry_imports_no_writer() -> None:
    """The command line and book.toml check output names without loading a writer (nor WeasyPrint)."""
    script = ("import sys\nimport octavo.writers.registry, octavo.cli, octavo.config, octavo.pipeline\n"
              "print(sorted(m for m in sys.modules if m.startswith('octavo.writers.') or m == 'weasyprint'))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['octavo.writers.base', 'octavo.writers.registry']"


def test_each_writer_is_one_package_that_reads_no_other_writer() -> None:
    """Changing one output needs no reading of the others: a writer package imports only the
    shared modules, never another output's package."""
    packages = {OUTPUTS[output].rsplit(".", 1)[0] for output in FORMATS}
    for package in packages:
        for name, path in modules().items():
            if not name.startswith(package):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
            imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            others = {m for m in imported for p in packages if p != package and m.startswith(p)}
            assert not others, f"{name} imports {others}"


def calls_that_print(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "input"):
            found.append(f"{node.func.id}() at line {node.lineno}")
        elif isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr") and \
                isinstance(node.value, ast.Name) and node.value.id == "sys":
            found.append(f"sys.{node.attr} at line {node.lineno}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"imports click at line {node.lineno}" for name in names if name.split(".")[0] == "click"]
    return found


def test_library_code_never_prints() -> None:
    """Progress and warnings go through Options.progress and Options.report; only the command
    line's modules touch the terminal."""
    printing = {name: found for name, path in modules().items() if name not in TERMINAL
                and (found := calls_that_print(ast.parse(path.read_text(encoding="utf-8"))))}
    assert printing == {}
    assert calls_that_print(ast.parse("import click\nprint(1)\nsys.stderr.write('')")) == [
        "imports click at line 1", "print() at line 2", "sys.stderr at line 3"]


def test_the_command_line_draws_progress_with_click(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    bars = ProgressBars()
    for done in range(1, 4):
        bars(Progress("pdf", done, 3, f"Chapter {done}"))
    bars.close()
    drawn = terminal.getvalue()
    assert "laying out the PDF" in drawn and "3/3" in drawn and "Chapter 3" in drawn


def test_no_progress_is_drawn_when_no_one_watches(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    bars = ProgressBars()
    bars(Progress("pdf", 1, 3, "Chapter 1"))
    bars.close()
    assert terminal.getvalue() == ""

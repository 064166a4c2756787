"""WeasyPrint's internals behind one door (octavo/writers/pdf/weasy/): nothing outside it reads a
private name of WeasyPrint or pydyf or replaces one of their functions; one version guard and one
switch decide what runs; on the pinned version, every patch and reader applies (a failure, never
a skip, when one stops applying)."""

from __future__ import annotations

import ast
import zlib

import pydyf
import pytest
from imports import modules
from weasyprint import layout as weasy_layout
from weasyprint.layout import LayoutContext
from weasyprint.layout import page as weasy_page

from octavo.writers.pdf import weasy
from octavo.writers.pdf.weasy import margins, note_area

DOOR = "octavo.writers.pdf.weasy"
THEIRS = ("weasyprint", "pydyf")
PROBES = ("getattr", "setattr", "hasattr", "delattr")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def trespasses(source: str) -> list[str]:
    """Where ``source`` reads a private name of WeasyPrint or pydyf, or assigns to one of their
    names. In a module that uses either (or any module of the PDF writer), every ``x._name`` must
    be on ``self``, ``cls`` or a class of the module itself."""
    tree = ast.parse(source)
    found: list[str] = []
    theirs: set[str] = set()  # names bound to WeasyPrint's or pydyf's modules and objects
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in THEIRS:
                    theirs.add(alias.asname or alias.name.split(".")[0])
                    found += [f"line {node.lineno}: imports {alias.name}" for part in alias.name.split(".")
                              if private(part)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in THEIRS:
            theirs.update(alias.asname or alias.name for alias in node.names)
            parts = [*node.module.split("."), *(alias.name for alias in node.names)]
            found += [f"line {node.lineno}: imports {part} from {node.module}" for part in parts if private(part)]
    own = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)} | {"self", "cls"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and theirs:
            base = node.value
            if not (isinstance(base, ast.Name) and base.id in own and base.id not in theirs):
                found.append(f"line {node.lineno}: reads .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PROBES:
            named = [arg.value for arg in node.args[1:2] if isinstance(arg, ast.Constant)]
            found += [f"line {node.lineno}: {node.func.id}(..., {name!r})" for name in named
                      if isinstance(name, str) and private(name)]
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [f"line {node.lineno}: assigns to {ast.unparse(target)}" for target in targets
                      if isinstance(target, ast.Attribute) and _root(target) in theirs]
    return sorted(found, key=lambda spot: int(spot.split()[1].rstrip(":")))


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def test_the_scan_sees_a_private_read_a_replaced_function_and_a_probe() -> None:
    source = ("import pydyf\nfrom weasyprint import Document\nfrom weasyprint.layout import _private\n"
              "class Mine:\n    def f(self, d: Document) -> None:\n        self._ok = Mine._ok_too\n"
              "        d._page_box\n        getattr(d, '_html')\n        pydyf.zlib = None\n")
    assert trespasses(source) == ["line 3: imports _private from weasyprint.layout", "line 7: reads ._page_box",
                                  "line 8: getattr(..., '_html')", "line 9: assigns to pydyf.zlib"]


def test_nothing_outside_the_door_touches_weasyprint_internals() -> None:
    outside = {name: path for name, path in modules().items() if not name.startswith(DOOR)}
    assert "octavo.writers.pdf.layout" in outside and "octavo.writers.pdf.weasy.note_area" not in outside
    found = {name: spots for name, path in outside.items()
             if (spots := trespasses(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_inside_the_door_the_scan_finds_what_the_door_is_for() -> None:
    """The same scan, pointed at the door, finds its private reads and replacements: it would see them
    anywhere else."""
    inside = {name: trespasses(path.read_text(encoding="utf-8")) for name, path in modules().items()
              if name.startswith(DOOR + ".")}
    assert inside[f"{DOOR}.flate"] and inside[f"{DOOR}.kinds"] and inside[f"{DOOR}.notes"]


def test_every_patch_and_reader_applies_on_the_pinned_version() -> None:
    """Never a skip: on the pinned WeasyPrint each part of the door must apply; on any other, the
    door must be closed and say why."""
    if weasy.weasyprint_version() != weasy.PINNED:
        assert weasy.mode() == "off" and weasy.version_notice()
        return
    assert weasy.applies() == dict.fromkeys(weasy.PATCHES + weasy.READERS, True)
    assert weasy.version_notice() is None
    try:
        assert weasy.switch("patched") == ()
        assert note_area.installed() and margins.installed() and weasy.patched() and weasy.reading()
        weasy.applies.cache_clear()  # checked again with the patches in place: they check WeasyPrint's own code
        assert weasy.applies() == dict.fromkeys(weasy.PATCHES + weasy.READERS, True)
    finally:
        weasy.switch("off")


def test_the_switch_takes_every_patch_out_and_keeps_the_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    original_area = note_area.original() or LayoutContext._update_footnote_area
    monkeypatch.setenv(weasy.SWITCH, "0")
    assert weasy.mode() == ("readers" if weasy.weasyprint_version() == weasy.PINNED else "off")
    weasy.switch("patched")
    weasy.switch("readers")
    assert LayoutContext._update_footnote_area is original_area
    assert weasy_layout.make_margin_boxes is weasy_page.make_margin_boxes
    assert not note_area.installed() and not margins.installed()
    assert not weasy.patched() and weasy.reading()
    assert pydyf.zlib is zlib
    monkeypatch.setenv(weasy.SWITCH, "1")
    assert weasy.mode() == ("patched" if weasy.weasyprint_version() == weasy.PINNED else "off")


def test_another_version_closes_the_door_with_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasy, "weasyprint_version", lambda: "71.0")
    assert weasy.mode() == "off"
    notice = weasy.version_notice()
    assert notice is not None and "WeasyPrint 71.0 is not 70.0" in notice


def test_a_part_that_does_not_apply_closes_the_whole_door(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasy, "applies", lambda: {**dict.fromkeys(weasy.PATCHES + weasy.READERS, True),
                                                   "kinds": False})
    try:
        assert weasy.switch("patched") == ("kinds",)
        assert not weasy.reading() and not note_area.installed()
        assert weasy.switch("readers") == ("kinds",)
    finally:
        weasy.switch("off")

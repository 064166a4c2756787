"""The package's shape: no import cycle, a model that imports no stage, cache keys that name the
code their entries are made by (so a moved or newly imported module cannot leave stale entries)."""

from __future__ import annotations

import importlib

import pytest
from imports import closure, cycle, graph, modules, relative_imports

from octavo import batch
from octavo.memo import PACKAGE
from octavo.writers.epub import writer as epub_writer
from octavo.writers.pdf import cache as pdf_cache
from octavo.writers.web import search as web_search
from octavo.writers.web import writer as web_writer

# What the model may import: the package's version, the config values a Book carries (and the
# output names config checks, a table of strings), diagnostics (carried by a rendered chapter),
# memo's digest and paths' slugify.
MODEL_MAY_IMPORT = {"octavo", "octavo.config", "octavo.writers.registry", "octavo.diagnostics", "octavo.memo",
                    "octavo.paths", "octavo.i18n"}
# Modules that no cached result depends on through its code: values keyed by their repr or by a
# digest of their own (the book, config, chapters), messages, the cache itself, the writer
# interface and the build's options (which choose what is written, not what it holds).
NOT_KEYED = {"octavo", "octavo.config", "octavo.writers.registry", "octavo.diagnostics", "octavo.memo",
             "octavo.paths", "octavo.model", "octavo.model.book", "octavo.model.contents", "octavo.model.assembled",
             "octavo.options", "octavo.writers.base"}
# A writer's page keys hold the chapter's digest, made with batch.CODE: the rendering code is in it.
RENDERING = {"octavo.assets", "octavo.markdown", "octavo.highlight", "octavo.math", "octavo.render", "octavo.sanitize",
             "octavo.model.rendered", "octavo.urls", "octavo.svg", "octavo.raster", "octavo.citations.syntax",
             "octavo.model.citations", "octavo.blocks", "octavo.refs", "octavo.leftovers", "octavo.labels",
             "octavo.mdbook.web", "octavo.projects.syntax", "octavo.projects.tables"}
# What a writer reads but keys by content (templates and style sheets by files_digest, the code sheet
# that codestyle makes by its text, links by the index's digest, deflated members by their bytes,
# published files compared byte for byte).
WRITING = RENDERING | {"octavo.styles", "octavo.codestyle", "octavo.transforms.xrefs", "octavo.output",
                       "octavo.signals", "octavo.pool", "octavo.batch", "octavo.writers.epub.container",
                       "octavo.writers.web.search",
                       "octavo.mirror"}  # where a task runs (its paths moved to a copy and back), not what it makes
CACHES = [  # (the module whose results are cached, its code list, what it reads that is keyed otherwise)
    ("octavo.render", batch.CODE, NOT_KEYED),
    # layout reads styles' folder only; the model (and its rendered chapter) come in through styles
    ("octavo.writers.pdf.layout", pdf_cache.CODE, NOT_KEYED | {"octavo.styles", "octavo.codestyle",
                                                               "octavo.model.rendered", "octavo.model.citations"}),
    ("octavo.writers.epub.writer", epub_writer.CODE, NOT_KEYED | WRITING),
    ("octavo.writers.web.writer", web_writer.CODE, NOT_KEYED | WRITING),
    ("octavo.writers.web.search", web_search.CODE, NOT_KEYED | RENDERING | {"octavo.templates", "octavo.writers.common",
                                                                              "octavo.transforms.xrefs"}),
]


def as_module(path: str) -> str:
    return "octavo." + path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def test_the_graph_sees_every_module_and_its_imports() -> None:
    assert len(modules()) > 50 and "octavo.writers.pdf.weasy.resume" in modules()
    assert "octavo.model" in graph()["octavo.pipeline"] and "octavo.load" in graph()["octavo.pipeline"]
    assert relative_imports() == []


def test_no_import_cycle() -> None:
    assert cycle() is None


def test_the_model_imports_no_stage() -> None:
    used = closure("octavo.model") - {name for name in modules() if name.startswith("octavo.model")}
    assert used <= MODEL_MAY_IMPORT, sorted(used - MODEL_MAY_IMPORT)


def test_no_stage_imports_the_orchestrator() -> None:
    users = sorted(name for name, imported in graph().items() if "octavo.pipeline" in imported)
    assert users == ["octavo.catalogue", "octavo.cli", "octavo.serve"]  # the three that run builds


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_imports(name: str) -> None:
    assert importlib.import_module(name).__name__ == name


@pytest.mark.parametrize(("entry", "code", "keyed_otherwise"), CACHES, ids=[entry for entry, _, _ in CACHES])
def test_cache_keys_name_the_code_their_entries_come_from(entry: str, code: tuple[str, ...],
                                                           keyed_otherwise: set[str]) -> None:
    assert all((PACKAGE / path).is_file() for path in code), [p for p in code if not (PACKAGE / p).is_file()]
    # templates.py: the environment's code; a .po is a catalogue the code reads (octavo.i18n.CODE)
    listed = {as_module(path) for path in code if path.endswith(".py")} - {"octavo.templates"}
    made_by = closure(entry)
    assert listed <= made_by, f"listed but not imported by {entry}: {sorted(listed - made_by)}"
    missing = made_by - listed - keyed_otherwise - {"octavo.templates"}
    assert not missing, f"{entry} imports {sorted(missing)}, which its cache key does not name"

"""The Jinja environment: the book's ``templates/`` first, then octavo's defaults.

As in Pelican, a book template can replace a default file outright, or extend it through the
``!default/`` prefix and override one block: ``{% extends "!default/epub/chapter.xhtml.j2" %}``.
Autoescaping is on for every template whatever its extension (``select_autoescape`` would miss
``.xhtml`` and ``.j2``), and an undefined variable is an error, never an empty string.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from octavo.diagnostics import BookError, error
from octavo.i18n import Messages, install, messages

DEFAULTS = Path(__file__).resolve().parent.parent / "templates"


def environment(book_root: Path | None = None, compiled: Path | None = None,
                words: Messages | None = None) -> Environment:
    """The environment for a book; ``compiled`` is a folder that keeps compiled templates between
    builds (Jinja checks each against its source), so a rebuild need not compile them again.
    ``words`` are the book's (octavo.i18n): ``{{ _("Contents") }}`` in a template says its word."""
    defaults = FileSystemLoader(DEFAULTS)
    search: list[Any] = [PrefixLoader({"!default": defaults}, delimiter="/")]
    if book_root is not None and (book_root / "templates").is_dir():
        search.append(FileSystemLoader(book_root / "templates"))
    search.append(defaults)
    env = Environment(
        loader=ChoiceLoader(search),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(compiled),
    )
    words = words or messages("en")
    install(env, words)
    env.filters["names"] = words.listing  # book.authors|names: "A and B", "A, B and C" in the book's language
    return env


def _bytecode_cache(folder: Path | None) -> BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


def render(env: Environment, name: str, **context: Any) -> str:
    """Render ``name``; a template problem becomes a diagnostic at the template's path and line."""
    with reported(name):
        return env.get_template(name).render(**context)


def module(env: Environment, name: str) -> Any:
    """The macros of template ``name``, to call from Python; problems are reported as in :func:`render`."""
    with reported(name):
        return env.get_template(name).module


@contextmanager
def reported(name: str) -> Iterator[None]:
    """Turn a template problem met while working with ``name`` into a :class:`BookError`."""
    try:
        yield
    except TemplateSyntaxError as exc:
        raise BookError([error("template.syntax", exc.message or "syntax error", _path(exc.filename, name),
                               exc.lineno)]) from None
    except TemplateNotFound as exc:
        raise BookError([error("template.missing", f"template '{exc.name}' not found", name,
                               hint="check the name in {% extends %} or {% include %}")]) from None
    except TemplateError as exc:
        path, line = _template_frame(sys.exc_info()[2], name)
        raise BookError([error("template.render", str(exc.message or exc), path, line,
                               hint="variables a template can use are listed at the top of each default")]) from None
    except RecursionError:
        raise BookError([error("template.cycle", "templates include or extend each other in a cycle", name)]
                        ) from None


def _path(filename: str | None, fallback: str) -> str:
    if not filename:
        return fallback
    path = Path(filename)
    return str(path.relative_to(DEFAULTS.parent)) if path.is_relative_to(DEFAULTS.parent) else str(path)


def _template_frame(tb: TracebackType | None, name: str) -> tuple[str, int | None]:
    """The innermost template frame of a traceback, as (path, line)."""
    found: tuple[str, int | None] = (name, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".html", ".xhtml", ".xml")) and Path(filename).is_file():
            found = (_path(filename, name), tb.tb_lineno)
        tb = tb.tb_next
    return found

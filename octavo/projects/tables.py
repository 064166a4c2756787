"""pandoc's grid, simple and multiline tables, as the same tokens markdown-it makes for a pipe table.

Pipe tables are markdown-it's own. A grid table is drawn with ``+---+`` rules and ``|`` walls; a
``+===+`` rule ends its header, and ``:`` in a rule sets a column's alignment. A simple table is
a header line over a line of dash groups (one a column), its rows down to a blank line; without a
header it opens and closes with the dash line. A multiline table is a simple table whose rows
(and header) may take several lines: it opens with a line of dashes across the table (or, without
a header, with the dash groups) and closes with one, and blank lines part its rows. Cells hold
inline Markdown (several lines of a grid or multiline cell are one paragraph); a grid row that
spans columns is left as text, as it was.
A ``Table: caption`` beside either is its caption, as for pipe tables (:mod:`octavo.blocks`).

Grid and multiline tables keep pandoc's relative column widths: a column's share of a 72-character
line (pandoc's ``--columns``) is its share of the text width, written as pandoc writes it in HTML,
``<col style="width:NN%">`` and the table's own width when the columns fill less than the line.
"""

from __future__ import annotations

import re
from itertools import pairwise

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

GRID_RULE = re.compile(r"^\+(?:[-=:]+\+)+\s*$")
DASHES = re.compile(r"-{2,}")
RULE = re.compile(r"^-{3,}$")  # the line of dashes across a multiline table
COLUMNS = 72  # pandoc's default --columns: the line width the relative column widths are shares of
Aligns = list[str]  # "", "left", "right" or "center" per column


def tables_plugin(md: MarkdownIt) -> None:
    md.block.ruler.after("fence", "octavo_grid_table", grid_table)
    md.block.ruler.after("octavo_grid_table", "octavo_simple_table", simple_table)
    # after the simple table: a headless table with no blank line in it is that, as pandoc reads it
    md.block.ruler.after("octavo_simple_table", "octavo_multiline_table", multiline_table)


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number]: state.eMarks[number]].rstrip()


def grid_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4 or not GRID_RULE.match(_line(state, start)):
        return False
    first = _line(state, start)
    walls = [i for i, char in enumerate(first) if char == "+"]
    rows: list[list[str]] = []
    header: list[str] | None = None
    aligns = _grid_aligns(first, walls)
    lines: list[list[str]] = []
    current = start + 1
    while current < end:
        text = _line(state, current)
        if GRID_RULE.match(text):
            if [i for i, char in enumerate(text) if char == "+"] != walls:
                return False
            if lines:
                rows.append([" ".join(p.strip() for p in cell if p.strip()) for cell in zip(*lines, strict=True)])
                lines = []
            if "=" in text and header is None and len(rows) == 1:
                header = rows.pop()
                aligns = _grid_aligns(text, walls)
            current += 1
            if current >= end or not _line(state, current).startswith(("|", "+")):
                break
            continue
        if not text.startswith("|") or any(len(text) <= w or text[w] != "|" for w in walls):
            return False  # a spanning cell, or not a table after all
        lines.append([text[a + 1: b] for a, b in pairwise(walls)])
        current += 1
    else:
        if lines:
            return False  # the last row has no closing rule
    if lines or not (rows or header):
        return False
    if not silent:
        _emit(state, header, rows, aligns, start, current, [b - a for a, b in pairwise(walls)])
    state.line = current
    return True


def _grid_aligns(rule: str, walls: list[int]) -> Aligns:
    aligns: Aligns = []
    for a, b in pairwise(walls):
        cell = rule[a + 1: b]
        left, right = cell.startswith(":"), cell.endswith(":")
        aligns.append("center" if left and right else "right" if right else "left" if left else "")
    return aligns


class _Lines:
    """A block's lines from ``start`` on, each read when asked for:
    a rule that looks at a few of them must not slice every line to the chapter's end, which at
    each block start is quadratic in the chapter's length."""

    def __init__(self, state: StateBlock, start: int, end: int) -> None:
        self.state, self.start, self.end = state, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, offset: int) -> str:
        state, n = self.state, self.start + offset
        return state.src[state.bMarks[n] + state.blkIndent: state.eMarks[n]].rstrip()



def simple_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4 or start + 1 >= end:
        return False

    raw = _Lines(state, start, end)
    last = len(raw)
    headless = _dash_line(raw[0]) is not None
    dash_at = 0 if headless else 1
    columns = _dash_line(raw[dash_at])
    if columns is None or (not headless and not raw[0].strip()):
        return False
    current = dash_at + 1
    body: list[str] = []
    while current < last and raw[current].strip():
        if headless and _dash_line(raw[current]) is not None:
            break
        body.append(raw[current])
        current += 1
    if headless:
        if current >= last or _dash_line(raw[current]) is None or not body:
            return False
        current += 1
    elif not body:
        return False
    if not silent:
        header = None if headless else _cells(raw[0], columns)
        aligns = _simple_aligns(raw[0] if not headless else body[0], columns)
        _emit(state, header, [_cells(row, columns) for row in body], aligns, start, start + current)
    state.line = start + current
    return True


def multiline_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4 or start + 2 >= end:
        return False
    raw = _Lines(state, start, end)
    headless = _dash_line(raw[0]) is not None
    if not headless and not RULE.match(raw[0]):
        return False
    current, heading = 1, []
    while not headless and current < len(raw) and raw[current].strip() and _dash_line(raw[current]) is None:
        heading.append(raw[current])
        current += 1
    columns = _dash_line(raw[0] if headless else raw[current] if current < len(raw) else "")
    if columns is None or not (headless or heading):
        return False
    current += 0 if headless else 1
    rows: list[list[str]] = [[]]
    while current < len(raw) and not _closes(raw[current], headless):
        if raw[current].strip():
            rows[-1].append(raw[current])
        elif rows[-1]:
            rows.append([])
        current += 1
    rows = [row for row in rows if row]
    if current >= len(raw) or not rows or (current + 1 < len(raw) and raw[current + 1].strip()):
        return False
    if not silent:
        width = max(len(raw[n]) for n in range(current + 1))
        edge = [*columns[:-1], (columns[-1][0], max(width, columns[-1][1]))]
        aligns = _simple_aligns(heading[0] if heading else rows[0][0], columns)
        _emit(state, _joined(heading, edge) if heading else None, [_joined(row, edge) for row in rows], aligns,
              start, start + current + 1, _multiline_lengths(columns))
    state.line = start + current + 1
    return True


def _multiline_lengths(columns: list[tuple[int, int]]) -> list[int]:
    """Each column's width in characters as pandoc measures a multiline table's: its dashes and
    the spaces after them, the last one's dashes and one more. A last column a character or two
    narrower than the one before it counts as wide as that one, the spaces between columns being
    counted in all the others, as pandoc does."""
    lengths = [after[0] - before[0] for before, after in pairwise(columns)] + [columns[-1][1] - columns[-1][0] + 1]
    if len(lengths) > 1 and 0 < lengths[-2] - lengths[-1] <= 2:
        lengths[-1] = lengths[-2]
    return lengths


def _closes(line: str, headless: bool) -> bool:
    """The line that ends a multiline table: dashes across it, or the dash groups without a header."""
    return bool(RULE.match(line)) or (headless and _dash_line(line) is not None)


def _joined(lines: list[str], columns: list[tuple[int, int]]) -> list[str]:
    """A row of several lines: each cell's pieces, line by line, as one line of text."""
    pieces = [_cells(line, columns) for line in lines]
    return [" ".join(piece for piece in cell if piece) for cell in zip(*pieces, strict=True)]


def _dash_line(text: str) -> list[tuple[int, int]] | None:
    """The columns a line of dash groups marks, when it has two at least and nothing else."""
    if not text.strip() or set(text.strip()) - {"-", " "}:
        return None
    groups = [(m.start(), m.end()) for m in DASHES.finditer(text)]
    return groups if len(groups) >= 2 and "".join(text.split()) == "-" * sum(b - a for a, b in groups) else None


def _cells(row: str, columns: list[tuple[int, int]]) -> list[str]:
    edges = [0] + [start for start, _ in columns[1:]] + [max(len(row), columns[-1][1])]
    return [row[a:b].strip() for a, b in pairwise(edges)]


def _simple_aligns(line: str, columns: list[tuple[int, int]]) -> Aligns:
    """pandoc's rule: text flush with its dashes' left end only is left-aligned, with the right end
    only right-aligned, with neither centred; flush with both, the default."""
    aligns: Aligns = []
    for a, b in columns:
        left = a < len(line) and line[a] != " " and (a == 0 or line[a - 1] == " ")
        right = b - 1 < len(line) and line[b - 1] != " " and (b >= len(line) or line[b] == " ")
        aligns.append("" if left and right else "left" if left else "right" if right else "center")
    return aligns


def _emit(state: StateBlock, header: list[str] | None, rows: list[list[str]], aligns: Aligns,
          start: int, end: int, lengths: list[int] | None = None) -> None:
    """The tokens of markdown-it's table rule, so captions, styles and writers treat it as one;
    with the columns' ``lengths`` in characters, a ``colgroup`` of their relative widths first."""
    table = state.push("table_open", "table", 1)
    table.map = [start, end]
    if lengths:
        _colgroup(state, table, lengths)
    if header is not None:
        state.push("thead_open", "thead", 1)
        _row(state, header, aligns, "th", start)
        state.push("thead_close", "thead", -1)
    state.push("tbody_open", "tbody", 1)
    for row in rows:
        _row(state, row, aligns, "td", start)
    state.push("tbody_close", "tbody", -1)
    state.push("table_close", "table", -1)


def _colgroup(state: StateBlock, table: Token, lengths: list[int]) -> None:
    """pandoc's relative widths: each column's characters over 72, or over the table's when it is
    wider; a column's percentage cut to a whole number, the table's rounded (as pandoc's HTML)."""
    widths = [length / max(sum(lengths), COLUMNS) for length in lengths]
    if sum(widths) < 1:
        table.attrSet("style", f"width:{round(sum(widths) * 100)}%")
    state.push("colgroup_open", "colgroup", 1)
    for width in widths:
        state.push("col", "col", 0).attrSet("style", f"width:{int(100 * width)}%")
    state.push("colgroup_close", "colgroup", -1)


def _row(state: StateBlock, cells: list[str], aligns: Aligns, tag: str, line: int) -> None:
    state.push("tr_open", "tr", 1)
    for index, text in enumerate(cells):
        cell = state.push(f"{tag}_open", tag, 1)
        if index < len(aligns) and aligns[index]:
            cell.attrSet("style", f"text-align:{aligns[index]}")
        inline = state.push("inline", "", 0)
        inline.content = text
        inline.map = [line, line + 1]
        inline.children = []
        state.push(f"{tag}_close", tag, -1)
    state.push("tr_close", "tr", -1)

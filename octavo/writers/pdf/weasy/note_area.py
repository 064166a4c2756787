"""WeasyPrint's footnote area, measured once per note and page instead of once per note per change.

Why. Each time WeasyPrint puts a footnote on a page, reports one to the next page or takes one
back (``LayoutContext.layout_footnote``, ``report_footnote``, ``unlayout_footnote``), its
``LayoutContext._update_footnote_area`` deep-copies the page's footnote area with *all* the
page's current notes and lays the whole area out again (``block_level_layout``), only to learn
the area's height and whether its last note overflows. A page with k notes costs
1 + 2 + … + k note layouts: in a book with many notes a page, most of WeasyPrint's layout time
(benchmarks/README.md). This module lays out each note once per page; the saving is less than the
count suggests because a note's first layout, which cannot be saved, is the dear one (its
computed style is filled in then).

What. :func:`install` replaces the method, once per process (``layout.Engine`` calls it),
with one that gives the same results bit for bit: the same ``current_footnote_area.height``, the
same changes to ``page_bottom``, the same overflow answer. It relies on the area's layout being
a chain: note i is laid out at the position and with the adjoining margins left by notes
0 … i-1, and nothing after it changes that. So the state after each run of notes (position,
pending margins, the laid-out note) is kept per page's area, in a trie keyed by the note boxes;
adding a note lays out that note only, and reporting or removing the last one lays out nothing.
Each note is still laid out by WeasyPrint's own ``block_level_layout``, with exactly the
arguments the area's layout would pass it; what this module does itself is the area's
bookkeeping around it (the area's top edge, margin collapsing between notes and with the area's
bottom, the area's height, the overflow test), with the same float operations in the same order,
so the numbers are identical, not merely close.

Fallback. Where that bookkeeping cannot be shown equal to WeasyPrint's, the original method runs
(:data:`STATS` counts why), and nothing of WeasyPrint is changed:

- in columns (``context.in_column``);
- when the ``@footnote`` area has no top border or padding: its margin then collapses through to
  the first note's, which WeasyPrint truncates or not depending on the page; when it has a
  height, a min- or max-height, columns, a position, a float, clearance, ``max-lines``,
  ``continue: discard`` or a ``::first-line`` style;
- when a note is not a plain block of text: anything but block, line, inline and text boxes in
  it (tables, images, inline blocks, flex…), a float, a running or positioned box (list markers
  aside), a footnote call, clearance, columns; or a forced break or page name between notes, or
  a note that does not come out whole;
- when the area does not make its own formatting context and the page has floats, which the
  notes' lines could flow around;
- on any error.

Guard. The door (:mod:`octavo.writers.pdf.weasy`) installs this only on the WeasyPrint version
it pins, and :func:`install` keeps the original method unless the source of the functions whose
behaviour is mirrored here hashes to what this module was checked against (:data:`CHECKED`): a
local patch of WeasyPrint switches the fast path off, and the tests fail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from math import inf
from typing import Any
from weakref import WeakKeyDictionary

from octavo.writers.pdf.weasy.checked import matches

__all__ = ["CHECKED", "STATS", "applies", "install", "installed", "original", "uninstall"]

# sha256 of the source of the WeasyPrint code this module mirrors or relies on (_WeasyPrint.sources).
CHECKED = "8e4dc3e40195e1acc4d5f77f8be00f002dbeab62874546c3052827b720c491d7"

STATS: Counter[str] = Counter()
"""Per process: "fast" and "fallback" runs of the method (with "fallback: <why>"), "empty" ones
(no note, left to the original), "notes laid out" by the fast path and "notes in fast runs" (what
the original would have laid out for the same runs)."""

_original: Callable[[Any], Any] | None = None


class _Unsure(Exception):
    """The fast path cannot vouch for this case; the original method runs."""


@dataclass
class _Step:
    """The area's layout state after one more note: where the next note goes, the margins
    pending below, and the laid-out note."""

    position_y: float
    margins: tuple[float, ...]
    laid: Any
    after: dict[Any, _Step] = field(default_factory=dict)


@dataclass
class _Area:
    """What is known about one page's footnote area: its laid-out shell (the area copy before any
    note, as the area's own layout sets it up) and the trie of laid-out notes."""

    area: Any
    key: tuple[Any, ...]
    shell: Any
    formatting_context: bool
    start_x: float
    start_y: float
    first: dict[Any, _Step] = field(default_factory=dict)


_areas: WeakKeyDictionary[Any, _Area] = WeakKeyDictionary()  # per LayoutContext: its current page's area


class _WeasyPrint:
    """The WeasyPrint internals used, imported once."""

    def __init__(self) -> None:
        from weasyprint.formatting_structure import boxes, build
        from weasyprint.layout import LayoutContext, block
        from weasyprint.layout.float import avoid_collisions
        from weasyprint.layout.percent import resolve_percentages

        self.LayoutContext = LayoutContext
        self.BlockBox = boxes.BlockBox
        self.FootnoteAreaBox = boxes.FootnoteAreaBox
        self.plain = (boxes.BlockBox, boxes.LineBox, boxes.InlineBox, boxes.TextBox)
        self.anonymous = build.create_anonymous_boxes
        self.layout = block.block_level_layout
        self.width = block.block_level_width
        self.collapse = block.collapse_margin
        self.page_break = block.block_level_page_break
        self.page_name = block.block_level_page_name
        self.forced = block.force_page_break
        self.avoid_collisions = avoid_collisions
        self.percentages = resolve_percentages
        method = _original or LayoutContext._update_footnote_area  # WeasyPrint's, even while replaced
        self.sources = (LayoutContext.__init__, method,
                        LayoutContext.create_block_formatting_context, LayoutContext.finish_block_formatting_context,
                        block.block_level_layout, block.block_box_layout, block.block_container_layout,
                        block._in_flow_layout, boxes.Box.translate, build.create_anonymous_boxes)


_wp: _WeasyPrint | None = None


def _checked() -> _WeasyPrint | None:
    """WeasyPrint's internals if they are the ones this module was written against."""
    try:
        found = _WeasyPrint()
    except Exception:  # an import or an attribute missing: keep WeasyPrint as it is
        return None
    return found if matches(lambda: found.sources, CHECKED) else None


def applies() -> bool:
    return _checked() is not None


def install() -> bool:
    """Put the fast method in place (once per process: again is a no-op); True if it is in place."""
    global _wp, _original
    if _original is None:
        found = _checked()
        if found is not None:
            _wp, _original = found, found.LayoutContext._update_footnote_area
            found.LayoutContext._update_footnote_area = _update_footnote_area
    return installed()


def uninstall() -> None:
    """WeasyPrint's own method back."""
    global _original
    if _wp is not None and _original is not None:
        _wp.LayoutContext._update_footnote_area = _original
        _original = None


def installed() -> bool:
    """Whether WeasyPrint currently runs the fast method."""
    return _wp is not None and _wp.LayoutContext._update_footnote_area is _update_footnote_area


def original() -> Callable[[Any], Any] | None:
    """WeasyPrint's own method, if :func:`install` replaced it (for tests and comparisons)."""
    return _original


def _update_footnote_area(context: Any) -> Any:
    """``LayoutContext._update_footnote_area``, from cached note layouts when that is exact."""
    assert _original is not None
    notes = context.current_page_footnotes
    if not notes:
        STATS["empty"] += 1
        return _original(context)
    try:
        height, margin_height, overflow = _measure(context, notes)
    except _Unsure as why:
        STATS["fallback"] += 1
        STATS[f"fallback: {why}"] += 1
        return _original(context)
    except Exception as error:  # never worse than WeasyPrint: nothing of the context was changed yet
        STATS["fallback"] += 1
        STATS[f"fallback: error {type(error).__name__}"] += 1
        return _original(context)
    STATS["fast"] += 1
    STATS["notes in fast runs"] += len(notes)
    area = context.current_footnote_area
    if area.height != "auto" and not context.in_column:
        context.page_bottom += area.margin_height()
    area.children = notes
    area.height = height
    context.page_bottom -= margin_height
    return overflow


def _measure(context: Any, notes: list[Any]) -> tuple[Any, Any, bool]:
    """The area's new height and margin height, and whether its last note overflows it."""
    assert _wp is not None
    if context.in_column:
        raise _Unsure("in columns")
    known = _known(context)
    if not known.formatting_context and context.excluded_shapes:
        raise _Unsure("floats on the page")
    steps = _steps(context, known, notes)
    last = steps[-1]
    shell = known.shell
    position_y = last.position_y
    if not shell.bottom_margin_collapses():
        position_y += _wp.collapse(list(last.margins))
    laid_area = shell.copy()
    laid_area.children = [step.laid for step in steps]
    laid_area.height = max(0, position_y - laid_area.content_box_y())
    laid_area.height = max(min(laid_area.height, laid_area.max_height), laid_area.min_height)
    dy = None
    if known.formatting_context:
        x, y, _ = _wp.avoid_collisions(context, laid_area, shell.page, outer=False)
        dx, dy = x - laid_area.position_x, y - laid_area.position_y
        if dx == dy == 0:
            dy = None
    note, area_y = last.laid, laid_area.position_y
    note_y = note.position_y
    if dy is not None:  # WeasyPrint translates the area and its notes
        area_y, note_y = area_y + dy, note_y + dy
    note_bottom = note_y + note.margin_height() - note.margin_bottom
    area_bottom = area_y + laid_area.margin_height() - laid_area.margin_bottom
    return laid_area.height, laid_area.margin_height(), bool(note_bottom > area_bottom)


def _known(context: Any) -> _Area:
    """This page's area as the area's own layout sets it up before its first note; made again for
    a new page (a new area box) or a change of the context state a note's layout reads."""
    assert _wp is not None
    area = context.current_footnote_area
    key = (context.current_page, context.forced_break)
    known = _areas.get(context)
    if known is not None and known.area is area and known.key == key:
        return known
    _areas.pop(context, None)
    page = area.page
    style = area.style
    if type(area) is not _wp.FootnoteAreaBox or page.is_for_root_element:
        raise _Unsure("unknown area")
    if (style["column_width"] != "auto" or style["column_count"] != "auto" or style["position"] != "static"
            or style["float"] != "none" or style["clear"] != "none" or style["max_lines"] != "none"
            or style["continue"] == "discard" or area.first_line_style is not None
            or area.first_letter_style is not None or area.is_table_wrapper or area.force_fragmentation):
        raise _Unsure("area style")
    shell = area.copy()
    shell.children = []
    _wp.percentages(shell, page)
    if shell.margin_top == "auto":
        shell.margin_top = 0
    if shell.margin_bottom == "auto":
        shell.margin_bottom = 0
    _wp.width(shell, page)
    if shell.top_margin_collapses():
        raise _Unsure("area margin collapses with the first note")
    if shell.height != "auto" or shell.min_height != 0 or shell.max_height != inf:
        raise _Unsure("area height")
    shell.position_y += _wp.collapse([shell.margin_top]) - shell.margin_top
    known = _Area(area, key, shell, bool(shell.establishes_formatting_context()), shell.content_box_x(),
                  shell.content_box_y())
    _areas[context] = known
    return known


def _steps(context: Any, known: _Area, notes: list[Any]) -> list[_Step]:
    """The chain of laid-out notes, from the trie as far as it goes, then laid out and added."""
    steps: list[_Step] = []
    level = known.first
    for note in notes:
        step = level.get(note)
        if step is None:
            break
        steps.append(step)
        level = step.after
    if len(steps) == len(notes):
        return steps
    assert _wp is not None
    shell = known.shell
    depth = len(context._excluded_shapes_root_boxes)
    if known.formatting_context:
        context.create_block_formatting_context(shell)
    try:
        for index in range(len(steps), len(notes)):
            before = steps[-1] if steps else None
            step = _lay_out(context, known, notes[index], before)
            STATS["notes laid out"] += 1
            step.laid.index = index
            (before.after if before else known.first)[notes[index]] = step
            steps.append(step)
    finally:  # the area's formatting context, and any a failed layout left open
        while len(context._excluded_shapes_root_boxes) > depth:
            context.finish_block_formatting_context()
    return steps


def _lay_out(context: Any, known: _Area, note: Any, before: _Step | None) -> _Step:
    """One note laid out by WeasyPrint, where and as the area's layout would lay it out."""
    assert _wp is not None
    child = _prepared(known.area, note)
    child.position_x = known.start_x
    child.position_y = known.start_y if before is None else before.position_y
    if before is not None and (  # a forced break or a page name between notes stops the area's layout
            _wp.page_name(before.laid, child) or _wp.forced(_wp.page_break(before.laid, child), context)):
        raise _Unsure("break between notes")
    shell = known.shell
    _wp.percentages(child, shell)
    margins = [] if before is None else list(before.margins)
    laid, resume_at, _, pending, through, _ = _wp.layout(
        context, child, -inf, None, shell, before is None, [], [], margins, None, None, False, None)
    if laid is None or resume_at is not None:
        raise _Unsure("note broken")
    position_y = known.start_y if before is None else before.position_y
    if not through:
        position_y = laid.border_box_y() + laid.border_height()
    if laid.clearance:
        position_y = laid.border_box_y() + laid.border_height()
    return _Step(position_y, (*pending, laid.margin_bottom), laid)


def _prepared(area: Any, note: Any) -> Any:
    """A fresh copy of ``note`` with its anonymous boxes, as the area's deep copy would have it;
    :class:`_Unsure` unless it is a plain block of text."""
    assert _wp is not None
    holder = area.copy()
    holder.children = [note.deepcopy()]
    holder = _wp.anonymous(holder)
    if len(holder.children) != 1:
        raise _Unsure("note boxes")
    child = holder.children[0]
    if type(child) is not _wp.BlockBox or child.style["position"] != "static" or child.is_table_wrapper:
        raise _Unsure("note is not a block")
    for box in child.descendants(placeholders=True):
        if not isinstance(box, _wp.plain) or box.footnote is not None or box.style["clear"] != "none":
            raise _Unsure("note content")
        if box.is_floated() or box.is_running() or box.is_note() or box.is_footnote():
            raise _Unsure("note content")
        if box.style["column_width"] != "auto" or box.style["column_count"] != "auto":
            raise _Unsure("note content")
        if box.style["position"] not in ("static", "relative") and not box.is_outside_marker:
            raise _Unsure("note content")
        if box.is_flex_item or box.is_grid_item or box.is_table_wrapper or box.force_fragmentation:
            raise _Unsure("note content")
    return child

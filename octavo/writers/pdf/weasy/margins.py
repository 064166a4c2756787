"""Margin boxes that cannot show anything are not measured: WeasyPrint measures all sixteen.

Why. On every page, WeasyPrint's ``make_margin_boxes`` makes the sixteen margin boxes of CSS
paged media and resolves each one's percentages (margins, paddings, borders, sizes against the
page margins) before it looks at which of them it keeps: an edge whose three boxes show nothing
is dropped whole, and so is a corner box that shows nothing. A book shows one or two boxes a page
(a running head, a folio), and a parallel build lays each chapter out without its folios and then
a folio document with only them, so nearly all the boxes are measured only to be dropped, a
measurable part of the PDF's CPU time (benchmarks/README.md).

What. :func:`install` wraps it. Before a page's boxes are made, the boxes it will drop are known
from their styles alone (``content`` of ``normal``, ``none`` or ``inhibit`` on the box, and on
its edge's other boxes); for those, and only those, resolving percentages is skipped. WeasyPrint
still makes every box and drops the same ones; nothing it keeps is touched, so the PDF is the
same byte for byte (a test compares).

Guard. As with :mod:`note_area`: only on the WeasyPrint whose ``make_margin_boxes`` source is
the one this was checked against (:mod:`checked`), and only when the door is open
(:mod:`octavo.writers.pdf.weasy`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from octavo.writers.pdf.weasy.checked import matches

CHECKED = "b65b20b07d289821e3d5d91613fd0b6416db0d21c871617c01b6bf6caef9532d"
EDGES = (
    ("@top-left", "@top-center", "@top-right"),
    ("@bottom-left", "@bottom-center", "@bottom-right"),
    ("@left-top", "@left-middle", "@left-bottom"),
    ("@right-top", "@right-middle", "@right-bottom"),
)
CORNERS = ("@top-left-corner", "@top-right-corner", "@bottom-left-corner", "@bottom-right-corner")
SHOWS_NOTHING = ("normal", "inhibit", "none")  # as make_margin_boxes decides ``is_generated``

_dropped: frozenset[str] = frozenset()  # the page being made: keywords of the boxes it will drop
_original: tuple[Callable[..., Any], Callable[..., Any]] | None = None  # make_margin_boxes, resolve_percentages


def _sources() -> tuple[Callable[..., Any], ...]:
    from weasyprint import layout
    from weasyprint.layout import page

    return page.make_margin_boxes, layout.layout_document


def applies() -> bool:
    return matches(_sources, CHECKED)


def install() -> bool:
    """Wrap WeasyPrint's margin boxes, once per process; True if the wrapper is in place."""
    global _original
    if _original is None and applies():
        from weasyprint import layout
        from weasyprint.layout import page

        _original = page.make_margin_boxes, page.resolve_percentages
        layout.make_margin_boxes = _make_margin_boxes  # the name layout_document calls
        page.resolve_percentages = _resolve_percentages  # the name make_margin_boxes calls
    return installed()


def installed() -> bool:
    from weasyprint import layout

    return _original is not None and layout.make_margin_boxes is _make_margin_boxes


def uninstall() -> None:
    """WeasyPrint's own functions back (for tests and comparisons)."""
    global _original
    if _original is not None:
        from weasyprint import layout
        from weasyprint.layout import page

        layout.make_margin_boxes, page.resolve_percentages = _original
        _original = None


def _make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
    global _dropped
    assert _original is not None
    _dropped = dropped(context, page)
    try:
        yield from _original[0](context, page, state)
    finally:
        _dropped = frozenset()


def _resolve_percentages(box: Any, *args: Any, **kwargs: Any) -> Any:
    if getattr(box, "at_keyword", None) in _dropped:
        return None
    assert _original is not None
    return _original[1](box, *args, **kwargs)


def dropped(context: Any, page: Any) -> frozenset[str]:
    """The margin boxes of ``page`` that WeasyPrint will make and then drop."""
    shows = {keyword: _shows(context.style_for(page.page_type, keyword))
             for keyword in (*CORNERS, *(keyword for edge in EDGES for keyword in edge))}
    return frozenset([*(keyword for keyword in CORNERS if not shows[keyword]),
                      *(keyword for edge in EDGES if not any(shows[k] for k in edge) for keyword in edge)])


def _shows(style: Any) -> bool:
    return style is not None and style["content"] not in SHOWS_NOTHING

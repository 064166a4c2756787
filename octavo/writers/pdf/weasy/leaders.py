"""Which marked content of a tagged PDF draws a leader (the dots of the contents), per page.

Why. A tagged PDF gives every text box WeasyPrint draws a marked-content id (MCID) and a place in
the structure tree, the dots of ``leader()`` included, so a screen reader reads "dot dot dot" before
each page number of the contents. PDF/UA wants them marked as artifacts. The dots are an anonymous
inline box of WeasyPrint's (``is_leader``), which no public API names.

What. :func:`recording` wraps ``draw_inline_level`` while a document is written: when it draws a
leader box, the MCIDs its text takes are noted against the page box. :mod:`~octavo.writers.pdf.tags`
turns those into artifacts. The PDF drawn is otherwise the same.

Guard. Only on the pinned WeasyPrint (the door), and only if ``draw_inline_level`` still marks
text through ``stream.marked`` (its source is checked); else the dots stay tagged as text.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def applies() -> bool:
    """The leader box is flagged, and text is marked in ``draw_inline_level`` with a fresh MCID."""
    from weasyprint import draw
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf.stream import Stream

    return (hasattr(boxes.Box, "is_leader") and "stream.marked(child, 'Span')" in inspect.getsource(
        draw.draw_inline_level) and "mcid = len(self._tags)" in inspect.getsource(Stream.marked))


@contextmanager
def recording(pages: list[Any]) -> Iterator[dict[int, list[int]]]:
    """While writing a document whose page boxes are ``pages``: {page index: MCIDs of leaders}."""
    from weasyprint import draw

    index = {id(page): number for number, page in enumerate(pages)}
    found: dict[int, list[int]] = {}
    original = draw.draw_inline_level

    def draw_inline_level(stream: Any, page: Any, box: Any, *args: Any, **kwargs: Any) -> Any:
        tags = stream._tags
        if tags is None or not getattr(box, "is_leader", False) or id(page) not in index:
            return original(stream, page, box, *args, **kwargs)
        first = len(tags)
        result = original(stream, page, box, *args, **kwargs)
        found.setdefault(index[id(page)], []).extend(range(first, len(tags)))
        return result

    draw.draw_inline_level = draw_inline_level  # the name draw_inline_level and draw_stacking_context call
    try:
        yield found
    finally:
        draw.draw_inline_level = original

"""Chapter rendering against fixture files (title / Markdown / expected XHTML), as markdown-it-py does.

Set OCTAVO_UPDATE_GOLDEN=1 to rewrite the expected blocks from the current output (the run still
fails, so it shows what changed), then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_files import check
from PIL import Image

from octavo.model import Chapter
from octavo.render import RenderContext, render_chapter

FIXTURES = Path(__file__).parent / "fixtures" / "render.txt"


def read_cases(path: Path) -> list[tuple[str, str, str]]:
    """Cases are three blocks each (title, input, expected), every block ended by a line '.'."""
    blocks: list[str] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line == ".":
            blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    return [(blocks[i].strip(), blocks[i + 1], blocks[i + 2]) for i in range(0, len(blocks) - 2, 3)]


def render(markdown: str, tmp_path: Path) -> str:
    (tmp_path / "images").mkdir(exist_ok=True)
    Image.new("RGB", (4, 3), "teal").save(tmp_path / "images" / "fig.png")
    chapter = Chapter(id="one", source="one.md", text=markdown + "\n")
    ctx = RenderContext(str(tmp_path), "en", {"one.md": "one", "two.md": "two"})
    return render_chapter(chapter, ctx).html.strip()


CASES = read_cases(FIXTURES)


@pytest.mark.parametrize(("title", "markdown", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fixture(title: str, markdown: str, expected: str, tmp_path: Path) -> None:
    assert render(markdown, tmp_path) == expected.strip()


def test_the_fixture_file_is_what_rendering_gives(tmp_path: Path) -> None:
    """The whole file, made again from the current output; OCTAVO_UPDATE_GOLDEN=1 rewrites it."""
    parts = [f"{title}\n.\n{markdown}\n.\n{render(markdown, tmp_path)}\n.\n" for title, markdown, _ in CASES]
    check(FIXTURES, "\n".join(parts))

"""Generated Markdown and front matter: the build succeeds with a parseable EPUB or fails with
diagnostics, never with a traceback. A few of the successful EPUBs also go through EPUBCheck."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from conftest import epubcheck_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from octavo.diagnostics import BookError
from octavo.options import resolve
from octavo.pipeline import build

WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
RAW_HTML = st.sampled_from([
    "<b>bold", "</i>", "<div><p>unclosed", "<span onclick='x()'>hi</span>", "<script>alert(1)</script>",
    "<img src='x.png'>", "<a href='javascript:x'>j</a>", "<svg viewBox='0 0 1 1'><circle r='1'/></svg>",
    "<table><td>cell", "<!-- comment -->", "&nbsp;&copy;&#x1F600;", "<br>", "<p epub:type='x'>e</p>", "<?pi x?>",
    "<center>centred", "<font color='red'>f</font>", "<my-widget>w</my-widget>", "<o:p></o:p>",
])
INLINE = st.one_of(
    WORDS,
    WORDS.map(lambda w: f"*{w}*"),
    WORDS.map(lambda w: f"**{w}**"),
    WORDS.map(lambda w: f"[{w}](two.md#{w})"),
    WORDS.map(lambda w: f"[{w}](https://example.org/{w})"),
    st.integers(1, 3).map(lambda n: f"[^{n}]"),
    RAW_HTML,
)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
BLOCK = st.one_of(
    LINE,
    LINE.map(lambda s: f"## {s}"),
    LINE.map(lambda s: f"> {s}"),
    st.lists(LINE, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}\n  - {i}" for i in items)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"1. {i}" for i in items)),
    st.integers(1, 3).flatmap(lambda n: LINE.map(lambda s: f"[^{n}]: {s}")),
    LINE.map(lambda s: f"| a | b |\n|---|---|\n| {s} | x |"),
    RAW_HTML,
)
FRONT = st.one_of(
    st.just(""),
    WORDS.map(lambda w: f"---\ntitle: {w!r}\n---\n"),
    st.sampled_from(["---\ntitle: [open\n---\n", "---\nid: Bad Id\n---\n", "---\nnever closed: x\n",
                     "---\nnumber: 3\n---\n", "---\n- a list\n---\n"]),
)
CHAPTER = st.tuples(FRONT, st.lists(BLOCK, min_size=0, max_size=8)).map(lambda t: t[0] + "\n\n".join(t[1]) + "\n")
CHECKED: list[int] = []


def build_once(one: str, two: str) -> Path | None:
    work = Path(tempfile.mkdtemp(prefix="octavo-fuzz-"))
    try:
        root = work / "book"
        root.mkdir()
        (root / "book.toml").write_text('[book]\ntitle = "Fuzz"\nchapters = ["one.md", "two.md"]\n', encoding="utf-8")
        (root / "one.md").write_text(one, encoding="utf-8")
        (root / "two.md").write_text(two, encoding="utf-8")
        try:
            build(root, resolve(root, output=work / "out", formats=["epub"]))
        except BookError as exc:
            assert exc.diagnostics, "a failed build says why"
            return None
        epub = work / "out" / "fuzz.epub"
        with zipfile.ZipFile(epub) as archive:
            for name in archive.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    etree.fromstring(archive.read(name))
        if len(CHECKED) < 2 and "<" in one + two:
            CHECKED.append(1)
            assert epubcheck_messages(epub) == []
        return epub
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHAPTER, CHAPTER)
def test_generated_books_build_or_fail_cleanly(one: str, two: str) -> None:
    build_once(one, two)

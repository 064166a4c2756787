"""Word fidelity: the share of a book's words, in their order, that an output keeps.

The book's words are its chapters' text as a reader sees it in the source: the Markdown rendered
to text with the syntax octavo replaces taken out first (attribute blocks such as ``{#eq-x}``,
alert markers, ``:::`` fences, cross-references and citations, which become "Figure 2.1" or
"(Turing 1950)", and TeX math, which becomes MathML or a drawing). An output's words are the
EPUB's spine documents (without what ``aria-hidden`` hides, such as line numbers) or
``pdftotext``'s text with running heads and folios dropped and its hyphenation undone. The
measure is the longest run of source words found in order, over the number of source words.
"""

from __future__ import annotations

import re
import subprocess
from difflib import SequenceMatcher
from pathlib import Path

from conftest import Epub
from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from octavo.load import load_book

FENCE = re.compile(r"^(```+|~~~+).*?^\1[ \t]*$", re.S | re.M)
MARKUP = [
    re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)", re.S),  # display and bracketed math
    re.compile(r"(?<![\\$])\$(?=\S)[^$\n]*?(?<=\S)\$(?!\d)"),  # inline math, pandoc's dollar rules
    re.compile(r"\{[#.][^}\n]*\}"),  # attribute blocks
    re.compile(r"\[![A-Z]+\]"),  # alert markers
    re.compile(r"^:::.*$", re.M),  # fenced divs
    re.compile(r"\[[^\]\n]*(?<![\w.])-?@[^\]\n]*\](\{\.page\})?"),  # bracketed citations and references
    re.compile(r"(?<![\w.])@[\w][\w:.#$%&+?<>~/-]*\w"),  # bare citations and references
]
SOFT_BREAK = re.compile(r"(?<=[^\W\d_])[\u2010\u00ad]\n+(?=[^\W\d_])")  # a word hyphenated at a line end
WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def prose(markdown: str) -> str:
    """A chapter's Markdown without the markup octavo replaces; code blocks are kept as they are."""
    parts, last = [], 0
    for fence in FENCE.finditer(markdown):
        parts.append(_strip(markdown[last:fence.start()]))
        parts.append(re.sub(r"\A.*\n", "", fence.group(0)).rsplit("\n", 1)[0])  # the code, not the info line
        last = fence.end()
    parts.append(_strip(markdown[last:]))
    return "\n".join(parts)


CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)  # inline code: shown as written, markup and all


def _strip(text: str) -> str:
    parts, last = [], 0
    for span in CODE_SPAN.finditer(text):
        parts += [_strip_markup(text[last:span.start()]), span.group(0)]
        last = span.end()
    return "".join([*parts, _strip_markup(text[last:])])


def _strip_markup(text: str) -> str:
    for pattern in MARKUP:
        text = pattern.sub(" ", text)
    return text


def source_words(book: Path) -> list[str]:
    """The words of every chapter, in reading order."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table").use(footnote_plugin)
    loaded, _ = load_book(book)
    found: list[str] = []
    for chapter in loaded.chapters():
        rendered = md.render(prose((book / chapter.source).read_text(encoding="utf-8")))
        found += words(lxml_html.fromstring(f"<div>{rendered}</div>").text_content())
    return found


def epub_words(path: Path) -> list[str]:
    epub = Epub(path)
    found: list[str] = []
    for href in epub.spine_hrefs():
        doc = epub.xml(href)
        for hidden in doc.xpath("//*[@aria-hidden='true'] | //*[local-name()='head']"):
            hidden.getparent().remove(hidden)
        found += words(" ".join(etree.XPath("string(//*[local-name()='body'])")(doc).split()))
    return found


def pdf_words(path: Path, title: str) -> list[str]:
    """pdftotext's words, without each page's running head ("TITLE", "CHAPTER 3") and folio."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    furniture = re.compile(rf"(\d+|[ivxlc]+|{re.escape(title.upper())}|CHAPTER \d+)")
    pages = []
    for page in text.split("\f"):
        lines = [line for line in page.splitlines() if line.strip()]
        while lines and furniture.fullmatch(lines[0].strip()):
            lines.pop(0)
        while lines and furniture.fullmatch(lines[-1].strip()):
            lines.pop()
        pages.append("\n".join(lines))
    return words(SOFT_BREAK.sub("", "\n".join(pages)))


MOVED = 3  # a run of at least this many source words found whole elsewhere in the output has moved, not gone


def fidelity(source: list[str], output: list[str]) -> tuple[float, list[str]]:
    """The share of source words the output keeps, and the words it does not.

    Words count when found in order, or as a run of ``MOVED`` or more words found whole among the
    output words nothing else matched: a PDF sets a footnote at the foot of its page, after the
    paragraphs that follow its reference in the source, and a table's caption goes above it.
    """
    matcher = SequenceMatcher(None, source, output, autojunk=False)
    gaps: list[list[str]] = []
    left = list(output)
    at = 0
    for block in matcher.get_matching_blocks():
        gaps.append(source[at:block.a])
        left[block.b:block.b + block.size] = [""] * block.size
        at = block.a + block.size
    missing: list[str] = []
    for gap in gaps:
        if len(gap) >= MOVED and (place := _find(left, gap)) is not None:
            left[place:place + len(gap)] = [""] * len(gap)
        else:
            missing += gap
    return (len(source) - len(missing)) / max(len(source), 1), missing


def _find(haystack: list[str], run: list[str]) -> int | None:
    return next((i for i in range(len(haystack) - len(run) + 1) if haystack[i:i + len(run)] == run), None)

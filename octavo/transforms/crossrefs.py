"""Numbered figures, tables, equations and listings, and what every cross-reference says, book-wide.

Chapters are rendered on their own (and cached so); a figure's number depends on its chapter's
number and a reference may point into any chapter, so both are settled here, once all chapters are
rendered, on the chapters that have something to number or a reference to fill in. Others are
handed on untouched: a book without cross-references is not even parsed again.

Numbers run per chapter: the second labelled figure of chapter 3 is "Figure 3.2". Only things with
a label (an id starting ``fig-``, ``tbl-``, ``eq-``, ``lst-``, or ``fig:``… as pandoc-crossref
writes them) are numbered, as in Quarto. Pages without a chapter number have their own scheme:
back matter is lettered like appendices (the figures of the first back-matter page are A.1, A.2,
of the second B.1…), and front matter and part intros share one plain count (Figure 1, Figure 2).
A sub-figure (a labelled figure inside another) is "Figure 3.2(a)". Sections are numbered from the
headings, as a book with numbered sections would show them: the second ``##`` of chapter 3 is
"Section 3.2", a chapter's own title "Chapter 3"; on an unnumbered page a section is named by its
title. ``[build] number-figures`` turns the numbers on or off; unset, they are on when the book
uses a cross-reference.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from lxml import etree

from octavo import sanitize
from octavo.config import CONFIG_NAME
from octavo.diagnostics import Diagnostic, error, warning
from octavo.labels import join, words
from octavo.memo import digest
from octavo.model import Book, Chapter, Heading, Kind, RenderedChapter, Target
from octavo.refs import kind_of
from octavo.render import XREF
from octavo.transforms import numbering

PAGE_CLASS = "xref-page"  # an empty span after a reference, where the PDF writes "on page N"
XREF_ATTRIBUTES = ("data-xref", "data-xref-form", "data-xref-page")
NAMES = {"fig": "figure", "tbl": "table", "eq": "equation", "lst": "listing", "sec": "section"}
HINTS = {
    "fig": "give the figure that id: ![Caption](image.png){#%s}",
    "tbl": "end the table's caption with that id: : Caption {#%s}",
    "eq": "give the equation that id: $$ … $$ {#%s}",
    "lst": 'give the code block that id: ```{.python #%s lst-cap="Title"}',
    "sec": "give the heading that id: ## Title {#%s}",
}


@dataclass(frozen=True)
class Entry:
    """A label's place and what is written for it."""

    chapter: str  # the id of the chapter it is in
    text: str  # what a reference says: "Figure 3.2", "Section 2.1", "Preface"
    bare: str  # what [-@label] says: "3.2"
    caption: str  # the label in front of its caption: "Figure 3.2", "(a)"; "" for none


def resolve(book: Book, rendered: Mapping[str, RenderedChapter]
            ) -> tuple[dict[str, RenderedChapter], list[Diagnostic]]:
    """The chapters with their labelled things numbered and their references filled in."""
    result = dict(rendered)
    uses = any(chapter.crossrefs for chapter in rendered.values())
    setting = book.config.build.number_figures
    numbered = uses if setting is None else setting
    if not uses and not (numbered and any(chapter.targets for chapter in rendered.values())):
        return result, []
    table = words(book.config.meta.language, book.config.labels)
    entries, problems = _entries(book, rendered, numbered, table)
    problems += _unknown(book, rendered, entries)
    if uses and not numbered:
        problems.append(warning("xref.unnumbered", "the book has cross-references, but [build] number-figures is "
                                "false: they name what they point to without a number", CONFIG_NAME,
                                hint="remove number-figures = false, or the references"))
    page_references = book.config.pdf.page_references
    for chapter in book.chapters():
        page = rendered[chapter.id]
        own = {t.id: entries[t.id] for t in page.targets if t.kind != "sec" and t.id in entries and numbered}
        if not own and not page.crossrefs:
            continue
        html = _apply(page.html, own, entries, table, page_references)
        result[chapter.id] = replace(page, html=html, digest=digest(page.digest, html) if page.digest else "")
    return result, problems


def _entries(book: Book, rendered: Mapping[str, RenderedChapter], numbered: bool, table: Mapping[str, str]
             ) -> tuple[dict[str, Entry], list[Diagnostic]]:
    """Every label of the book, in reading order, with its number."""
    entries: dict[str, Entry] = {}
    places: dict[str, tuple[str, int | None]] = {}
    problems: list[Diagnostic] = []
    letters = _letters(book.back)
    running: Counter[str] = Counter()  # the count of pages without a chapter number or a letter
    for chapter in book.chapters():
        page = rendered[chapter.id]
        prefix = chapter.number if chapter.kind is Kind.CHAPTER and chapter.number else letters.get(chapter.id, "")
        counts = running if not prefix else Counter()
        subs: Counter[str] = Counter()
        for target in page.targets:
            if target.id in entries:
                where, line = places[target.id]
                problems.append(error("xref.duplicate", f"the label '{target.id}' is given twice; it is first given "
                                      f"at {where}:{line or '?'}", page.source, target.line,
                                      hint="labels are book-wide: rename one of them"))
                continue
            places[target.id] = (page.source, target.line)
            if target.kind == "sec":
                entries[target.id] = _section(chapter, page, target, prefix, table)
                continue
            word = table[target.kind]
            if not numbered:
                entries[target.id] = Entry(chapter.id, word, "", "")
                continue
            parent = entries.get(target.within) if target.within else None
            if parent is not None and parent.bare:
                subs[target.within] += 1
                letter = f"({numbering.letter(subs[target.within] - 1).lower()})"
                shown = f"{parent.bare}{letter}"
                entries[target.id] = Entry(chapter.id, join(table, word, shown), shown, letter)
                continue
            counts[target.kind] += 1
            number = f"{prefix}.{counts[target.kind]}" if prefix else str(counts[target.kind])
            shown = f"({number})" if target.kind == "eq" else number
            entries[target.id] = Entry(chapter.id, join(table, word, shown), shown,
                                       shown if target.kind == "eq" else join(table, word, number))
    return entries, problems


def _letters(back: tuple[Chapter, ...]) -> dict[str, str]:
    """The letter that prefixes a back-matter page's figures: its appendix letter when the book has
    appendices (its other back matter counts on unlettered), else its place (A for the first)."""
    if any(chapter.appendix for chapter in back):
        return {chapter.id: chapter.number for chapter in back if chapter.appendix and chapter.number}
    return {chapter.id: numbering.letter(n) for n, chapter in enumerate(back)}


def _section(chapter: Chapter, page: RenderedChapter, target: Target, prefix: str,
             table: Mapping[str, str]) -> Entry:
    heading = next((h for h in page.headings if h.id == target.id), None)
    if heading is None:
        return Entry(chapter.id, table["sec"], "", "")
    title = next((h for h in page.headings if h.level == 1), None) if page.has_title_heading else None
    if heading is title:
        if chapter.kind is Kind.CHAPTER and chapter.number:
            return Entry(chapter.id, table["chapter"] % {"number": chapter.number}, chapter.number, "")
        if chapter.appendix and chapter.number:
            return Entry(chapter.id, table["appendix"] % {"number": chapter.number}, chapter.number, "")
        return Entry(chapter.id, page.title, page.title, "")
    number = _section_numbers(page.headings, title).get(heading.id, "")
    if not prefix or not number:
        return Entry(chapter.id, heading.text, heading.text, "")
    return Entry(chapter.id, join(table, table["sec"], f"{prefix}.{number}"), f"{prefix}.{number}", "")


def _section_numbers(headings: tuple[Heading, ...], title: Heading | None) -> dict[str, str]:
    """Each heading's number within its chapter: "2" for the second ``##``, "2.1" for a ``###`` under it."""
    counters: list[int] = []
    numbers: dict[str, str] = {}
    for heading in headings:
        if heading is title:
            continue
        depth = max(heading.level - 2, 0)
        del counters[depth + 1:]
        counters += [0] * (depth + 1 - len(counters))
        counters[depth] += 1
        numbers[heading.id] = ".".join(str(n) for n in counters)
    return numbers


def _unknown(book: Book, rendered: Mapping[str, RenderedChapter], entries: Mapping[str, Entry]) -> list[Diagnostic]:
    """An error for each reference to a label no chapter has, with the labels it may have meant."""
    problems: list[Diagnostic] = []
    known = sorted(entries)
    for chapter in book.chapters():
        page = rendered[chapter.id]
        for ref in page.crossrefs:
            if ref.label in entries:
                continue
            kind = kind_of(ref.label) or "fig"
            close = difflib.get_close_matches(ref.label, known, n=3, cutoff=0.6)
            hint = ("did you mean " + " or ".join(f"'@{c}'" for c in close) + "?") if close \
                else HINTS[kind] % ref.label
            problems.append(error("xref.unknown", f"'@{ref.label}' refers to nothing: no {NAMES[kind]} of the book "
                                  f"has the id '{ref.label}'", page.source, ref.line, hint=hint))
    return problems


def _apply(html: str, own: Mapping[str, Entry], entries: Mapping[str, Entry], table: Mapping[str, str],
           page_references: bool) -> str:
    root = sanitize.parse(html, raw=False)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        ident = element.get("id")
        if ident is not None and ident in own:
            _number(element, str(kind_of(ident)), own[ident], table["caption"])
        if element.get("data-xref") is not None:
            _fill(element, entries, table["on page"], page_references)
    return sanitize.serialize(root)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _number(element: etree._Element, kind: str, entry: Entry, separator: str) -> None:
    """Put the number where a reader looks for it: in front of the caption, after an equation."""
    if kind == "eq":
        slot = next((c for c in element if _local(c) == "span" and c.get("class") == "eq-number"), None)
        if slot is not None:  # the math renderer's slot, after the formula (octavo/math.py)
            slot.text = entry.caption
            return
        # hand-written HTML: first, floated right by the style sheets, so it sits on the equation's line
        number = etree.Element("span", {"class": "equation-number"})
        number.text = entry.caption
        parent = element.getparent()
        if _local(element) in ("math", "img", "svg") and parent is not None:  # no HTML inside: just before
            parent.insert(parent.index(element), number)
        else:
            number.tail, element.text = element.text, None
            element.insert(0, number)
        return
    tag = _local(element)
    if tag not in ("figure", "table"):
        return
    caption_tag = "caption" if tag == "table" else "figcaption"
    caption = next((child for child in element if _local(child) == caption_tag), None)
    if caption is None:
        caption = etree.Element(caption_tag)
        caption.text = ""
        if tag == "table" or kind == "lst":
            element.insert(0, caption)
        else:
            element.append(caption)
    label = etree.Element("span", {"class": "caption-label"})
    label.text = entry.caption
    has_text = bool((caption.text or "").strip()) or len(caption)
    separator = " " if entry.caption.startswith("(") else separator
    label.tail = (separator if has_text else "") + (caption.text or "").lstrip()
    caption.text = None
    caption.insert(0, label)


def _fill(element: etree._Element, entries: Mapping[str, Entry], on_page: str, page_references: bool) -> None:
    label = str(element.get("data-xref"))
    bare = element.get("data-xref-form") == "bare"
    page = element.get("data-xref-page") is not None or page_references
    for name in XREF_ATTRIBUTES:
        element.attrib.pop(name, None)
    entry = entries.get(label)
    if entry is None:
        return  # reported by _unknown; the text stays as written
    element.text = entry.bare if bare and entry.bare else entry.text
    if _local(element) == "a":
        element.set("href", f"{XREF}{entry.chapter}#{label}")
    parent = element.getparent()
    if page and parent is not None:
        span = etree.Element("span", {"class": PAGE_CLASS, "data-label": on_page})
        span.tail, element.tail = element.tail, None
        parent.insert(parent.index(element) + 1, span)


def has_page_references(html: str) -> bool:
    """Whether a chapter says "on page N" anywhere, so the PDF lays it out again once pages are known."""
    return f'class="{PAGE_CLASS}"' in html

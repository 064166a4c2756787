"""The sample book's package document, navigation, NCX, one web page and PDF outline, page labels
and contents, against expected files in tests/golden/ that a reader can diff.

Dates and generated identifiers are masked, XML is indented one element a line. A change meant to
alter one of these files is made with OCTAVO_UPDATE_GOLDEN=1 (see tests/golden_files.py), which
rewrites it and still fails, so the run shows what changed.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, pdf_outline
from golden_files import GOLDEN, check
from lxml import etree
from pypdf import PdfReader

from octavo.writers.pdf.pages import roman

SAMPLE = ROOT / "book"
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
WEB_PAGE = "05-relationship-focus.html"  # a chapter with a figure, footnotes and links to other chapters


def masked(text: str) -> str:
    return UUID.sub("urn:uuid:(masked)", DATE.sub("(date)", text))


def indented(xml: bytes) -> str:
    """One element a line, indented, so a change shows as the lines it changes."""
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True))
    etree.indent(root, space="  ")
    return masked(etree.tostring(root, encoding="unicode")) + "\n"


@pytest.fixture(scope="module")
def epub(build_book: Callable[..., Path]) -> zipfile.ZipFile:
    return zipfile.ZipFile(next(build_book(SAMPLE, ("epub",)).glob("*.epub")))


@pytest.mark.parametrize("member", ["content.opf", "nav.xhtml", "toc.ncx"])
def test_epub_package_navigation_and_ncx(epub: zipfile.ZipFile, member: str) -> None:
    check(GOLDEN / "sample" / member, indented(epub.read(f"EPUB/{member}")))


def test_a_web_page(build_book: Callable[..., Path]) -> None:
    site = build_book(SAMPLE, ("epub", "web")) / "site"
    check(GOLDEN / "sample" / WEB_PAGE, masked((site / WEB_PAGE).read_text(encoding="utf-8")))


def runs(labels: list[str]) -> str:
    """``Cover, Inside cover, i–vi, 1–44``: page labels with their numbered runs shortened."""
    found: list[list[str]] = []
    for label in labels:
        run = found[-1] if found else None
        if run and (label == _next(run[-1])):
            run[1:] = [label]
        else:
            found.append([label])
    return ", ".join("–".join(run) for run in found)


def _next(label: str) -> str | None:
    if label.isdigit():
        return str(int(label) + 1)
    numbers = {roman(n): n for n in range(1, 200)}
    return roman(numbers[label] + 1) if label in numbers else None


def pdf_summary(path: Path) -> str:
    """The page labels, the outline with each entry's page label, and the contents as pdftotext
    lays them out: what a reader checks of a book's numbering, in a form a diff can show."""
    reader = PdfReader(path)
    labels = list(reader.page_labels)
    entries = pdf_outline(reader)
    contents = reader.get_destination_page_number(reader.named_destinations["octavo--contents"])
    end = min(page for _, title, page in entries if page > contents)
    text = subprocess.run(["pdftotext", "-layout", "-f", str(contents + 1), "-l", str(end), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines() if line.strip()]
    return "\n".join([f"# {len(labels)} pages, labelled", runs(labels), "", "# outline (page label)",
                      *(f"{'  ' * depth}{title} ({labels[page]})" for depth, title, page in entries), "",
                      "# contents (pdftotext -layout)", *lines]) + "\n"


def test_pdf_outline_page_labels_and_contents(build_book: Callable[..., Path]) -> None:
    check(GOLDEN / "sample" / "pdf.txt", pdf_summary(next(build_book(SAMPLE, ("pdf",)).glob("*.pdf"))))

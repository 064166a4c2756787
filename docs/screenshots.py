#!/usr/bin/env python3
"""Make the screenshots of docs/customizing.md: the sample book with each recipe applied.

Needs Debian's chromium and poppler-utils (pdftoppm). Run from the repository: python docs/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from octavo.options import resolve  # noqa: E402
from octavo.pipeline import build  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def book_with(recipe: str, work: Path) -> Path:
    book = work / recipe
    shutil.copytree(ROOT / "book", book)
    shutil.copytree(HERE / "recipes" / recipe, book, dirs_exist_ok=True)
    return book


def web_shot(page: Path, target: Path, width: int = 1100, height: int = 700) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(page.as_uri())
        tab.screenshot(path=str(target))
        browser.close()


def pdf_shot(pdf: Path, pages: tuple[int, int], target: Path) -> None:
    """Two pages side by side, as a spread."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as temp:
        images = []
        for number in pages:
            stem = Path(temp) / f"p{number}"
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile",
                            str(pdf), str(stem)], check=True)
            images.append(Image.open(f"{stem}.png"))
        width = sum(i.width for i in images) + 30
        sheet = Image.new("RGB", (width, max(i.height for i in images) + 20), "#888888")
        x = 10
        for image in images:
            sheet.paste(image, (x, 10))
            x += image.width + 10
        sheet.save(target)


def first_page_of(pdf: Path, text: str) -> int:
    from pypdf import PdfReader

    for number, page in enumerate(PdfReader(pdf).pages, 1):
        if text in " ".join((page.extract_text() or "").split()):
            return number
    raise SystemExit(f"{text!r} not found in {pdf}")


def main() -> None:
    out = HERE / "images"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        book = book_with("print-font-and-size", work)
        build(book, resolve(book, output=work / "print", formats=["pdf"]))
        pdf = work / "print" / "inner-leadership.pdf"
        start = first_page_of(pdf, "Work gets done through tasks")
        pdf_shot(pdf, (start, start + 1), out / "recipe-print.png")
        book = book_with("dark-web", work)
        build(book, resolve(book, output=work / "dark", formats=["web"]))
        web_shot(work / "dark" / "site" / "05-relationship-focus.html", out / "recipe-dark-web.png")
        book = book_with("chapter-opening", work)
        build(book, resolve(book, output=work / "opening", formats=["web"]))
        web_shot(work / "opening" / "site" / "05-relationship-focus.html", out / "recipe-chapter-opening.png")
    print(f"wrote the screenshots into {out}")


if __name__ == "__main__":
    main()

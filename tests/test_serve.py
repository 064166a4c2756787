"""``octavo serve``: a live preview on a free port, rebuilt when a chapter is saved, showing build
errors in the browser without stopping, and stopping cleanly."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, copy_book

from octavo.serve import VERSION_PATH, Preview, make_server, with_reload

CHAPTER = "part-1/01-what-is-inner-leadership.md"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def version(preview: Preview) -> int:
    return int(fetch(preview.url + VERSION_PATH.lstrip("/"))[1])


def save_and_wait(preview: Preview, path: Path, text: str, timeout: float = 30) -> None:
    """Write ``path`` and wait for the rebuild it causes; saves again if a change went unseen."""
    before = version(preview)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path.write_text(text, encoding="utf-8")
        resave = time.monotonic() + 5
        while time.monotonic() < resave:
            if version(preview) > before:
                return
            time.sleep(0.1)
    raise AssertionError(f"no rebuild within {timeout} s of saving {path.name}")


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[Preview]:
    book = copy_book(ROOT / "book", tmp_path / "book")
    with make_server(book, port=0, out=tmp_path / "out") as running:
        yield running


def test_serves_pages_with_the_reload_script_but_builds_clean_files(preview: Preview) -> None:
    status, html = fetch(preview.url)
    assert status == 200 and "<h1 class=\"book-title\">Inner Leadership</h1>" in html
    assert VERSION_PATH in html
    assert VERSION_PATH not in (preview.site / "index.html").read_text(encoding="utf-8")
    status, css = fetch(preview.url + "css/web.css")
    assert status == 200 and VERSION_PATH not in css
    assert fetch(preview.url + "no-such-page.html")[0] == 404


def test_saving_a_chapter_rebuilds_and_the_page_changes(preview: Preview) -> None:
    chapter = preview.book / CHAPTER
    page = preview.url + "01-what-is-inner-leadership.html"
    assert "quokka" not in fetch(page)[1]
    save_and_wait(preview, chapter, chapter.read_text(encoding="utf-8") + "\nA wandering quokka.\n")
    status, html = fetch(page)
    assert status == 200 and "A wandering quokka." in html


def test_a_broken_book_shows_its_errors_and_the_server_keeps_going(preview: Preview) -> None:
    config = preview.book / "book.toml"
    good = config.read_text(encoding="utf-8")
    save_and_wait(preview, config, good.replace('language = "en"', 'language = "<b>en"'))
    status, html = fetch(preview.url + "preface.html")
    assert status == 500
    assert "The book did not build" in html and "&lt;b&gt;en" in html and "<b>en" not in html
    assert VERSION_PATH in html  # so the page reloads itself once the book is fixed
    save_and_wait(preview, config, good)
    status, html = fetch(preview.url + "preface.html")
    assert status == 200 and "<h1" in html and "did not build" not in html


def test_stops_cleanly(tmp_path: Path) -> None:
    book = copy_book(ROOT / "book", tmp_path / "book")
    preview = make_server(book, port=0).start()
    url, out = preview.url, preview.out
    assert fetch(url)[0] == 200
    started = time.monotonic()
    preview.stop()
    assert time.monotonic() - started < 5
    assert not any(t.is_alive() for t in preview.threads)
    assert not out.exists()  # its own temporary build folder is removed
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_reload_script_goes_before_the_end_of_the_body() -> None:
    html = with_reload("<html><body><p>x</p></body></html>", 7)
    assert html.index(VERSION_PATH) < html.index("</body>") and '"7"' in html
    assert VERSION_PATH in with_reload("<p>fragment</p>", 1)


def test_an_open_page_reloads_itself_after_a_save(preview: Preview) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"the browser test needs Chromium at {chromium} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(preview.url + "01-what-is-inner-leadership.html")
        chapter = preview.book / CHAPTER
        save_and_wait(preview, chapter, chapter.read_text(encoding="utf-8") + "\nA reloading wombat.\n")
        page.wait_for_selector("text=A reloading wombat.", timeout=15_000)
        browser.close()


def test_serve_can_keep_the_epub_fresh_too(tmp_path: Path) -> None:
    """``octavo serve -f epub``: each save rebuilds the EPUB as well, and the site offers it."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    with make_server(book, port=0, formats=["epub", "web"], out=tmp_path / "out") as running:
        status, home = fetch(running.url)
        assert status == 200 and 'href="downloads/inner-leadership.epub"' in home
        chapter = running.book / CHAPTER
        save_and_wait(running, chapter, chapter.read_text(encoding="utf-8") + "\nA fresh numbat.\n")
        status, epub = fetch_bytes(running.url + "downloads/inner-leadership.epub")
        with zipfile.ZipFile(io.BytesIO(epub)) as package:
            assert "A fresh numbat." in package.read("EPUB/01-what-is-inner-leadership.xhtml").decode()


def fetch_bytes(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_serve_command_passes_its_formats_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from octavo import cli, serve

    asked: list[object] = []
    monkeypatch.setattr(serve, "serve", lambda *args: asked.append(args))
    book = copy_book(ROOT / "book", tmp_path / "book")
    result = CliRunner().invoke(cli.main, ["serve", str(book), "-f", "pdf", "-f", "epub", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert asked == [(book, "127.0.0.1", 0, False, ["epub", "pdf", "web"])]

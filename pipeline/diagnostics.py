"""Positions in the manuscript and the problems reported against them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


@dataclass(frozen=True, order=True)
class SourcePos:
    """A place in a manuscript file; line and col are 1-based, col 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        parts = [self.path]
        if self.line:
            parts.append(str(self.line))
            if self.col:
                parts.append(str(self.col))
        return ":".join(parts)


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    pos: SourcePos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.severity.value}: {self.message}"


class ManuscriptError(Exception):
    """The manuscript has problems; raised once with all of them collected."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.pos, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class Collector:
    """Gathers diagnostics across stages so an editor sees them all in one pass."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.items: list[Diagnostic] = []

    def error(self, pos: SourcePos, message: str) -> None:
        self.items.append(Diagnostic(Severity.ERROR, pos, message))

    def warning(self, pos: SourcePos, message: str) -> None:
        self.items.append(Diagnostic(Severity.WARNING, pos, message))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def promote_warnings(self) -> None:
        """--strict: every warning counts as an error."""
        self.items = [Diagnostic(Severity.ERROR, d.pos, d.message) for d in self.items]

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ManuscriptError(self.items)

"""Positions in the manuscript and the problems reported against them.

A position names its file relative to the manuscript folder ("chapter-1.md", "book.yaml"), or
by its absolute path for a file outside it (the pipeline's style sheet): what the model and the
cache keep does not depend on where the shell stands. Only `Diagnostic.shown` (the CLI, the web
page) turns it into a path for the terminal, relative to the working folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable


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

    def shown(self, folder: Path | None) -> str:
        """PATH:LINE:COL: severity: message, the path as the editor's shell names it."""
        path = self.pos.path
        if path and (folder is not None or os.path.isabs(path)):
            path = display_path(Path(path) if folder is None else folder / path)
        return f"{SourcePos(path, self.pos.line, self.pos.col)}: {self.severity.value}: {self.message}"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it can be. A link is named as itself, not
    as what it points at (that may be outside, and is not the editor's name)."""
    absolute = Path(os.path.abspath(path))
    for cwd in (Path(os.getcwd()), Path.cwd().resolve()):
        if absolute.is_relative_to(cwd):
            return str(absolute.relative_to(cwd))
    return str(path)


class ManuscriptError(Exception):
    """The manuscript has problems; raised once with all of them collected."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(unique(diagnostics), key=lambda d: (d.pos, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per (position, message), in order; an error wins over a warning. A safety
    net: each stage reports a problem once, but one text can be walked more than once."""
    kept: dict[tuple[SourcePos, str], Diagnostic] = {}
    for d in diagnostics:
        old = kept.get((d.pos, d.message))
        if old is None or (d.severity is Severity.ERROR and old.severity is not Severity.ERROR):
            kept[(d.pos, d.message)] = d
    return list(kept.values())


class Collector:
    """Gathers diagnostics across stages so an editor sees them all in one pass, each once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.items: list[Diagnostic] = []
        self._at: dict[tuple[SourcePos, str], int] = {}  # (pos, message) -> index in items

    def add(self, d: Diagnostic) -> None:
        at = self._at.get((d.pos, d.message))
        if at is None:
            self._at[(d.pos, d.message)] = len(self.items)
            self.items.append(d)
        elif d.severity is Severity.ERROR:  # the same words as a warning before: it counts as an error
            self.items[at] = d

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in diagnostics:
            self.add(d)

    def error(self, pos: SourcePos, message: str) -> None:
        self.add(Diagnostic(Severity.ERROR, pos, message))

    def warning(self, pos: SourcePos, message: str) -> None:
        self.add(Diagnostic(Severity.WARNING, pos, message))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def promote_warnings(self) -> None:
        """--strict: every warning counts as an error."""
        self.items = [Diagnostic(Severity.ERROR, d.pos, d.message) for d in self.items]

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ManuscriptError(self.items)

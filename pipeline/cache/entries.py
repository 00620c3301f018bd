"""Every kind of entry the build cache holds, each as a frozen dataclass of its declared inputs.

An entry's key is made by pipeline.cache.store from all of its fields, the entry's kind and the
pipeline's version (code and dependencies), in one place: a field cannot be left out of its
key, and no caller mixes the version in by hand. Cache.get and Cache.put take only these.
Fields are text, bytes, numbers, tuples of those, or frozen dataclasses of those (rendering
options); a function (an option that computes something) counts by its qualified name, and
what it reads must be a field beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pipeline.render.html import HtmlOptions


class Entry:
    KIND: ClassVar[str]  # the entry's folder in the cache, and part of its key and its HMAC


@dataclass(frozen=True)
class WholeBuild(Entry):
    """A whole build's manifest: file names -> OutputFile digests, pages, diagnostics (build/whole.py)."""

    KIND = "build"
    inputs: str  # cache.inputs_key: every file the build reads, and its settings


@dataclass(frozen=True)
class OutputFile(Entry):
    """One written file's bytes, by their SHA-256 (whole builds share unchanged files)."""

    KIND = "output"
    sha256: str


@dataclass(frozen=True)
class Cover(Entry):
    """The typographic EPUB cover's PNG."""

    KIND = "cover"
    title: str
    subtitle: str
    authors: tuple[str, ...]
    publisher: str
    styles: str  # cache.tree_digest of the styles folder
    fonts: tuple[str, ...]  # digests of the font files


@dataclass(frozen=True)
class ChapterMarkup(Entry):
    """One chapter's EPUB markup."""

    KIND = "section"
    fingerprint: str  # fingerprint.chapter_fingerprint
    options: HtmlOptions
    targets: str  # every id of the book and its chapter, for a chapter with links ("" without)


@dataclass(frozen=True)
class Deflated(Entry):
    """An EPUB file's DEFLATE stream, by the SHA-256 of its bytes."""

    KIND = "deflate"
    sha256: str


@dataclass(frozen=True)
class ParsedChapter(Entry):
    """A chapter parsed and through the one-chapter passes, with its diagnostics (a pickle)."""

    KIND = "chapter"
    book: str  # digest of what every chapter depends on: book.yaml, titles, images, references
    path: str  # the chapter file, relative to the manuscript folder
    text: bytes


@dataclass(frozen=True)
class FrontMatter(Entry):
    """A YAML mapping parsed at one place of one file (a pickle)."""

    KIND = "yaml"
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class PdfSection(Entry):
    """A section of the print book laid out from one first folio."""

    KIND = "pdf-section"
    context: str  # render/pdf/sections.context_key: styles, fonts, images, the document's head
    body: str
    first_folio: int


@dataclass(frozen=True)
class PdfPages(Entry):
    """A laid-out section's page count and page-break fixes, whatever its first folio."""

    KIND = "pdf-pages"
    context: str
    body: str


@dataclass(frozen=True)
class PrintedReading(Entry):
    """A section's pages read back from the PDF written: their words (check/readings.py)."""

    KIND = "pdf-words"
    section: str  # digest of the section's PDF (render/pdf/facts.PrintedSection)
    profile: str  # the print profile, whose finisher adds to the pages


@dataclass(frozen=True)
class PrintedColours(Entry):
    """The colour spaces each page of a section paints with, read back from the PDF written."""

    KIND = "pdf-colours"
    section: str
    profile: str


@dataclass(frozen=True)
class PrintedFindings(Entry):
    """The completeness findings of the chapters a section holds, pages numbered from its first."""

    KIND = "completeness"
    section: str
    profile: str
    chapters: str  # digest of the chapters' model (text and positions)

"""The built PDF read back a section at a time: the colours each page paints with, the words of
each section's pages (poppler's pdftotext) and the completeness findings of the chapters it
holds, each cached by the section's bytes and the profile. After an edit, only the pages of
the sections laid out again are read and checked again.

The pages are read from the PDF as written (merge.py copies each section's pages, content and
all, and a printer's finisher adds to them), at each section's place in it; pages no section
holds (the blank pages the merge adds) are read on every build.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cache.entries import PrintedColours, PrintedFindings, PrintedReading
from pipeline.cache.store import Cache, digest
from pipeline.check import completeness
from pipeline.check.completeness import Finding
from pipeline.check.pdf_words import PdfWords, pdf_words
from pipeline.diagnostics import SourcePos
from pipeline.model import Document
from pipeline.render.pdf.facts import LayoutFacts, PrintedSection


@dataclass(frozen=True)
class ReadBack:
    """The PDF's pages read back: the completeness findings (or why there are none), and the
    colours of every page."""

    findings: list[Finding] | str  # str: why the words could not be read
    colours: list[dict[str, int]]


class NotRead(Exception):
    """pdftotext could not read the PDF (not installed, or it failed): the reason."""


def read_back(doc: Document, facts: LayoutFacts, pdf: bytes, parts: tuple[PrintedSection, ...], profile: str,
              cache: Cache, page_colours: Callable[[int], dict[str, int]],
              trims: list[tuple[float, float, float, float]]) -> ReadBack:
    """page_colours(i): the colours page i (0-based) of `pdf` paints with, read there; trims:
    each page's trim box in pdftotext's coordinates. A section's words are read (or taken from
    the cache) only when its findings are not cached."""
    starts = completeness.chapter_pages(doc, [p.sections for p in facts.pages])
    colours: dict[int, dict[str, int]] = {}
    found: list[Finding] = []
    todo: list[tuple[int, PrintedFindings | None]] = []  # parts whose pages are to be read or checked
    for i, part in enumerate(parts):
        end = part.first_page + part.pages
        chapters = tuple(ch for ch in doc.chapters if ch.id in starts and part.first_page <= starts[ch.id][0] < end)
        entry = PrintedFindings(part.digest, profile, digest(*(repr(ch) for ch in chapters))) if chapters else None
        known = cache.get_json(PrintedColours(part.digest, profile))
        checked = cache.get_json(entry) if entry is not None else []
        if isinstance(known, list) and isinstance(checked, list):
            colours.update((part.first_page - 1 + k, dict(c)) for k, c in enumerate(known))
            found += [_finding(f, part.first_page - 1) for f in checked]
        else:
            todo.append((i, entry))
    try:
        words = _words(pdf, parts, [i for i, _ in todo], profile, cache)
    except NotRead as exc:
        return ReadBack(str(exc), [page_colours(i) for i in range(len(facts.pages))])
    for i, entry in todo:
        part = parts[i]
        end = part.first_page + part.pages
        own = [page_colours(k) for k in range(part.first_page - 1, end - 1)]
        colours.update((part.first_page - 1 + k, c) for k, c in enumerate(own))
        cache.put_json(PrintedColours(part.digest, profile), own)
        if entry is None:
            continue
        chapters = tuple(ch for ch in doc.chapters if ch.id in starts and part.first_page <= starts[ch.id][0] < end)
        pages = [p.sections for p in facts.pages[part.first_page - 1:end - 1]]
        checked = completeness.check(dataclasses.replace(doc, chapters=chapters), words[i], pages,
                                     trims[part.first_page - 1:end - 1])
        cache.put_json(entry, [_json(f) for f in checked])
        found += [dataclasses.replace(f, page=f.page + part.first_page - 1) for f in checked]
    # Pages no section holds (the merge's blank pages) are read on every build.
    every = [colours[i] if i in colours else page_colours(i) for i in range(len(facts.pages))]
    return ReadBack(sorted(found, key=lambda f: f.page), every)


def _words(pdf: bytes, parts: tuple[PrintedSection, ...], wanted: list[int], profile: str,
           cache: Cache) -> dict[int, PdfWords]:
    """The words of each wanted part, numbered from its first page: from the cache, or read
    from `pdf` by pdftotext, one run of it for each run of consecutive parts not cached."""
    found: dict[int, PdfWords] = {}
    for i in wanted:
        data = cache.get_json(PrintedReading(parts[i].digest, profile))
        if isinstance(data, dict):
            found[i] = PdfWords.from_json(data)
    missing = [i for i in wanted if i not in found]
    if not missing:
        return found
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.pdf"
        path.write_bytes(pdf)
        for run in _runs(missing):
            first, last = parts[run[0]].first_page, parts[run[-1]].first_page + parts[run[-1]].pages - 1
            try:
                words = pdf_words(path, first, last)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise NotRead(f"pdftotext failed ({exc})") from exc
            if words is None:
                raise NotRead("pdftotext (Debian's poppler-utils) is not installed")
            for i in run:
                found[i] = words.pages(parts[i].first_page, parts[i].first_page + parts[i].pages - 1, first)
                cache.put_json(PrintedReading(parts[i].digest, profile), found[i].to_json())
    return found


def _runs(indices: list[int]) -> list[list[int]]:
    """Consecutive indices grouped: each group is read by one pdftotext."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _json(f: Finding) -> dict[str, Any]:
    return {"kind": f.kind, "page": f.page, "pos": [f.pos.path, f.pos.line, f.pos.col], "message": f.message}


def _finding(data: dict[str, Any], shift: int) -> Finding:
    return Finding(data["kind"], data["page"] + shift, SourcePos(*data["pos"]), data["message"])

"""The words of a built PDF, with their boxes and lines: what print set, read back.

Poppler's `pdftotext -tsv` (Debian's poppler-utils, which the Makefile installs) gives each
word with its box and line, fast (a fraction of a second for a book of a few hundred pages).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.check.poppler import run_on_pdf

_NOT_KEY = re.compile(r"[\W_]+")


_keys: dict[str, str] = {}


_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]+")  # Hebrew, Arabic, Syriac, Thaana...


def _either_way(run: re.Match[str]) -> str:
    return min(run[0], run[0][::-1])


def key(word: str) -> str:
    """What two printings of a word share: its letters and digits, case folded, and a run of
    right-to-left letters the same read either way (poppler gives them in the order they are
    drawn, right to left: "مهاوخیم" for "میخواهم")."""
    found = _keys.get(word)
    if found is None:
        found = _NOT_KEY.sub("", unicodedata.normalize("NFKC", word).casefold())
        found = _keys[word] = _RIGHT_TO_LEFT.sub(_either_way, found)
    return found


@dataclass
class PdfWords:
    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    page: list[int] = field(default_factory=list)  # 1-based
    line: list[int] = field(default_factory=list)  # a number per line of the book
    box: list[tuple[float, float, float, float]] = field(default_factory=list)  # left, top, right, bottom (pt)
    page_sizes: list[tuple[float, float]] = field(default_factory=list)

    def first_on_page(self, page: int) -> int:
        return bisect_left(self.page, page)

    def pages(self, first: int, last: int, first_read: int = 1) -> PdfWords:
        """The words of pages first..last, numbered from 1; `first_read`: the first page these
        words were read from (page_sizes[0] is its size)."""
        a, b = self.first_on_page(first), self.first_on_page(last + 1)
        return PdfWords(self.keys[a:b], self.texts[a:b], [p - first + 1 for p in self.page[a:b]], self.line[a:b],
                        self.box[a:b], self.page_sizes[first - first_read:last - first_read + 1])

    def to_json(self) -> dict[str, Any]:
        return {"keys": self.keys, "texts": self.texts, "page": self.page, "line": self.line, "box": self.box,
                "page_sizes": self.page_sizes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PdfWords:
        return cls(data["keys"], data["texts"], data["page"], data["line"], [tuple(b) for b in data["box"]],
                   [tuple(s) for s in data["page_sizes"]])


def parse_tsv(tsv: str) -> PdfWords:
    """pdftotext -tsv: a row a page (level 1), line (4) and word (5); boxes from the top left
    corner of the page's MediaBox, in points."""
    words = PdfWords()
    line = 0
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t", 11)
        if len(cells) < 12:
            continue
        level = cells[0]
        if level == "1":
            words.page_sizes.append((float(cells[8]), float(cells[9])))
        elif level == "4":
            line += 1
        elif level == "5":
            left, top, width, height = (float(c) for c in cells[6:10])
            for word in cells[11].split():
                if k := key(word):
                    words.keys.append(k)
                    words.texts.append(word)
                    words.page.append(int(cells[1]))
                    words.line.append(line)
                    words.box.append((left, top, left + width, top + height))
    return words


def pdf_words(pdf: bytes | Path, first: int = 0, last: int = 0) -> PdfWords | None:
    """The PDF's words (of pages first..last, 1-based, when given; still numbered as in the
    whole file), or None when poppler's pdftotext is not installed."""
    pages = ["-f", str(first), "-l", str(last)] if first else []
    tsv = run_on_pdf("pdftotext", pdf, ["-q", "-tsv", "-enc", "UTF-8", *pages], ["-"])
    return parse_tsv(tsv.decode("utf-8", "replace")) if tsv is not None else None


def trim_boxes(pdf: Any) -> list[tuple[float, float, float, float]]:
    """Each page's TrimBox in pdftotext's coordinates: points from the MediaBox's top left
    (pdf: a pikepdf.Pdf)."""
    out = []
    for page in pdf.pages:
        media_left, _, _, media_top = (float(v) for v in page.mediabox)
        left, bottom, right, top = (float(v) for v in page.trimbox)
        out.append((left - media_left, media_top - top, right - media_left, media_top - bottom))
    return out

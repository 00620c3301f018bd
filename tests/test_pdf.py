"""The print PDF, read back with pypdf: geometry, fonts, notes, contents, outline, metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from pipeline.diagnostics import Collector
from pipeline.load import load_normalised
from pipeline.read.meta import TRIMS
from pipeline.model import Note
from pipeline.check.validate import pdf_report
from pipeline.walk import iter_block_inlines, plain_text

from conftest import MANUSCRIPT, Built

PT_PER_MM = 72 / 25.4
CALL_SIZE = (6.5, 7.5)  # note calls: 7 pt
NOTE_SIZE = (8.3, 8.7)  # note text: 8.5 pt


def chunks(page: pypdf.PageObject) -> list[tuple[str, float]]:
    """(text, effective font size) pairs in content order."""
    out: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            out.append((text, abs(size * tm[3] * cm[3]) or size))

    page.extract_text(visitor_text=visit)
    return out


@pytest.fixture(scope="module")
def reader(anthology: Built) -> pypdf.PdfReader:
    return pypdf.PdfReader(anthology.pdf)


@pytest.fixture(scope="module")
def labels(reader: pypdf.PdfReader) -> list[str]:
    """The folio printed on each page ('' where none), read from the page's last line."""
    out = []
    for page in reader.pages:
        lines = [l.strip() for l in page.extract_text().splitlines() if l.strip()]
        last = lines[-1] if lines else ""
        out.append(last if re.fullmatch(r"\d+|[ivxlc]+", last) else "")
    return out


def test_page_size_is_the_trim(reader: pypdf.PdfReader) -> None:
    w, h = TRIMS["demy"]
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(w * PT_PER_MM, abs=0.1)
        assert float(page.mediabox.height) == pytest.approx(h * PT_PER_MM, abs=0.1)


def test_only_the_book_face_and_all_embedded(anthology: Built) -> None:
    report = pdf_report(anthology.pdf)
    assert report.fonts and not report.unembedded
    assert all(f.startswith("Book-Garamond") for f in report.fonts), report.fonts


def test_every_note_on_the_page_of_its_call(reader: pypdf.PdfReader) -> None:
    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    expected = {}  # (chapter index, n) -> first words of the note
    for ci, ch in enumerate(doc.chapters):
        for block in ch.blocks:
            for item in iter_block_inlines(block, into_notes=False):
                if isinstance(item, Note):
                    expected[(ci, item.number)] = " ".join(plain_text(item.blocks[0].inlines).split()[:3])  # type: ignore[attr-defined]
    assert len(expected) == 29

    # Where each chapter starts, from the PDF's own outline.
    starts = {item.title: reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)}
    first_pages = [starts[ch.meta.title] for ch in doc.chapters]
    found: dict[tuple[int, int], int] = {}
    for pno, page in enumerate(reader.pages):
        chapter = max((ci for ci, first in enumerate(first_pages) if first <= pno), default=-1)
        parts = chunks(page)
        calls = [int(t) for t, s in parts if CALL_SIZE[0] <= s <= CALL_SIZE[1] and t.strip().isdigit()]
        # compared without white space: the PDF's text runs split words and spaces freely
        note_text = "".join("".join(t.split()) for t, s in parts if NOTE_SIZE[0] <= s <= NOTE_SIZE[1])
        for n in calls:
            key = (chapter, n)
            assert key in expected, (pno + 1, key)
            assert "".join(expected[key].split()) in note_text, f"page {pno + 1}: note {n} text '{expected[key]}' not on the page of its call"
            found[key] = pno + 1
    assert set(found) == set(expected)


def test_contents_page_numbers_match_openers_on_odd_pages(reader: pypdf.PdfReader, labels: list[str]) -> None:
    contents = next(p for p in reader.pages if "contents" in p.extract_text().lower()[:40])
    entries = re.findall(r"^(.+?)[ .\u00a0]+(\d+)$", contents.extract_text(), flags=re.M)
    titles = {"Living Hell", "The Darker the Night, the Brighter the Star", "Note on the Text"}
    listed = {title.strip(): int(n) for title, n in entries}
    assert {t.lower() for t in listed} >= {t.lower() for t in titles} or len(listed) >= 3, listed
    for title, folio in listed.items():
        index = labels.index(str(folio))
        page_text = reader.pages[index].extract_text()
        assert title.split()[0].lower() in page_text.lower(), (title, folio)
        if title != "Note on the Text":
            assert (index + 1) % 2 == 1, f"{title} opens on page {index + 1}, a left-hand page"


def test_folios_roman_then_arabic(labels: list[str]) -> None:
    numbered = [l for l in labels if l]
    first_arabic = next(i for i, l in enumerate(numbered) if l.isdigit())
    assert all(not l.isdigit() for l in numbered[:first_arabic]) and numbered[first_arabic] in ("1", "2", "3")
    arabic = [int(l) for l in numbered[first_arabic:]]
    assert arabic == sorted(arabic)


def test_outline_and_metadata(anthology: Built, reader: pypdf.PdfReader) -> None:
    report = pdf_report(anthology.pdf)
    assert report.title == "The Darker the Night, the Brighter the Star"
    assert report.tagged
    assert "Living Hell" in report.outline or "Living hell" in report.outline
    assert "Note on the Text" in report.outline
    meta = reader.metadata
    assert "Tony Cliff" in meta.author and "Paul Le Blanc" in meta.author
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_running_heads(reader: pypdf.PdfReader) -> None:
    texts = [p.extract_text() for p in reader.pages]
    verso_heads = sum(1 for t in texts if t and "the darker the night" in t.lower().splitlines()[0])
    assert verso_heads >= 3


def test_text_is_hyphenated(reader: pypdf.PdfReader) -> None:
    """hyphens: auto with each chapter's language: justified lines end in inserted hyphens."""
    ends = sum(len(re.findall("\u2010\n", p.extract_text())) for p in reader.pages)
    assert ends >= 10

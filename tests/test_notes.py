"""Notes as people write them: called twice, nested, in headings, odd labels, any definition order."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from pipeline.check.validate import run_epubcheck

from conftest import Built, build_into

X = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
CHAPTER = """---
title: "A"
---
First call.[^x] Second call of the same note.[^x] A nested one.[^outer] Odd label.[^my odd label!]

## A heading with a note[^h]

Text.

[^h]: Heading note.
[^my odd label!]: Odd-label note.
[^x]: The shared note.
[^outer]: Outer note, which calls another.[^inner]
[^inner]: Inner note.
"""


@pytest.fixture(scope="module")
def notes_book(tmp_path_factory: pytest.TempPathFactory) -> Built:
    src = tmp_path_factory.mktemp("notes-src")
    (src / "book.yaml").write_text("title: Notes Test\ndate: '2024-01-01'\n")
    (src / "a.md").write_text(CHAPTER)
    return build_into(src, tmp_path_factory.mktemp("notes-out"), "notes-test")


def test_epub_notes(notes_book: Built) -> None:
    assert run_epubcheck([notes_book.epub])[notes_book.epub].clean
    with zipfile.ZipFile(notes_book.epub) as z:
        doc = etree.fromstring(z.read("EPUB/text/a.xhtml"))
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    refs = [(r.get("id"), r.text) for r in doc.findall(".//x:a[@epub:type='noteref']", X)]
    assert refs == [("a-noteref-1", "1"), ("a-noteref-1-2", "1"), ("a-noteref-2", "2"), ("a-noteref-4", "4"),
                    ("a-noteref-5", "5"), ("a-noteref-3", "3")]
    asides = doc.findall(".//x:aside", X)
    assert [a.get("id") for a in asides] == [f"a-note-{n}" for n in range(1, 6)]  # one aside per note, in order
    backs = [b.get("href") for b in asides[0].findall(".//x:a[@role='doc-backlink']", X)]
    assert backs == ["#a-noteref-1", "#a-noteref-1-2"]  # a note called twice links back to both calls
    texts = ["".join(a.itertext()) for a in asides]
    assert "Inner note." in texts[2] and "Odd-label note." in texts[3] and "Heading note." in texts[4]
    labels = ["".join(a.itertext()) for a in nav.findall(".//x:nav[@epub:type='toc']//x:a", X)]
    assert "A heading with a note" in labels  # the note's number stays out of the contents


def test_pdf_notes(notes_book: Built) -> None:
    reader = pypdf.PdfReader(notes_book.pdf)
    text = "\n".join(p.extract_text() for p in reader.pages)
    for line in ("1. The shared note.", "2. Outer note, which calls another.3", "3. Inner note.",
                 "4. Odd-label note.", "5. Heading note."):
        assert line in text
    assert text.count("The shared note.") == 1
    outline = [o["/Title"] for o in reader.outline if isinstance(o, dict)] + \
              [o["/Title"] for sub in reader.outline if isinstance(sub, list) for o in sub]
    assert "A heading with a note" in outline

"""Notes and tables, as a scholarly book has them (Keynes's The Economic Consequences of the
Peace, in the corpus): a note called in a cell of a raw HTML table, a note that is a table
(raw HTML indented under its label), a note called in that table. Each reaches both editions,
in print at the foot of the page of the note that calls it, and the text-completeness check
reads tables whose words a PDF's text gives in another order."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.check import pdf_words
from pipeline.cli import main
from pipeline.diagnostics import Collector
from pipeline.model import Note, Table
from pipeline.read.parse import parse_body
from pipeline.walk import iter_blocks

from conftest import FIXTURES, Built

SLUG = "a-tiny-book"
OUTER = 8  # notes that are tables, each with a call of a note in a cell


def paragraph(k: int) -> str:
    return " ".join(f"para{k}w{i}" if i % 9 == 0 else "words of the running text" for i in range(40))


def table_note(k: int) -> str:
    rows = "\n".join(f"    <tr><td>19{k}{r}</td><td>Estimate{k}x{r}</td><td>{r},500,000,000"
                     + (f"[^in{k}]" if r == 2 else "") + "</td></tr>" for r in range(5))
    return f"[^tab{k}]:\n\n    <table>\n    <tbody>\n{rows}\n    </tbody>\n    </table>\n\n[^in{k}]: Inner{k} note for investments other than securities.\n"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Built:
    src = tmp_path_factory.mktemp("tables") / "tiny"
    shutil.copytree(FIXTURES / "tiny", src)
    body = ["We are finally left with the following:", "",
            "<table>\n<tbody>\n<tr><td>Belgium</td><td>$2,500,000,000[^cell]</td></tr>\n"
            "<tr><td>France</td><td>4,000,000,000</td></tr>\n</tbody>\n</table>", ""]
    for k in range(3 * OUTER):  # a note every third paragraph: some fall at a page's foot
        body += [paragraph(k) + (f" Called here.[^tab{k // 3}]" if k % 3 == 2 else ""), ""]
    notes = ["[^cell]: The note called in the cell of Belgium.", ""] + [table_note(k) for k in range(OUTER)]
    second = src / "second.md"
    second.write_text(second.read_text() + "\n" + "\n".join(body) + "\n" + "\n".join(notes))
    out = src.parent / "out"
    assert main(["build", str(src), "-o", str(out)]) == 0
    return Built(src, out, out / f"{SLUG}.epub", out / f"{SLUG}.pdf")


def test_a_call_in_a_cell_and_a_table_in_a_note_are_read() -> None:
    text = ("<table>\n<tr><td>Belgium</td><td>$2,500,000,000[^a]</td></tr>\n</table>\n\n"
            "Text.[^b]\n\n[^a]: In a cell.\n\n[^b]:\n\n    <table>\n    <tr><td>1905</td><td>4,000,000,000[^c]</td></tr>\n"
            "    </table>\n\n[^c]: In a note's table.\n")
    diags = Collector()
    blocks = parse_body(text, "t.md", 1, diags)
    assert diags.items == []
    cell = blocks[0].body[0][1].inlines
    assert isinstance(cell[-1], Note) and cell[-1].label == "a"
    note_b = next(i for i in blocks[1].inlines if isinstance(i, Note))
    table = note_b.blocks[0]
    assert isinstance(table, Table) and isinstance(table.body[0][1].inlines[-1], Note)
    assert table.body[0][1].inlines[-1].label == "c"


def test_every_note_is_in_the_epub(book: Built) -> None:
    with zipfile.ZipFile(book.epub) as z:
        chapter = next(z.read(n).decode() for n in z.namelist() if "second" in n and n.endswith(".xhtml"))
    assert re.search(r"<td>\$2,500,000,000<a [^>]*epub:type=\"noteref\"", chapter)
    assert "The note called in the cell of Belgium." in chapter
    for k in range(OUTER):
        assert f"Estimate{k}x4" in chapter and f"Inner{k} note" in chapter


def test_print_sets_a_note_table_as_rows_and_each_inner_note_under_its_note(book: Built) -> None:
    report = json.loads((book.out / f"{SLUG}-preflight.json").read_text())
    assert report["checks"]["text_completeness"] == 0, report["problems"]
    words = pdf_words.pdf_words(book.pdf.read_bytes())
    assert words is not None, "pdftotext (poppler-utils) is needed"
    where = {text: (page, line) for text, page, line in zip(words.texts, words.page, words.line)}
    for k in range(OUTER):
        row = [where[f"19{k}2"], where[f"Estimate{k}x2"]]
        assert row[0] == row[1], "a row of the note's table on one line"
        note_page = where[f"Estimate{k}x0"][0]
        inner = next((page, line) for text, page, line in zip(words.texts, words.page, words.line)
                     if text.startswith(f"Inner{k}"))
        assert inner[0] == note_page, f"note in{k} on the page of the note that calls it"
        assert inner[1] > where[f"Estimate{k}x4"][1], "and after it"


def test_the_check_finds_a_table_read_out_of_order() -> None:
    """The words of a table, given by the PDF column by column, are all found; the words of
    the note after it are not taken for them."""
    from pipeline.check.completeness import _Block, _Stream, _table_words
    from pipeline.check.word_alignment import align
    from pipeline.diagnostics import SourcePos

    stream = _Stream()
    stream.add("Before the table", _Block(SourcePos("t.md", 1), "this paragraph", True))
    for cell in ("1913", "140,355", "1914", "106,705", "Total", "247,060"):
        stream.add(cell, _Block(SourcePos("t.md", 2), "this paragraph", False, any_order=True))
    stream.add("after it", _Block(SourcePos("t.md", 3), "this paragraph", True))
    pdf = [pdf_words.key(w) for w in "Before the table 1913 1914 Total 140,355 106,705 247,060 after it".split()]
    match = align(stream.keys, pdf)
    assert -1 in match.token, "in order, the columns are not all found"
    _table_words(stream, pdf, match, set())
    assert -1 not in match.token
    assert sorted(match.token) == list(range(len(pdf)))

"""Print never loses, hides or glues text (issue 13, section 1): the text-completeness check in
preflight (pipeline/check/completeness.py), and the long note continued overleaf (note_split).

Each defect is built as a real book, first as the pipeline printed it before (the fix turned
off by a monkeypatch: the check must report it, naming the chapter file and line), then as it
prints now: every word of the note in the PDF's text, in order, inside the trim box.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import lxml.html
import pikepdf
import pytest

from pipeline.check import completeness
from pipeline.check import pdf_words
from pipeline.cli import main
from pipeline.model import Block, BlockQuote, Para
from pipeline.read.parse_extensions import IndentedFences
from pipeline.render import html
from pipeline.render.pdf import note_split
from pipeline.walk import iter_block_inlines

from conftest import Built

SLUG = "a-tiny-book"
VOCABULARY = ("the revolution was betrayed by a bureaucracy whose interests ran against those of the "
              "workers and peasants in every land where Darwin had walked before history").split()


def prose(words: int, tag: str) -> str:
    """Words of a plain vocabulary; every tenth carries a tag (q3x40: paragraph 3, word 40), so
    a word can be found, once, in the PDF."""
    return " ".join(f"{tag}{i}" if i % 10 == 0 else VOCABULARY[(i * 7 + len(tag)) % len(VOCABULARY)]
                    for i in range(words))


def long_note_book(tiny: Path) -> tuple[Path, list[str]]:
    """The shape seen in a real manuscript: a note of an introductory paragraph and a block
    quote of seven paragraphs, 1,112 words, called on a short chapter's first page."""
    quote = "\n    >\n".join(f"    > {prose(146, f'q{k}x')}" for k in range(7))
    note = f"[^long]: {prose(90, 'intro')}\n\n{quote}\n"
    second = tiny / "second.md"
    text = second.read_text().replace("with its own notes.[^1]", "with its own notes.[^1] A lengthy one.[^long]")
    second.write_text(f"{text}\n{note}")
    tags = [f"intro{i}" for i in range(0, 90, 10)] + [f"q{k}x{i}" for k in range(7) for i in range(0, 146, 10)]
    return tiny, tags


def quote_note_book(tiny: Path) -> Path:
    second = tiny / "second.md"
    note = "[^q]: A note that quotes two paragraphs:\n\n    > The first paragraph ends here.\n    >\n    > Thereafter a second paragraph.\n"
    text = second.read_text().replace("And a second.[^2]", "And a second.[^2] A quoting one.[^q]")
    second.write_text(f"{text}\n{note}")
    return tiny


def flattened(self: html.Renderer, blocks: tuple[Block, ...], classes: str, marker: str = "", lang: str = "") -> list[str]:
    """The print note as rendered before: a block quote's paragraphs run into one span."""
    return [f'<span class="note-p">{self.inlines(b.inlines if isinstance(b, Para) else tuple(iter_block_inlines(b, False)))}</span>'
            for b in blocks]


@pytest.fixture
def before_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(note_split, "plan", lambda pages, fixes: fixes)
    monkeypatch.setattr(html.Renderer, "note_paragraphs", flattened)


def build(source: Path, out: Path, *args: str) -> int:
    return main(["build", str(source), "-o", str(out), "--only", "pdf", *args])


def report(out: Path) -> dict:
    return json.loads((out / f"{SLUG}-preflight.json").read_text())


def found(out: Path, check: str = "text_completeness") -> list[dict]:
    return [p for p in report(out)["problems"] if p["check"] == check]


def words_in_trim(pdf: Path) -> list[tuple[int, int, str]]:
    """(page, line, text) of each PDF word printed inside its page's trim box."""
    data = pdf.read_bytes()
    words = pdf_words.pdf_words(data)
    assert words is not None, "pdftotext (poppler-utils) is needed"
    trims = pdf_words.trim_boxes(pikepdf.open(io.BytesIO(data)))
    out = []
    for text, page, line, (left, top, right, bottom) in zip(words.texts, words.page, words.line, words.box):
        tl, tt, tr, tb = trims[page - 1]
        if left >= tl - 0.5 and right <= tr + 0.5 and top >= tt - 0.5 and bottom <= tb + 0.5:
            out.append((page, line, text))
    return out


def test_the_check_reports_a_long_note_printed_off_the_page(tiny: Path, tmp_path: Path, before_the_fix: None) -> None:
    book, tags = long_note_book(tiny)
    assert build(book, tmp_path) == 0  # a proof: a warning
    problems = found(tmp_path)
    missing = [p for p in problems if "are not in the PDF's text" in p["message"]]
    lost = sum(int(re.match(r"(\d+) of the", p["message"]).group(1)) for p in missing)
    assert lost > 500, problems  # 661 of the note's 1,112 words, with WeasyPrint 70
    assert all(p["file"].endswith("second.md") and p["line"] > 1 for p in problems)  # the note's own lines
    assert any("note 2" in p["message"] for p in missing)
    printed = {text for _, _, text in words_in_trim(tmp_path / f"{SLUG}.pdf")}
    assert not all(tag in printed for tag in tags)


def test_the_check_is_an_error_for_a_printer(tiny: Path, tmp_path: Path, before_the_fix: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    book, _ = long_note_book(tiny)
    assert build(book, tmp_path, "--profile", "kdp") == 2
    err = capsys.readouterr().err
    assert re.search(r"second\.md:\d+:1: error: preflight: page \d+, The Second: \d+ of the \d+ words of note 2", err)
    assert not (tmp_path / f"{SLUG}.pdf").exists(), "nothing is written"


@pytest.mark.parametrize("profile", ["proof", "kdp"])
def test_a_long_note_goes_on_at_the_foot_of_the_next_pages(tiny: Path, tmp_path: Path, profile: str) -> None:
    book, tags = long_note_book(tiny)
    assert build(book, tmp_path, "--profile", profile) == 0
    assert found(tmp_path) == []
    printed = [(page, line, text) for page, line, text in words_in_trim(tmp_path / f"{SLUG}.pdf")]
    where = {}
    for page, line, text in printed:
        for tag in tags:
            if re.sub(r"\W", "", text) == tag:
                assert tag not in where, f"{tag} printed twice"
                where[tag] = (page, line)
    assert list(where) == tags, "every tagged word of the note once, inside the trim box, in order"
    pages = sorted({page for page, _ in where.values()})
    call_page = next(page for page, _, text in printed if text == "lengthy")  # "A lengthy one.2"
    assert pages[0] == call_page, "the note begins on its call's page"
    assert pages == list(range(pages[0], pages[0] + len(pages))), "and goes on over the pages after it"
    assert len(pages) >= 3


def verse_note_book(tiny: Path, lines: int) -> tuple[Path, list[str]]:
    """The shape of The Waste Land's note on Tiresias: a paragraph, then Ovid in lines broken
    with <br>, in a verse div of the note."""
    verse = "<br>\n".join(f"    vl{k} {prose(6, f'vw{k}x')}" for k in range(lines))
    note = f"[^ovid]: {prose(60, 'intro')}\n\n    <div class=\"verse\" lang=\"la\" markdown=\"1\">\n{verse}\n    </div>\n"
    second = tiny / "second.md"
    text = second.read_text().replace("with its own notes.[^1]", "with its own notes.[^1] Ovid's lines.[^ovid]")
    second.write_text(f"{text}\n{note}")
    return tiny, [f"intro{i}" for i in range(0, 60, 10)] + [f"vl{k}" for k in range(lines)]


@pytest.mark.parametrize("profile", ["proof", "kdp"])
def test_a_long_note_of_verse_goes_on_overleaf_line_by_line(tiny: Path, tmp_path: Path, profile: str) -> None:
    book, tags = verse_note_book(tiny, 70)
    assert build(book, tmp_path, "--profile", profile) == 0
    assert found(tmp_path) == []
    data = (tmp_path / f"{SLUG}.pdf").read_bytes()
    words = pdf_words.pdf_words(data)
    inside = {(p, ln) for p, ln, _ in words_in_trim(tmp_path / f"{SLUG}.pdf")}
    where = {text: (page, line, box[1]) for text, page, line, box in zip(words.texts, words.page, words.line, words.box)
             if text in tags and (page, line) in inside}
    assert list(where) == tags, "every verse line of the note once, inside the trim box, in order"
    pages = sorted({page for page, _, _ in where.values()})
    assert len(pages) >= 2 and pages == list(range(pages[0], pages[-1] + 1)), "continued on the pages after"
    verse = [where[f"vl{k}"] for k in range(70)]
    gaps = [b[2] - a[2] for a, b in zip(verse, verse[1:]) if a[0] == b[0]]
    assert max(gaps) < 1.5 * min(gaps), f"each verse line follows the one before, no blank line between: {gaps}"


def test_the_check_reports_a_quote_run_together_in_a_note(tiny: Path, tmp_path: Path, before_the_fix: None) -> None:
    assert build(quote_note_book(tiny), tmp_path) == 0
    glued = [p for p in found(tmp_path) if "does not start a line of its own" in p["message"]]
    assert len(glued) == 1 and "here. Thereafter" in glued[0]["message"], found(tmp_path)
    line = next(n for n, text in enumerate((tiny / "second.md").read_text().splitlines(), 1) if "> Thereafter" in text)
    assert glued[0]["file"].endswith("second.md") and glued[0]["line"] == line  # the quote's second paragraph


def test_a_quote_in_a_note_keeps_its_paragraphs(tiny: Path, tmp_path: Path) -> None:
    assert build(quote_note_book(tiny), tmp_path) == 0
    assert found(tmp_path) == []
    printed = words_in_trim(tmp_path / f"{SLUG}.pdf")
    at = next(i for i, (_, _, text) in enumerate(printed) if text == "Thereafter")
    assert printed[at - 1][2] == "here." and printed[at - 1][1] != printed[at][1], "a line of its own"


def test_the_check_is_clean_on_the_anthology(anthology: Built) -> None:
    data = json.loads(next(anthology.out.glob("*-preflight.json")).read_text())
    assert data["checks"]["text_completeness"] == 0
    assert [p for p in data["problems"] if p["check"].startswith("text_completeness")] == []


# -- the alignment, word by word ------------------------------------------------------------


def keys(text: str) -> list[str]:
    return [pdf_words.key(w) for w in text.split() if pdf_words.key(w)]


def test_words_broken_at_a_line_end_or_across_a_page_are_found() -> None:
    model = keys("the proletariat changed radically the old experienced proletariat formed under Tsarism")
    pdf = keys("the pro‐ 9 a note at the foot running head letariat changed radi‐ cally the old "
               "experienced proletariat formed under Tsarism")
    match = completeness.align(model, pdf)
    assert -1 not in match.token
    assert {pdf[t] for t in match.used} >= {"pro", "letariat", "radi", "cally"}
    assert "note" not in {pdf[t] for t in match.used}, "the note's words stay for the notes"


def test_missing_and_run_on_words_are_told_apart() -> None:
    model = keys("one two three four five six seven eight nine ten eleven twelve")
    match = completeness.align(model, keys("one two three four five six nine ten eleven twelve"))
    assert [i for i, t in enumerate(match.token) if t < 0] == [6, 7]
    match = completeness.align(model, keys("one two three four five sixseven eight nine ten eleven twelve"))
    assert -1 not in match.token and match.joined == {6}


def test_a_note_cut_into_pieces_keeps_every_character_once() -> None:
    markup = ('<span class="footnote" id="c-note-1" data-n="1"><span class="note-p">One <em>two three</em> four.</span>'
              '<span class="note-p note-quote">Five <a href="#x" id="y">six</a> seven.</span></span>')
    pieces = lxml.html.fragments_fromstring(note_split.split_note(markup, "c-note-1", [6, 16]))
    assert [note_split.note_text(p) for p in pieces] == ["Onetwo", "threefour.", "Fivesixseven."]
    first, second, third = pieces
    assert first.get("id") == "c-note-1" and "note-p-cut" not in lxml.html.tostring(first, encoding="unicode")
    assert "cut-first" in first.get("class"), "its last line justified: the paragraph goes on"
    assert second.get("class") == "footnote note-cont" and second.get("data-cont-of") == "c-note-1"
    assert second.get("id") is None and second.get("data-n") is None and second.get("data-from") == "6"
    assert third.get("class") == "footnote note-cont new-paragraph" and third.get("data-from") == "16"
    assert [el.get("id") for p in pieces for el in p.iter() if el.get("id")] == ["c-note-1", "y"]
    fixes = note_split.with_cuts(":root > *:nth-child(2) { break-before: page; }", {"c-note-1": [6, 16]})
    assert note_split.cuts_of(fixes) == {"c-note-1": [6, 16]} and fixes.startswith(":root")


@pytest.mark.parametrize("profile", ["proof", "kdp"])
def test_a_hard_wrapped_note_and_a_code_block_in_a_note_are_printed(tiny: Path, tmp_path: Path, profile: str) -> None:
    """A note written over several lines, each ending with a space (as hard-wrapped text is):
    WeasyPrint 70 stopped with an AssertionError ("Got ' \\n' between two lines"), exit 1. A
    code block in a note was printed as an empty paragraph: its words lost without a word."""
    second = tiny / "second.md"
    note = ("[^wrapped]: The first line of the note ends with a space \n    and the wrapped second line \n"
            "    goes on to the third.\n\n        codeword1 = run(codeword2)\n        codeword3()\n")
    text = second.read_text().replace("with its own notes.[^1]", "with its own notes.[^1] Wrapped.[^wrapped]")
    second.write_text(f"{text}\n{note}")
    assert build(tiny, tmp_path, "--profile", profile) == 0
    assert found(tmp_path) == []
    printed = [text for _, _, text in words_in_trim(tmp_path / f"{SLUG}.pdf")]
    for word in ("wrapped", "third.", "codeword1", "run(codeword2)", "codeword3()"):
        assert word in printed, word
    lines = {line for _, line, text in words_in_trim(tmp_path / f"{SLUG}.pdf") if text.startswith("codeword")}
    assert len(lines) == 2, "the code's two lines, each a line of its own"


TABLES = """---
title: Tables
---
# Simple tables

Header 1  | Header 2
--------- | ---------
Cell 1    | Cell 2
Cell 3    | Cell 4

With leading pipes:

| Header 1  | Header 2
| --------- | ---------
| Cell 1    | Cell 2
| Cell 3    | Cell 4

With tailing pipes:

Header 1  | Header 2  |
--------- | --------- |
Cell 1    | Cell 2    |
Cell 3    | Cell 4    |

With leading and tailing pipes:

| Header 1  | Header 2  |
| --------- | --------- |
| Cell 1    | Cell 2    |
| Cell 3    | Cell 4    |
"""


@pytest.mark.parametrize("before_the_fix", [True, False], ids=["before", "now"])
def test_words_that_poppler_reads_out_of_order_on_their_page_are_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before_the_fix: bool) -> None:
    """PHP Markdown Extra's tests: short paragraphs between tables of short cells, which poppler
    reads after the tables, and a justified line whose wide spaces set its last word apart as a
    block of its own, read at the page's end. The words are printed; the check called them lost
    ("3 of the 3 words of this paragraph ... 'With leading pipes:'", "... 'binary'")."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.yaml").write_text("title: Tables and code\nauthor: Michel Fortin\nchapters: [tables.md, code.md]\n")
    (book / "tables.md").write_text(TABLES)
    (book / "code.md").write_text("---\ntitle: Code\n---\n* In a list item with smalish indent:\n\n  `````\n"
                                  "  #!/bin/sh\n  #\n  # Preload driver binary\n  LD_PRELOAD=libusb-driver.so $0.bin $*\n"
                                  "  `````\n\nWith HTML content.\n")
    # The justified paragraph as Python-Markdown read that code (the fence, indented under a list
    # item, ignored): code in a list item is code now (test_leniency), the paragraph is the shape.
    monkeypatch.setattr(IndentedFences, "run", lambda self, lines: lines)
    if before_the_fix:
        monkeypatch.setattr(completeness, "_on_their_pages", lambda *args: None)
    assert main(["build", str(book), "-o", str(tmp_path / "out"), "--only", "pdf"]) == 0
    report = json.loads((tmp_path / "out" / "tables-and-code-preflight.json").read_text())
    problems = {(p["file"].rsplit("/", 1)[-1], p["line"]) for p in report["problems"] if p["check"] == "text_completeness"}
    if before_the_fix:
        assert problems == {("tables.md", 11), ("tables.md", 18), ("code.md", 7)}, problems
    else:
        assert problems == set()


def test_a_word_lost_on_a_page_is_not_found_in_its_running_head() -> None:
    """The search on a word's own page leaves out the page's top and bottom lines: a word lost
    from the text is not found again in the running head that repeats it."""
    rows = ["level\tpage_num\tpar_num\tblock_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
            "1\t1\t0\t0\t0\t0\t0\t0\t400\t600\t-1\t###PAGE###"]
    lines = [(20, "Tables"), (100, "alpha beta"), (120, "gamma"), (560, "7"), (140, "delta")]
    for n, (top, text) in enumerate(lines):
        rows.append(f"4\t1\t{n}\t{n}\t0\t0\t40\t{top}\t100\t10\t-1\t###LINE###")
        rows += [f"5\t1\t{n}\t{n}\t0\t{k}\t{40 + 30 * k}\t{top}\t25\t10\t100\t{w}" for k, w in enumerate(text.split())]
    words = pdf_words.parse_tsv("\n".join(rows))
    stream = completeness._Stream()
    stream.add("alpha beta delta gamma tables", completeness._Block(completeness.SourcePos("a.md", 3), "this paragraph", True))
    match = completeness.align(stream.keys, words.keys)
    completeness._on_their_pages(stream, words.keys, list(range(len(words.keys))), words, match, set(),
                                 completeness._edge_lines(words))
    assert [words.texts[t] if t >= 0 else None for t in match.token] == ["alpha", "beta", "delta", "gamma", None]


def test_right_to_left_words_are_found_in_the_order_poppler_reads_them(tmp_path: Path) -> None:
    """pandoc's test suite: "می‌خواهم" (Persian, with a zero-width non-joiner) in a table cell.
    poppler reads right-to-left letters in the order they are drawn ("مهاوخیم"), and the check
    called the word lost, an error at a printer profile."""
    assert pdf_words.key("مهاوخیم") == pdf_words.key("می‌خواهم") != pdf_words.key("خواهم")
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.yaml").write_text("title: Persian\nauthor: A. Writer\n")
    (book / "one.md").write_text("---\ntitle: One\n---\n| Persian | English |\n| --- | --- |\n"
                                 "| می‌خواهم | I want to |\n\nAnd in the text: می‌خواهم, I want to.\n")
    assert main(["build", str(book), "-o", str(tmp_path / "out"), "--only", "pdf", "--profile", "kdp"]) == 0


def test_a_phrase_a_note_quotes_does_not_draw_the_text_into_the_note() -> None:
    """The 300,000-word benchmark book: a paragraph opens "The title of this talk—'the darker the
    night, the brighter the star'" on the page after a note citing "The Darker the Night, the
    Brighter the Stars". The alignment resynchronised on the note's six words that agree (the
    nearest place) and called the paragraph's first words and the note's words lost."""
    text = "the title of this talk the darker the night the brighter the star is the title of the fourth and final volume"
    model = keys(f"and is partially resurrecting it at every step {text} of his biography of Leon Trotsky")
    note = ("11 Friedrich Schlotterbeck The Darker the Night the Brighter the Stars London Victor Gollancz 1947 "
            "For more on this see Allan Merson Communist Resistance in Nazi Germany London Lawrence and Wishart 1986 "
            "and Donny Gluckstein The Nazis Capitalism and the Working Class Chicago Haymarket Books 2012 Most "
            "recently I have seen the words attributed to Russian poet Apollon Maykov")
    pdf = keys(f"and is partially resurrecting it at every step {note} 797 a synthetic history of 300000 words {text} "
               "of his bio graphy of Leon Trotsky")
    match = completeness.align(model, pdf)
    assert -1 not in match.token
    assert not {pdf.index("schlotterbeck") + k for k in range(1, 9)} & match.used, "the note's words stay the note's"


def test_a_place_a_folio_interrupts_is_still_the_nearest() -> None:
    """Two notes of the same text (the benchmark book's), the first going on after a page's folio
    and running head: the first note's words are its own, not the second's, which agree for
    longer with nothing between (a place is weak only where a word differs, not where a folio
    stands: counted so, the second note was called lost)."""
    text = "see stephen cohen bukharin and the bolshevik revolution new york vintage books moshe lewin russian peasants"
    model = keys(f"21 {text} 22 {text} 23 trotsky")
    first = text.split()
    pdf = keys(f"21 {' '.join(w for w in first[:4])} {' '.join(first[5:9])} 766 chapter 22 a history in parts "
               f"{' '.join(first[9:])} 22 {text} 23 trotsky")
    match = completeness.align(model, pdf)
    second = model.index("22")
    assert [i for i, t in enumerate(match.token) if t < 0] == [5], "only the first note's 'and', which is not printed"
    assert all(t >= pdf.index("22", pdf.index("parts")) for t in match.token[second:]), "the second note is the second's"

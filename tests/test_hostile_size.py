"""Hostile size (issue 12, section 4): a chapter too big to lay out is an error at its line 1
that gives its size and says to split it, exit 2, no traceback, nothing written; found before
anything is parsed or laid out, so these builds are quick. And the tagged PDF's page
references, which WeasyPrint read in time quadratic in the pages, are kept between reads."""

from __future__ import annotations

import re
from pathlib import Path

import pydyf
import pytest

from pipeline.read.chapter_size import MAX_CHAPTER_CHARS, MAX_CHAPTER_WORDS, check_chapter_sizes, words
from pipeline.cli import main
from pipeline.diagnostics import Collector, SourcePos
from pipeline.render.pdf import patches as weasyprint_patches
from pipeline.read.sources import RawChapter, YamlBlock

from conftest import FIXTURES


def _with_body(tiny: Path, body: str) -> None:
    chapter = tiny / "second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n{body}")


def _refused(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, size: str,
             limit: int) -> None:
    out = tmp_path / "out"
    code = main([command, str(tiny)] + (["-o", str(out)] if command == "build" else []))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    errors = [e for e in err.splitlines() if ": error: " in e]
    assert len(errors) == 1, err
    assert re.search(rf"second\.md:1:1: error: this chapter has {size}, more than the {limit:,} a chapter may have"
                     r" .*split it into several chapter files", errors[0]), errors[0]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("command", ["build", "check"])
def test_too_many_words(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    n = MAX_CHAPTER_WORDS + 1
    _with_body(tiny, "Word and word.\n\n" * (n // 3) + "word " * (n % 3))
    _refused(tiny, tmp_path, capsys, command, f"{n:,} words", MAX_CHAPTER_WORDS)


def test_too_many_characters(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Lines without spaces are few words but a lot to lay out."""
    line = "x" * 999 + "\n"
    body = line * (MAX_CHAPTER_CHARS // len(line) + 1)
    _with_body(tiny, body)
    _refused(tiny, tmp_path, capsys, "build", f"{len(body):,} characters", MAX_CHAPTER_CHARS)


def _raw(body: str) -> RawChapter:
    return RawChapter(FIXTURES / "tiny" / "x.md", "x.md", YamlBlock({}, {}, {}, SourcePos("x.md", 1, 1)), body, 2)


def test_limits_are_inclusive() -> None:
    """A chapter of exactly the limit passes, one more word or character does not."""
    at_words = "w " * MAX_CHAPTER_WORDS
    at_chars = ("x" * 999 + "\n") * (MAX_CHAPTER_CHARS // 1000)
    for body, fits in ((at_words, True), (at_words + "w", False), (at_chars, True), (at_chars + "x", False)):
        diags = Collector()
        assert check_chapter_sizes([_raw(body)], diags) is fits
        assert len(diags.items) == (0 if fits else 1)


def test_words_counts_as_wc() -> None:
    assert words("") == 0
    assert words("  one\ttwo\n\nthree  ") == 3
    assert words("a" * 10) == 1


def test_page_references_kept_until_a_page_is_added() -> None:
    with weasyprint_patches.applied("KEEP_PAGE_REFERENCES", "KEEP_PAGE_REFERENCES"):  # re-entrant
        stock = weasyprint_patches.stock("KEEP_PAGE_REFERENCES").fget
        pdf = pydyf.PDF()
        assert pdf.page_references == stock(pdf) == ()
        for _ in range(3):
            pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
            refs = pdf.page_references
            assert refs == stock(pdf)
            assert pdf.page_references is refs  # kept, not made again on every read
        assert len(refs) == 3 and refs[0] == f"{pdf.pages['Kids'][0]} 0 R".encode()
    assert pydyf.PDF.__dict__["page_references"].fget is stock

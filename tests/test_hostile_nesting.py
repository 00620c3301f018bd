"""Hostile nesting (issue 12, section 3): text nested past the documented limits of
pipeline.read.nesting is a PATH:LINE:COL error with exit 2, never a RecursionError's traceback, and
nothing is written; a book just under the limits builds both outputs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pipeline.read import nesting
from pipeline.cli import main
from pipeline.read.nesting import MAX_BLOCK_DEPTH as B, MAX_INLINE_DEPTH as I, MAX_NOTE_DEPTH as N

DEEP = "nested more than"


def _body(tiny: Path, text: str) -> int:
    """second.md's body becomes 'Intro.', a blank line and text; returns text's first line."""
    chapter = tiny / "second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\nIntro.\n\n{text}")
    return front.count("\n") + 5


def _refused(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, line: int,
             col: int | None, message: str) -> None:
    out = tmp_path / "out"
    code = main(["build", str(tiny), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    errors = [e for e in err.splitlines() if ": error: " in e]
    assert len(errors) == 1, err
    at = rf"{line}:{col}" if col else rf"{line}:\d+"
    assert re.search(rf"{file}:{at}: error: .*{message}", errors[0]), errors[0]
    assert not out.exists() or not any(out.iterdir())


CASES = {
    # name: (text, line offset from the text's first line, column, message)
    "list-250-deep-in-500-bytes": ("- " * 250 + "x\n", 0, 2 * B + 1, DEEP),
    "list-250-deep-by-indentation": ("".join("    " * i + "- x\n" for i in range(250)), B, 4 * B + 1, DEEP),
    "list-indented-by-two-spaces": ("".join("  " * i + "- x\n" for i in range(250)), 2 * B, 4 * B + 1, DEEP),
    "1000-stars": ("*" * 1000 + "x" + "*" * 1000 + "\n", 0, 1001, DEEP),
    "nested-strong-on-a-later-line": ("A paragraph\nthat goes on: " + "**a " * 500 + "deepest" + "**" * 500 + "\n",
                                      1, None, DEEP),
    "2000-markdown-divs": ('<div markdown="1">\n' * 2000 + "x\n" + "</div>\n" * 2000, B, 1, DEEP),
    "3000-raw-divs-on-a-line": ("<div>" * 3000 + "x" + "</div>" * 3000 + "\n", 0, 5 * B + 1, DEEP),
    "3000-spans": ("<span>" * 3000 + "x" + "</span>" * 3000 + "\n", 0, None, DEEP),
    "spans-inside-a-raw-div": ("<div>" + "<span>" * 300 + "x" + "</span>" * 300 + "</div>\n", 0, None, DEEP),
    "1000-block-quotes": ("> " * 1000 + "x\n", 0, 2 * B + 1, DEEP),
    "quotes-and-lists": ("> - " * 200 + "x\n", 0, None, DEEP),
    "deep-quote-in-a-note": ("x[^a]\n\n[^a]: " + "> " * 300 + "y\n", 2, None, DEEP),
    "note-calling-itself": ("x[^a]\n\n[^a]: y[^a]\n", 2, 1, "called inside its own text"),
    "chain-of-300-notes": ("x[^n0]\n\n" + "".join(f"[^n{i}]: y[^n{i + 1}]\n\n" for i in range(300)) + "[^n300]: z\n",
                           2 * N, None, DEEP),
}


@pytest.mark.parametrize("name", CASES)
def test_too_deep_is_an_error_at_its_line(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    text, offset, col, message = CASES[name]
    first = _body(tiny, text)
    _refused(tiny, tmp_path, capsys, "second.md", first + offset, col, message)


def test_too_deep_in_front_matter_is_an_error_at_its_line(tiny: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    chapter = tiny / "first.md"
    lines = chapter.read_text().split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("publication:"))
    lines[at] = 'publication: "' + "*" * 1000 + "x" + "*" * 1000 + '"'
    chapter.write_text("\n".join(lines))
    _refused(tiny, tmp_path, capsys, "first.md", at + 1, None, DEEP)


def test_nesting_the_text_check_misses_is_still_an_error(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Python-Markdown's own RecursionError, were the look at the text to miss a nesting: an
    error at the start of the text, not a traceback."""
    monkeypatch.setattr(nesting, "too_deep_at", lambda text, limit=B: None)
    # 2,000 Markdown-in-HTML divs: Python-Markdown's md_in_html recurses once a level (small
    # enough to stay under the chapter size limit, unlike a 1,000-deep indented list)
    first = _body(tiny, '<div markdown="1">\n\n' * 2000 + "x\n\n" + "</div>\n\n" * 2000)
    _refused(tiny, tmp_path, capsys, "second.md", first - 2, 1, DEEP)


def test_nesting_just_under_the_limits_builds_both_outputs(tiny: Path, tmp_path: Path) -> None:
    """A list B deep holding inline markup I deep, and a chain of N notes, each I deep."""
    deep = "*" + "<span>" * (I - 1) + "x" + "</span>" * (I - 1) + "*"
    in_note = "*" + "<span>" * (I - 2) + "y" + "</span>" * (I - 2) + "*"
    items = "".join("    " * i + "- x\n" for i in range(B - 1)) + "    " * (B - 1) + f"- {deep}\n"
    notes = "A note[^n0].\n\n" + "".join(f"[^n{i}]: {in_note} y[^n{i + 1}]\n\n" for i in range(N - 1))
    _body(tiny, items + "\n" + notes + f"[^n{N - 1}]: {in_note}\n")
    out = tmp_path / "out"
    assert main(["build", str(tiny), "-o", str(out)]) == 0
    assert (out / "a-tiny-book.pdf").stat().st_size > 0
    with zipfile.ZipFile(out / "a-tiny-book.epub") as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert text.count("<ul>") >= B and text.count('class="footnote"') >= N

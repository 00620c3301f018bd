"""Code in print (issue 13: the Markdown test suites' code blocks ran past the trim, 45 errors of
the text-completeness check at a printer profile): a code block's line longer than the measure
turns over inside the text block, 2 em in; code is set in the code face kept in the repository
(DejaVu Sans Mono), embedded; its characters are checked against that face. Read back from the
PDF: poppler's words and their boxes, pikepdf's fonts.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from pipeline import fonts
from pipeline.check import pdf_words
from pipeline.cli import main

SLUG = "a-tiny-book"
LONG_LINE = "    call(" + ", ".join(f"argument{i}" for i in range(40)) + ")"
LONG_WORD = "    http://example.com/" + "/".join(f"segment{i}" for i in range(30))
COLUMNS = ["    [1]: http://google.com/        \"Google\"", "    [2]: http://search.yahoo.com/  \"Yahoo Search\""]
BOX = "\u2500"  # a box-drawing line: in the code face, not in the book face


def code_book(tiny: Path) -> Path:
    second = tiny / "second.md"
    code = "\n".join(["    def short():", LONG_LINE, LONG_WORD, *COLUMNS, f"    {BOX * 8} a rule"])
    text = second.read_text().replace("## Only Section", f"Some code, and `inline code`:\n\n{code}\n\n## Only Section")
    second.write_text(text)
    return tiny


def code_words() -> list[str]:
    return " ".join(line.strip() for line in ["def short():", LONG_LINE, LONG_WORD, *COLUMNS]).split()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    import shutil
    from conftest import FIXTURES

    book = tmp_path_factory.mktemp("book") / "tiny"
    shutil.copytree(FIXTURES / "tiny", book)
    out = tmp_path_factory.mktemp("out")
    return out, main(["build", str(code_book(book)), "-o", str(out), "--only", "pdf", "--profile", "kdp"])


def test_a_code_block_longer_than_the_measure_prints_inside_the_trim(built: tuple[Path, int]) -> None:
    out, status = built
    assert status == 0, "a printer profile: a word outside the trim would be an error"
    report = json.loads((out / f"{SLUG}-preflight.json").read_text())
    assert [p for p in report["problems"] if p["check"] in ("text_completeness", "overfull_lines", "missing_glyphs")] == []
    data = (out / f"{SLUG}.pdf").read_bytes()
    words = pdf_words.pdf_words(data)
    assert words is not None, "pdftotext (poppler-utils) is needed"
    trims = pdf_words.trim_boxes(pikepdf.open(io.BytesIO(data)))
    # Every word of the code inside its page's trim box, each argument of the long line once.
    for text, page, (left, top, right, bottom) in zip(words.texts, words.page, words.box):
        tl, tt, tr, tb = trims[page - 1]
        assert tl - 0.5 <= left and right <= tr + 0.5, f"{text!r} outside the trim box on page {page}"
    printed = [t.removeprefix("call(").strip(",()") for t in words.texts]
    arguments = [t for t in printed if t.startswith("argument")]
    assert arguments == [f"argument{i}" for i in range(40)]
    # The long line turns over, each turned line 2 em (of 8.5 pt code) in from the line's start.
    lines: dict[int, float] = {}
    for text, line, box in zip(words.texts, words.line, words.box):
        if text.strip(",()").startswith("argument") or text.startswith("call("):
            lines.setdefault(line, box[0])
    starts = list(lines.values())
    assert len(starts) >= 3, "a line of 40 arguments is longer than the measure"
    assert all(abs(s - starts[1]) < 0.5 for s in starts[1:]), starts
    assert 16 < starts[1] - starts[0] < 18, f"turned lines hang 2 em in: {starts}"
    # The address longer than the measure is broken, its pieces in order, nothing lost.
    address = "".join(t for t in words.texts if "segment" in t or t.startswith("http://example.com"))
    assert address == LONG_WORD.strip()


def test_code_is_set_in_the_code_face_embedded(built: tuple[Path, int]) -> None:
    out, _ = built
    names = set()
    with pikepdf.open(out / f"{SLUG}.pdf") as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                if "/FontFile2" in descendant.FontDescriptor:
                    program = TTFont(io.BytesIO(descendant.FontDescriptor.FontFile2.read_bytes()))
                    names.add(str(program["name"].getDebugName(4)))
    assert fonts.face_name(fonts.CODE_FACE) == "DejaVu Sans Mono"
    assert names == {"DejaVu Sans Mono", "EB Garamond Regular", "EB Garamond Italic"}, names
    digest = hashlib.sha256((fonts.code_dir() / fonts.CODE_FACE).read_bytes()).hexdigest()
    pinned = (fonts.code_dir() / "SHA256SUMS").read_text().split()
    assert pinned == [digest, fonts.CODE_FACE]


def test_a_character_only_the_code_face_draws_is_not_missing_in_code(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ord(BOX) not in fonts.charset() and ord(BOX) in fonts.code_charset()  # else this tests nothing
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("Done -- really...", f"Code `{BOX * 3}` and text {BOX * 3}."))
    assert main(["build", str(tiny), "-o", str(tmp_path), "--only", "pdf"]) == 0
    report = json.loads((tmp_path / f"{SLUG}-preflight.json").read_text())
    missing = [p for p in report["problems"] if p["check"] == "missing_glyphs"]
    # The text's box-drawing characters print as empty boxes; the code's are drawn.
    assert len(missing) == 1 and "U+2500" in missing[0]["message"], missing
    assert "second.md" in capsys.readouterr().err

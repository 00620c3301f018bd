"""The book face's four faces (issue 13, section 1): bold and bold italic draw what the regular and
the italic draw, bold text is set in the bold face (no silent fallback to the regular), and
preflight's glyph check reads the face each piece of text is set in.

The PDF is read back: each run of text, the font it is shown in, and that font's embedded program
(its name, weight and cmap), so a face the PDF merely calls "Bold" does not pass for one.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path

import pikepdf
import pypdf
import pytest
from fontTools.ttLib import TTFont

from pipeline import fonts
from pipeline.cli import main

SLUG = "a-tiny-book"
BOLD = "Élan “vital” — Достоевский, naïve café, Ærø ‘quoted’ – Œuvre"
BOLD_ITALIC = "Ça “va” — Война и мир, Ἀθῆναι, façade ‘too’"
SQUARED = "²"  # the regular draws it, the bold italic does not


def _text_of(face: str) -> set[int]:
    with TTFont(fonts.font_dir() / face) as font:
        return set(font.getBestCmap())


# -- the faces themselves ---------------------------------------------------------------------


def _repertoire() -> set[int]:
    """What a book in Latin, Greek or Cyrillic script needs of every face. Not ¹ ² ³: the italics
    lack them (such a character in italic text is reported: the test of SQUARED below)."""
    latin = {*range(0x20, 0x7F), *range(0xA1, 0x100), *range(0x100, 0x180)} - {0xAD, 0xB9, 0xB2, 0xB3}
    marks = {0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2026, 0x2039, 0x203A,
             0x2020, 0x2021, 0x2022, 0x00AB, 0x00BB, 0x2032, 0x2033}
    greek = {c for c in range(0x391, 0x3CA) if unicodedata.category(chr(c)).startswith("L")}
    cyrillic = {*range(0x410, 0x450), 0x401, 0x451}
    return latin | marks | greek | cyrillic


@pytest.mark.parametrize("face", [name for name, _, _ in fonts.FACES])
def test_every_face_draws_latin_accents_quotes_dashes_greek_and_cyrillic(face: str) -> None:
    missing = _repertoire() - _text_of(face)
    assert not missing, f"{face} lacks {''.join(chr(c) for c in sorted(missing))!r}"


def test_the_bold_faces_draw_all_that_the_regular_and_italic_draw() -> None:
    (regular, italic, bold, bold_italic) = (name for name, _, _ in fonts.FACES)
    assert _text_of(regular) - _text_of(bold) == set()
    assert _text_of(italic) - _text_of(bold_italic) == set()
    weights = {name: (weight, style) for name, weight, style in fonts.FACES}
    assert weights[bold] == ("bold", "normal") and weights[bold_italic] == ("bold", "italic")
    with TTFont(fonts.font_dir() / bold) as font:
        assert font["OS/2"].usWeightClass == 700
    with TTFont(fonts.font_dir() / bold_italic) as font:
        assert font["OS/2"].usWeightClass == 700 and font["post"].italicAngle < 0


def test_the_fonts_are_the_pinned_files() -> None:
    """The PDF's bytes depend on the fonts' bytes: they are the ones SHA256SUMS records."""
    sums = {}
    for line in (fonts.font_dir() / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    assert sorted(sums) == sorted(name for name, _, _ in fonts.FACES)
    for name, digest in sums.items():
        assert hashlib.sha256((fonts.font_dir() / name).read_bytes()).hexdigest() == digest, name
    assert (fonts.font_dir() / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1


# -- the PDF, read back -----------------------------------------------------------------------


def _build(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str) -> tuple[Path, str]:
    (tiny / "second.md").write_text(f'---\ntitle: "The Second"\n---\n{body}\n', encoding="utf-8")
    out = tmp_path / "out"
    code = main(["build", str(tiny), "-o", str(out), "--only", "pdf"])
    err = capsys.readouterr().err
    assert code == 0, err
    return out, err


def _program(font: pypdf.generic.DictionaryObject) -> TTFont:
    """The font program a PDF font embeds (WeasyPrint's fonts are CID fonts)."""
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    stream = next(descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor)
    return TTFont(io.BytesIO(stream.get_object().get_data()))


def _runs(pdf: Path) -> list[tuple[str, TTFont]]:
    """(text, embedded font program) of each text run, in order."""
    programs: dict[int, TTFont] = {}
    runs: list[tuple[str, TTFont]] = []

    def visit(text: str, cm: object, tm: object, font: object, size: object) -> None:
        if text.strip() and isinstance(font, pypdf.generic.DictionaryObject):
            key = id(font)
            if key not in programs:
                programs[key] = _program(font)
            runs.append((text, programs[key]))

    for page in pypdf.PdfReader(pdf).pages:
        page.extract_text(visitor_text=visit)
    return runs


def _shown(pdf: Path) -> list[tuple[TTFont, set[int]]]:
    """(embedded font program, glyph ids shown in it) for each font of the pages: WeasyPrint's
    fonts are Identity-H, two bytes a glyph, and keep the face's glyph ids."""
    shown: dict[tuple[int, int], tuple[TTFont, set[int]]] = {}
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            resources = page.resources.get("/Font", {})
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tf":
                    font = resources[operands[0]]
                    if font.objgen not in shown:
                        descriptor = font.DescendantFonts[0].FontDescriptor
                        stream = next(descriptor[k] for k in ("/FontFile2", "/FontFile3") if k in descriptor)
                        shown[font.objgen] = (TTFont(io.BytesIO(stream.read_bytes())), set())
                    current = shown[font.objgen][1]
                elif op in ("Tj", "TJ", "'", '"') and current is not None:
                    items = operands[0] if op == "TJ" else [operands[-1]]
                    for item in items:
                        if isinstance(item, pikepdf.String):
                            data = bytes(item)
                            current |= {int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)}
    return list(shown.values())


def _face(program: TTFont) -> tuple[int, bool]:
    return program["OS/2"].usWeightClass, bool(program["head"].macStyle & 2)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_bold_and_bold_italic_text_is_set_in_the_bold_faces_without_fallback(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (after a first paragraph, whose first line print.css sets in small capitals)
    out, err = _build(tiny, tmp_path, capsys, f"An opening paragraph.\n\nPlain words, then **{BOLD}** and "
                                              f"***{BOLD_ITALIC}*** end.")
    assert "not in the book's font" not in err and "preflight" not in err, err
    pdf = out / f"{SLUG}.pdf"
    set_in = {"bold": "", "bold italic": "", "other": ""}
    for text, program in _runs(pdf):
        weight, italic = _face(program)
        kind = "other" if weight < 700 else "bold italic" if italic else "bold"
        set_in[kind] += text
    # The whole of each phrase, unbroken, in its own face: no character of it fell back to
    # the regular or the italic (which would split it between fonts).
    assert _squeeze(BOLD) in _squeeze(set_in["bold"]), set_in
    assert _squeeze(BOLD_ITALIC) in _squeeze(set_in["bold italic"]), set_in
    # The embedded bold subsets are the bold faces, and draw every character of the bold text:
    # each one's glyph is shown, has an outline in the subset, and no .notdef box is shown.
    shown = _shown(pdf)
    for phrase, face, want in ((BOLD, fonts.FACES[2][0], (700, False)), (BOLD_ITALIC, fonts.FACES[3][0], (700, True))):
        with TTFont(fonts.font_dir() / face) as original:
            cmap = original.getBestCmap()
            order = original.getGlyphOrder()
        subsets = [(program, gids) for program, gids in shown if _face(program) == want]
        assert subsets, phrase
        for program, gids in subsets:
            assert program["name"].getDebugName(4) == fonts.face_name(face)
            assert 0 not in gids
        gids = set().union(*(g for _, g in subsets))
        for char in set(_squeeze(phrase)):
            assert ord(char) in cmap, char
            gid = order.index(cmap[ord(char)])
            assert gid in gids, char
            assert any(gid in g and program["glyf"][program.getGlyphOrder()[gid]].numberOfContours != 0
                       for program, g in subsets), char


def test_a_character_the_bold_italic_lacks_is_reported_though_the_regular_has_it(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ord(SQUARED) in _text_of(fonts.REGULAR)
    for name, weight, style in fonts.FACES:
        if (weight, style) == ("bold", "italic"):
            assert ord(SQUARED) not in _text_of(name), name  # else the test tests nothing
    out, err = _build(tiny, tmp_path, capsys, f"An area of ten m{SQUARED}, and ***ten m{SQUARED}*** in bold italic.")
    report = json.loads((out / f"{SLUG}-preflight.json").read_text(encoding="utf-8"))
    found = [p for p in report["problems"] if "U+00B2" in p["message"]]
    assert len(found) == 1, report["problems"]
    assert found[0]["check"] == "glyph_fallbacks" and "EB Garamond Bold Italic" in found[0]["message"]
    assert found[0]["file"].endswith("second.md")
    assert report["checks"]["glyph_fallbacks"] == 1
    assert re.search(r"second\.md:\d+:\d+: warning: preflight: page \d+, The Second: '²' \(U\+00B2\) is not in "
                     r"EB Garamond Bold Italic", err), err
    # The roman ² is not reported: the regular draws it.
    assert "U+00B2" not in err.replace(found[0]["message"], "", 1)


def test_a_character_no_face_has_is_still_reported_in_bold(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = _build(tiny, tmp_path, capsys, "A tick: **done ✓** here.")
    assert re.search(r"second\.md:4:\d+: warning: '✓' \(U\+2713\) is not in the book's font", err), err
    report = json.loads((out / f"{SLUG}-preflight.json").read_text(encoding="utf-8"))
    assert [p["check"] for p in report["problems"] if "U+2713" in p["message"]] == ["missing_glyphs"]

"""Printer-ready output, read back from the built files: page boxes per profile, PDF/X
output intent and the absence of RGB, the cover sheet's geometry and spine, and the
preflight report (on the real book, and on books made to fail each check)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint
from pypdf.generic import ContentStream

from conftest import MANUSCRIPT, Built
from pipeline.cli import main
from pipeline.diagnostics import Collector
from pipeline.load import load_normalised
from pipeline.check.preflight import _colours, _paragraph_lines
from pipeline.print_profiles import PROFILES, gutter_in, spine_width_in
from pipeline.render.cover.wrap import render_print_cover

SLUG = "the-darker-the-night-the-brighter-the-star"
STYLES = Path(__file__).resolve().parent.parent / "styles"
PT_PER_MM = 72 / 25.4
TRIM = (138 * PT_PER_MM, 216 * PT_PER_MM)  # demy, the anthology's trim
BLEED = 9.0  # 0.125 in
TOL = 0.05


def build(source: Path, out: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["build", str(source), "-o", str(out), *args])
    return code, err.getvalue()


@dataclasses.dataclass(frozen=True)
class PrintBuild:
    built: Built
    stderr: str
    reader: pypdf.PdfReader
    cover: Path
    preflight: dict  # type: ignore[type-arg]


@pytest.fixture(scope="module", params=["kdp", "lulu", "ingram", "offset"])
def printed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PrintBuild:
    out = tmp_path_factory.mktemp(request.param)
    code, err = build(MANUSCRIPT, out, "--only", "pdf", "--profile", request.param)
    assert code == 0, err
    built = Built(MANUSCRIPT, out, out / f"{SLUG}.epub", out / f"{SLUG}.pdf")
    return PrintBuild(built, err, pypdf.PdfReader(built.pdf), out / f"{SLUG}-cover.pdf",
                      json.loads((out / f"{SLUG}-preflight.json").read_text()))


def box(page: pypdf.PageObject, name: str) -> tuple[float, float, float, float]:
    b = getattr(page, name)
    return float(b.left), float(b.bottom), float(b.right), float(b.top)


def test_boxes_follow_the_profile(printed: PrintBuild) -> None:
    profile = printed.preflight["profile"]
    for number, page in enumerate(printed.reader.pages, 1):
        tl, tb, tr, tt = box(page, "trimbox")
        assert (tr - tl, tt - tb) == pytest.approx(TRIM, abs=TOL), f"page {number}: TrimBox is not the trim"
        bl, bb, br, bt = box(page, "bleedbox")
        recto = number % 2 == 1
        outside = {"left": not recto, "right": recto}
        for side, have in {"left": tl - bl, "right": br - tr}.items():
            want = BLEED if profile != "kdp" or outside[side] else 0.0  # KDP: no bleed at the spine
            assert have == pytest.approx(want, abs=TOL), f"page {number} ({profile}): {side} bleed {have}"
        assert tb - bb == pytest.approx(BLEED, abs=TOL) and bt - tt == pytest.approx(BLEED, abs=TOL)
        ml, mb, mr, mt = box(page, "mediabox")
        if profile == "offset":  # room for the crop marks outside the bleed
            assert bl - ml > 20 and mr - br > 20 and bb - mb > 20 and mt - bt > 20
        else:  # print on demand: the page is exactly trim plus bleed
            assert (ml, mb, mr, mt) == pytest.approx((bl, bb, br, bt), abs=TOL)


@pytest.mark.parametrize("printed", ["kdp"], indirect=True)
def test_kdp_page_size_is_trim_plus_bleed_outside_top_and_bottom(printed: PrintBuild) -> None:
    for page in printed.reader.pages:
        assert float(page.mediabox.width) == pytest.approx(TRIM[0] + BLEED, abs=TOL)
        assert float(page.mediabox.height) == pytest.approx(TRIM[1] + 2 * BLEED, abs=TOL)


def rgb_operators(pdf: pikepdf.Pdf) -> list[int]:
    """Pages (1-based) that paint with RGB: rg/RG, or sc/scn in an RGB colour space, or RGB images."""
    return [n for n, page in enumerate(pdf.pages, 1) if "rgb" in _colours(page)]


def test_pdfx_output_intent_and_no_rgb(printed: PrintBuild) -> None:
    reader, profile = printed.reader, PROFILES[printed.preflight["profile"]]
    root = reader.trailer["/Root"]
    if not profile.cmyk:
        assert "/OutputIntents" not in root
        return
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert intent["/OutputConditionIdentifier"] == "CGATS TR 001"
    icc = intent["/DestOutputProfile"].get_object()
    assert icc["/N"] == 4 and icc.get_data()[36:40] == b"acsp" and icc.get_data()[16:20] == b"CMYK"
    assert reader.metadata["/GTS_PDFXVersion"] == "PDF/X-1a:2003"
    assert reader.metadata["/Trapped"] == "/False"
    assert not rgb_operators(pikepdf.open(printed.built.pdf))
    # and the scan does see colour: every page with text paints in CMYK
    raw_ops = {op for page in reader.pages[:5] for _, op in ContentStream(page.get_contents(), reader).operations}
    assert not raw_ops & {b"rg", b"RG"}
    assert printed.preflight["colour_spaces"] == ["cmyk"]
    # PDF/X-1a: no transparency, no annotations inside the bleed (a printer's file has no links)
    for page in reader.pages:
        assert "/Annots" not in page
        for state in page["/Resources"].get("/ExtGState", {}).values():
            state = state.get_object()
            assert float(state.get("/ca", 1)) == 1 and float(state.get("/CA", 1)) == 1 and "/SMask" not in state
    assert reader.pdf_header == "%PDF-1.4"


def test_the_rgb_scan_finds_rgb_in_the_proof(anthology: Built) -> None:
    """The check above could not pass by finding nothing: the proof's black is RGB."""
    reader = pypdf.PdfReader(anthology.pdf)
    assert rgb_operators(pikepdf.open(anthology.pdf)) and "/OutputIntents" not in reader.trailer["/Root"]


def test_fonts_embedded_in_interior_and_cover(printed: PrintBuild) -> None:
    assert printed.preflight["fonts"] and not printed.preflight["fonts_not_embedded"]
    cover = pypdf.PdfReader(printed.cover)
    for ref in cover.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
            else font["/FontDescriptor"]
        assert any(k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]


def test_cover_sheet_geometry(printed: PrintBuild) -> None:
    pages = len(printed.reader.pages)
    spine = spine_width_in(pages, "white") * 72
    page = pypdf.PdfReader(printed.cover).pages[0]
    # print on demand: the page is the trimmed sheet plus bleed; offset: that is the BleedBox,
    # and the page is larger still, for the crop marks
    sheet = page.bleedbox if printed.preflight["profile"] == "offset" else page.mediabox
    assert float(sheet.width) == pytest.approx(2 * TRIM[0] + spine + 2 * BLEED, abs=TOL)
    assert float(sheet.height) == pytest.approx(TRIM[1] + 2 * BLEED, abs=TOL)
    assert float(page.trimbox.width) == pytest.approx(2 * TRIM[0] + spine, abs=TOL)
    assert float(page.trimbox.height) == pytest.approx(TRIM[1], abs=TOL)
    if printed.preflight["profile"] == "offset":
        assert float(page.mediabox.width) > float(sheet.width) + 40
    assert printed.preflight["spine_width_in"] == pytest.approx(spine / 72, abs=1e-4)


def test_cover_of_a_cmyk_profile_has_no_rgb(printed: PrintBuild) -> None:
    cover = pypdf.PdfReader(printed.cover)
    with pikepdf.open(printed.cover) as sheet:
        spaces = set(_colours(sheet.pages[0]))
    if PROFILES[printed.preflight["profile"]].cmyk:
        assert spaces == {"cmyk"}, spaces
        assert cover.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFX"
    else:
        assert "rgb" in spaces


def rotated_text(pdf: bytes) -> str:
    """Text set at a right angle (the spine's), from the PDF's text matrices."""
    found: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip() and abs(tm[1] * cm[0] + tm[0] * cm[1]) > 0.5:
            found.append(text)

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return "".join(found)


@pytest.mark.parametrize("pages, paper, spine_text", [(31, "white", False), (79, "white", False),
                                                      (75, "cream", False), (80, "white", True),
                                                      (300, "cream", True)])
def test_spine_width_and_text(pages: int, paper: str, spine_text: bool) -> None:
    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    meta = dataclasses.replace(doc.meta, paper=paper)
    pdf = render_print_cover(meta, pages, PROFILES["kdp"], STYLES)
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    spine = pages * {"white": 0.002252, "cream": 0.0025}[paper] * 72
    assert float(page.trimbox.width) == pytest.approx(2 * TRIM[0] + spine, abs=TOL)
    text = "".join(rotated_text(pdf).split())
    assert ("TheDarkertheNight" in text and "TonyCliff" in text) is spine_text, text
    if not spine_text:
        assert text == ""


def test_preflight_of_the_anthology(printed: PrintBuild) -> None:
    report, name = printed.preflight, printed.preflight["profile"]
    assert report["pages"] == len(printed.reader.pages)
    assert report["notes"] == 29
    assert report["problems"] == [] and not any(report["checks"].values()), report["problems"]
    assert report["inside_margin_in"] >= report["gutter_minimum_in"] == gutter_in(report["pages"])
    assert f"preflight ({name}): {report['pages']} pages" in printed.stderr
    assert "warning:" not in printed.stderr


@pytest.mark.parametrize("printed", ["kdp", "offset"], indirect=True)  # plain, and PDF/X with marks
def test_print_builds_are_reproducible(printed: PrintBuild, tmp_path: Path) -> None:
    code, err = build(MANUSCRIPT, tmp_path, "--only", "pdf", "--profile", printed.preflight["profile"])
    assert code == 0, err
    for name in (f"{SLUG}.pdf", f"{SLUG}-cover.pdf", f"{SLUG}-preflight.json"):
        assert (tmp_path / name).read_bytes() == (printed.built.out / name).read_bytes(), name


def test_proof_is_the_default_without_cover(anthology: Built) -> None:
    report = json.loads((anthology.out / f"{SLUG}-preflight.json").read_text())
    assert report["profile"] == "proof" and report["bleed_in"] == {"top": 0.0, "right": 0.0, "bottom": 0.0, "left": 0.0}
    assert not (anthology.out / f"{SLUG}-cover.pdf").exists()


def test_a_proof_after_a_print_build_removes_the_printer_cover(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(tiny, out, "--only", "pdf", "--profile", "kdp")[0] == 0
    assert (out / "a-tiny-book-cover.pdf").is_file()
    assert build(tiny, out, "--only", "epub")[0] == 0  # the EPUB alone leaves the print files be
    assert (out / "a-tiny-book-cover.pdf").is_file()
    assert build(tiny, out, "--only", "pdf")[0] == 0
    assert not (out / "a-tiny-book-cover.pdf").exists()


# -- book.yaml and the command line ------------------------------------------------------


def test_profile_and_paper_from_book_yaml_and_cli_override(tiny: Path, tmp_path: Path) -> None:
    with open(tiny / "book.yaml", "a", encoding="utf-8") as fh:
        fh.write("print: lulu\npaper: cream\n")
    code, err = build(tiny, tmp_path / "a", "--only", "pdf")
    report = json.loads((tmp_path / "a" / "a-tiny-book-preflight.json").read_text())
    assert code == 0 and report["profile"] == "lulu" and report["paper"] == "cream", err
    assert (tmp_path / "a" / "a-tiny-book-cover.pdf").is_file()
    code, err = build(tiny, tmp_path / "b", "--only", "pdf", "--profile", "kdp")
    assert code == 0 and json.loads((tmp_path / "b" / "a-tiny-book-preflight.json").read_text())["profile"] == "kdp"


def test_unknown_profile_and_paper_are_errors_at_their_line(tiny: Path, tmp_path: Path) -> None:
    lines = (tiny / "book.yaml").read_text(encoding="utf-8").rstrip("\n").splitlines()
    (tiny / "book.yaml").write_text("\n".join([*lines, "print: kpd", "paper: glossy"]) + "\n", encoding="utf-8")
    code, err = build(tiny, tmp_path / "out")
    n = len(lines)
    assert code == 2, err
    assert f"book.yaml:{n + 1}:8: error: unknown print profile 'kpd'; did you mean 'kdp'?" in err, err
    assert f"book.yaml:{n + 2}:8: error: unknown paper 'glossy'" in err, err
    assert not (tmp_path / "out").exists()


# -- preflight finds what it is there to find ---------------------------------------------


def test_preflight_warns_of_an_overfull_line_with_page_and_chapter(tiny: Path, tmp_path: Path) -> None:
    word = "Hm" + "m" * 70  # no hyphenation point, no break: wider than the measure
    (tiny / "first.md").write_text(
        (tiny / "first.md").read_text(encoding="utf-8") + f"\n\nThe longest word: {word}.\n", encoding="utf-8")
    code, err = build(tiny, tmp_path / "out", "--only", "pdf")
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "a-tiny-book-preflight.json").read_text())
    overfull = [p for p in report["problems"] if p["check"] == "overfull_lines"]
    assert overfull and word[:30] in overfull[0]["message"], report["problems"]
    assert overfull[0]["file"].endswith("first.md") and overfull[0]["page"] >= 1 and overfull[0]["chapter"]
    line = (tiny / "first.md").read_text(encoding="utf-8").splitlines().index(f"The longest word: {word}.") + 1
    assert f"first.md:{line}:1: warning: preflight: page {overfull[0]['page']}, {overfull[0]['chapter']}: line runs" in err


def test_preflight_flags_rgb_images_for_ingram(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parent / "fixtures" / "resources"
    code, err = build(fixture, tmp_path / "out", "--only", "pdf", "--profile", "ingram")
    assert code == 0, err
    report = json.loads(next((tmp_path / "out").glob("*-preflight.json")).read_text())
    assert report["checks"]["colour"] >= 1 and "rgb" in report["colour_spaces"], report
    assert "rgb colour on a page of a CMYK/grey-only (ingram) PDF" in err


def test_widows_and_orphans_are_counted_from_the_layout() -> None:
    """With widows and orphans allowed (1), a paragraph split 1 + n leaves an orphan, n + 1 a widow."""
    line = "Line of text. " * 3
    html = ("<style>@page { size: 100mm 40mm; margin: 5mm } p { margin: 0; font: 10pt/5mm serif; "
            "widows: 1; orphans: 1 } .gap { height: %dmm }</style><div class=gap></div><p>%s</p>")
    for gap, expect in ((22, (1, 3)), (12, (3, 1))):
        layout = weasyprint.HTML(string=html % (gap, "<br>".join([line] * 4))).render()
        (fragments,) = _paragraph_lines(layout.pages).values()
        assert [n for _, n in fragments] == list(expect)


def test_a_page_with_a_single_line_is_reported(tiny: Path, tmp_path: Path) -> None:
    """A chapter whose text ends with one line on a page of its own."""
    from pipeline.check.preflight import _body_lines

    html = ("<style>@page { size: 100mm 40mm; margin: 5mm } p { margin: 0; font: 10pt/5mm serif; "
            "widows: 1; orphans: 1 }</style><p>%s</p>" % "<br>".join(["Line of text."] * 6))
    layout = weasyprint.HTML(string=html).render()
    assert [_body_lines(p._page_box) for p in layout.pages] == [5, 1]


def test_gutter_from_the_page_count_widens_a_narrow_inside_margin(tiny: Path, tmp_path: Path) -> None:
    """60 mm wide: the book's own inside margin (14.5%, 0.343 in) is under KDP's 0.375 in."""
    text = (tiny / "book.yaml").read_text(encoding="utf-8").replace("trim: a5", 'trim: "60mm x 100mm"')
    (tiny / "book.yaml").write_text(text, encoding="utf-8")
    margins = {}
    for profile in ("proof", "kdp"):
        code, err = build(tiny, tmp_path / profile, "--only", "pdf", "--profile", profile)
        assert code == 0, err
        report = json.loads((tmp_path / profile / "a-tiny-book-preflight.json").read_text())
        margins[profile] = report["inside_margin_in"]
    assert margins["proof"] == pytest.approx(0.145 * 60 / 25.4, abs=0.002)
    assert margins["kdp"] == pytest.approx(0.375, abs=0.002)


def test_a_page_count_that_asks_for_another_gutter_is_laid_out_again() -> None:
    from pipeline.render.pdf.layout import PressOptions, render_pdf

    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    first = render_pdf(doc, STYLES).pages
    asked: list[int] = []

    def min_inner_mm(pages: int) -> float:  # a table whose first row ends just below this book
        asked.append(pages)
        return 45.0 if pages >= first else 0.0

    result = render_pdf(doc, STYLES, PressOptions(min_inner_mm=min_inner_mm))
    assert asked[:2] == [0, first] and len(asked) >= 3
    recto = result.facts.pages[0]
    assert recto.margin_left / (96 / 25.4) == pytest.approx(45.0, abs=0.01)
    assert result.pages > first  # the wider gutter took more pages, and the layout used it


def test_preflight_reports_a_missing_glyph_with_its_page(tiny: Path, tmp_path: Path) -> None:
    (tiny / "second.md").write_text((tiny / "second.md").read_text(encoding="utf-8") + "\n\nDone \u2713.\n",
                                    encoding="utf-8")
    code, err = build(tiny, tmp_path / "out", "--only", "pdf")
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "a-tiny-book-preflight.json").read_text())
    (missing,) = [p for p in report["problems"] if p["check"] == "missing_glyphs"]
    assert "U+2713" in missing["message"] and missing["file"].endswith("second.md") and missing["page"] > 1


def test_a_numbered_list_that_starts_later_prints_its_own_numbers(tiny: Path, tmp_path: Path) -> None:
    """`4. the fourth demand.` after a paragraph (the guide's own example) printed as "1.":
    WeasyPrint 70 reads no `start` attribute. The completeness check found it (a missing '4.')."""
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("## Only Section", "1. first\n2. second\n\nThen:\n\n4. fourth\n5. fifth\n\n## Only Section"))
    assert main(["build", str(tiny), "-o", str(tmp_path), "--only", "pdf"]) == 0
    from pipeline.check.pdf_words import pdf_words

    words = pdf_words((tmp_path / "a-tiny-book.pdf").read_bytes())
    assert words is not None, "pdftotext (poppler-utils) is needed"
    flat = " ".join(words.texts)
    assert "1. first 2. second" in flat and "4. fourth 5. fifth" in flat, flat
    report = json.loads((tmp_path / "a-tiny-book-preflight.json").read_text())
    assert [p for p in report["problems"] if p["check"] == "text_completeness"] == []


def test_an_overfull_line_is_told_at_its_blocks_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pandoc's test suite: a grid table's rule line, a word that cannot break, runs into the
    margin; preflight told it at the chapter's 1:1, not where the editor wrote it."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.yaml").write_text("title: Over\nauthor: A. Writer\n")
    (book / "one.md").write_text("---\ntitle: One\n---\nA first paragraph.\n\nA second one.\n\n"
                                 "+=====================+=======+=======+=======+=======+\n\nThe last.\n")
    assert main(["build", str(book), "-o", str(tmp_path / "out"), "--only", "pdf"]) == 0
    err = capsys.readouterr().err
    assert "one.md:8:1: warning: preflight: page" in err and "into the margin: '+=====" in err, err

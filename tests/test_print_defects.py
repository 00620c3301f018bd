"""Print defects of issue 13 (sections 1 and 2), each reproduced on a real small book and read
back from the built PDF (pdftotext's word boxes, pdftoppm's pixels) or EPUB."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from pipeline.cli import main
from pipeline.print_profiles import PROFILES
from pipeline.render.cover import wrap as print_cover

SLUG = "a-tiny-book"
FRONT = '---\ntitle: "The Second"\nauthor: Bo Writer\n---\n'


@dataclass(frozen=True)
class Line:
    page: int
    x: float  # left edge, pt
    top: float
    bottom: float
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def build(book: Path, chapter: str, out: Path, *args: str) -> str:
    """Builds the tiny book with `chapter` as its second chapter; returns what it printed."""
    (book / "second.md").write_text(FRONT + chapter, encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["build", str(book), "-o", str(out), *args]) == 0, err.getvalue()
    return err.getvalue()


def lines(pdf: Path) -> list[Line]:
    """Every line of the PDF's text, as pdftotext -bbox-layout reads it."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for number, page in enumerate(xml.split("<page ")[1:], 1):
        for x0, y0, y1, body in re.findall(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>',
                                           page, re.S):
            words = tuple(html.unescape(w) for w in re.findall(r">([^<]*)</word>", body))
            out.append(Line(number, float(x0), float(y0), float(y1), words))
    return out


def line_with(found: list[Line], word: str) -> Line:
    """The first line holding `word`, whole or glued to another."""
    return next(line for line in found if any(word in w for w in line.words))


# -- 1. a block quote of two paragraphs inside a footnote --------------------------------------


def test_a_quote_of_two_paragraphs_in_a_note_keeps_them_apart_and_set_in(tiny: Path, tmp_path: Path) -> None:
    """It printed "...ends here.Second...": the note's blocks were one run of text in print."""
    build(tiny, "A paragraph with a note.[^q]\n\n[^q]: Plover opens the note.\n\n"
                "    > Kestrel paragraph ends here.\n    >\n    > Heron paragraph follows.\n\n"
                "    Curlew closes the note.\n", tmp_path)
    found = lines(tmp_path / f"{SLUG}.pdf")
    first, second, after = (line_with(found, w) for w in ("Kestrel", "Heron", "Curlew"))
    assert first.words[-1] == "here." and second.words[0] == "Heron", (first.text, second.text)
    assert second.top > first.top and first.page == second.page
    opening = line_with(found, "Plover")
    assert first.x > opening.x - 1 and first.x > after.x + 5  # the quote is set in from the note's text


# -- 2. a table row split over a page turn; the head row repeated ----------------------------


def _table_book() -> str:
    pipe = "| Head1 | Head2 | Head3 |\n| --- | --- | --- |\n" + "".join(
        f"| A{i} | {'B' + str(i) + ' ' + 'words that wrap over the lines of the cell ' * (1 + i % 3)}Z{i} | C{i} |\n"
        for i in range(1, 41))
    raw = "<table>\n<tr><th>RawHead1</th><th>RawHead2</th></tr>\n" + "".join(
        f"<tr><td>D{i}</td><td>E{i} {'text of a raw row that wraps over lines ' * (1 + i % 3)}Y{i}</td></tr>\n"
        for i in range(1, 41)) + "</table>\n"
    return f"A table follows.\n\n{pipe}\nAfter the table.\n\n{raw}\nThe end.\n"


def test_table_rows_stay_whole_and_the_head_row_repeats(tiny: Path, tmp_path: Path) -> None:
    build(tiny, _table_book(), tmp_path)
    found = lines(tmp_path / f"{SLUG}.pdf")
    page_of = {w: line.page for line in found for w in line.words}
    for i in range(1, 41):  # every cell of a row, first word to last, on one page
        row = [page_of[f"A{i}"], page_of[f"B{i}"], page_of[f"Z{i}"], page_of[f"C{i}"]]
        assert len(set(row)) == 1, f"pipe table row {i} split over pages {row}"
        raw_row = [page_of[f"D{i}"], page_of[f"E{i}"], page_of[f"Y{i}"]]
        assert len(set(raw_row)) == 1, f"raw table row {i} split over pages {raw_row}"
    for head, cells in (("Head1", "A"), ("RawHead1", "D")):
        pages = {line.page for line in found for w in line.words if re.fullmatch(cells + r"\d+", w)}
        assert len(pages) > 1, "the table should run over a page turn"
        assert pages <= {line.page for line in found if head in line.words}, f"{head} not repeated"


# -- 3. a block quote that holds a footnote call: a stray line break mid-word -----------------


def _sweep() -> str:
    """Paragraphs of a block quote, each opening with "Darwin" and calling a note after a text
    run that grows by a letter's width at a time: some run, whatever the face, just fits its
    line without its final space and not with it, which broke the line after "Dar-"."""
    steps = "by and so it is as it was or as it is to be in the end of it all a".split()
    tails = ["", "i", "r", "s", "e", "a", "o", "n", "m", "w"]
    paras = [" ".join(["Darwin read the book of the origin of species", *steps[:k], *([t] if t else [])])
             for k in range(len(steps) + 1) for t in tails]
    return "\n>\n".join(f"> {p} wrote.[^d] So it is." for p in paras) + "\n\n[^d]: The note.\n"


def test_no_stray_line_break_in_a_quote_holding_a_note_call(tiny: Path, tmp_path: Path) -> None:
    build(tiny, _sweep(), tmp_path)
    found = lines(tmp_path / f"{SLUG}.pdf")
    broken = [line.text for line in found if line.words and line.words[-1].startswith("Dar") and line.words[-1] != "Darwin"]
    assert not broken, broken
    assert sum(line.words.count("Darwin") for line in found) == 220


# -- 4. verse: every line at the margin, a line between stanzas --------------------------------


VERSE = ("Before.\n\n<div class=\"verse\" markdown=\"1\">\nArise, ye prisoners of starvation!<br>\n"
         "Arise, ye wretched of the earth, whose long line here runs on past the measure of the page today!<br>\n"
         "For justice thunders condemnation,<br>\nA better world's in birth!\n\n"
         "No more tradition's chains shall bind us,<br>\nArise, ye slaves, no more in thrall!\n</div>\n\nAfter.\n")


def test_verse_lines_start_together_and_stanzas_stand_apart(tiny: Path, tmp_path: Path) -> None:
    build(tiny, VERSE, tmp_path)
    found = lines(tmp_path / f"{SLUG}.pdf")
    starts = [line_with(found, w) for w in ("prisoners", "wretched", "thunders", "better", "chains", "slaves,")]
    assert max(s.x for s in starts) - min(s.x for s in starts) < 0.5, [(s.text, s.x) for s in starts]
    wrapped = found[found.index(starts[1]) + 1]  # the long line turns over, set in
    assert wrapped.words[-1] == "today!" and wrapped.x - starts[0].x > 10, (wrapped.text, wrapped.x)
    pitch = starts[3].top - found[found.index(starts[3]) - 1].top
    assert starts[4].top - starts[3].top > 1.8 * pitch, "no blank line between the stanzas"
    with zipfile.ZipFile(tmp_path / f"{SLUG}.epub") as epub:
        chapter = epub.read("EPUB/text/second.xhtml").decode()
        css = epub.read("EPUB/css/book.css").decode()
    assert chapter.count('<span class="line">') == 6 and ".verse .line { display: block;" in css


# -- 5. the print cover's ground runs into the bleed; preflight checks it ---------------------


def _edges_dark(cover: Path) -> dict[str, float]:
    """For each side, the share of the bleed strip (MediaBox edge to TrimBox) printed dark."""
    import pypdf

    page = pypdf.PdfReader(cover).pages[0]
    media, trim = page.mediabox, page.trimbox
    png = subprocess.run(["pdftoppm", "-r", "72", "-gray", "-singlefile", str(cover)], capture_output=True, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    bleed = 9  # 0.125 in at 72 dpi; the offset profile's marks lie further out
    left, top = float(trim.left - media.left) - bleed, float(media.top - trim.top) - bleed
    right, bottom = float(trim.right - media.left) + bleed, float(media.top - trim.bottom) + bleed
    strips = {"left": [(int(left) + 2, y) for y in range(int(top), int(bottom))],
              "right": [(int(right) - 3, y) for y in range(int(top), int(bottom))],
              "top": [(x, int(top) + 2) for x in range(int(left), int(right))],
              "bottom": [(x, int(bottom) - 3) for x in range(int(left), int(right))]}
    return {side: sum(image.getpixel(p) < 100 for p in points) / len(points) for side, points in strips.items()}


@pytest.mark.parametrize("profile", list(p for p in PROFILES if PROFILES[p].for_print))
def test_the_cover_ground_runs_into_the_bleed_at_every_profile(profile: str, tiny: Path, tmp_path: Path) -> None:
    build(tiny, "Text.\n", tmp_path, "--only", "pdf", "--profile", profile)
    dark = _edges_dark(tmp_path / f"{SLUG}-cover.pdf")
    assert all(share > 0.98 for share in dark.values()), dark
    report = json.loads((tmp_path / f"{SLUG}-preflight.json").read_text())
    assert report["checks"]["cover_bleed"] == report["checks"]["cover_boxes"] == 0, report["problems"]


def test_preflight_reports_a_cover_whose_bleed_is_white(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cover drawn as it was (body's overflow clipped the page at the trim) is reported."""
    styles = tmp_path / "styles"
    real_styles = Path(print_cover.__file__).resolve().parents[3] / "styles"
    styles.mkdir()
    (styles / "print-cover.css").write_text((real_styles / "print-cover.css").read_text() + "\nbody { overflow: hidden; }\n")
    real = print_cover.render_print_cover
    monkeypatch.setattr(print_cover, "render_print_cover", lambda meta, pages, profile, _: real(meta, pages, profile, styles))
    err = build(tiny, "Text.\n", tmp_path / "out", "--only", "pdf", "--profile", "kdp")
    assert "the background stops at the trim (left, top, right, bottom)" in err
    report = json.loads((tmp_path / "out" / f"{SLUG}-preflight.json").read_text())
    assert report["checks"]["cover_bleed"] == 1 and "no problems found" not in err


# -- 6. the EPUB's page list with a table and a figure that break across pages ----------------


def test_the_page_list_survives_tables_and_figures_across_pages(tiny: Path, tmp_path: Path) -> None:
    (tiny / "images").mkdir()
    Image.new("RGB", (800, 1400), (200, 30, 30)).save(tiny / "images" / "tall.png")
    caption = "A caption long enough to run over many lines of the page. " * 60
    err = build(tiny, _table_book() + f'\n![A tall picture](images/tall.png "{caption.strip()}")\n\nAfter it.\n', tmp_path)
    assert "page list" not in err, err
    with zipfile.ZipFile(tmp_path / f"{SLUG}.epub") as epub:
        nav = epub.read("EPUB/text/nav.xhtml").decode()
        chapter = epub.read("EPUB/text/second.xhtml").decode()
    assert 'epub:type="page-list"' in nav
    pages = len({line.page for line in lines(tmp_path / f"{SLUG}.pdf") if any(re.fullmatch(r"[AD]\d+", w) for w in line.words)})
    assert pages > 2 and chapter.count('epub:type="pagebreak"') >= pages

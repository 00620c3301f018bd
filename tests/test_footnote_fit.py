"""Notes on the page of their call in the first layout (the patch KEEP_NOTES_WITH_CALLS), where WeasyPrint
as shipped moves a note to the next page so that a later paragraph keeps two lines at the foot.

The fixture is six paragraphs of the benchmark's book in which WeasyPrint 70 does just that
to note 2; the first test checks that it still does, so the others keep testing something.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdf
import pytest
import weasyprint
from weasyprint.layout import block
from weasyprint.text.fonts import FontConfiguration

from pipeline.build import STYLES_DIR
from pipeline.cli import main
from pipeline.diagnostics import Collector
from pipeline.fetcher import LocalFetcher
from pipeline.fonts import font_dirs
from pipeline.load import load_normalised
from pipeline.render.pdf import note_pages as footnote_fit
from pipeline.render.pdf import layout as pdf
from pipeline.render.pdf import patches as weasyprint_patches

from conftest import FIXTURES

PUSHED = FIXTURES / "note-pushed"


def first_layout() -> Any:
    """The fixture through WeasyPrint once, with our HTML and CSS and no page-break fixes."""
    doc = load_normalised(PUSHED, Collector())
    fonts = FontConfiguration()
    fetcher = LocalFetcher([STYLES_DIR, *font_dirs()])
    css = [weasyprint.CSS(string=pdf.font_face_css(pdf.FAMILY) + pdf.page_css(doc.meta.trim), url_fetcher=fetcher,
                          font_config=fonts),
           weasyprint.CSS(filename=str(STYLES_DIR / "print.css"), url_fetcher=fetcher, font_config=fonts)]
    return weasyprint.HTML(string=pdf.print_html(doc), base_url=str(STYLES_DIR) + "/", url_fetcher=fetcher).render(
        stylesheets=css, font_config=fonts)


def test_weasyprint_as_shipped_moves_the_note() -> None:
    displaced = footnote_fit.find_displaced(first_layout().pages)
    assert [(d.note_id, d.note_page - d.call_page) for d in displaced] == [("ch01-note-2", 1)]
    assert displaced[0].culprit, "the paragraph that pushed the note out is found"


def test_the_patched_layout_keeps_every_note_with_its_call() -> None:
    stock = block._linebox_layout
    with weasyprint_patches.applied("KEEP_NOTES_WITH_CALLS"):
        assert block._linebox_layout is not stock
        layout = first_layout()
    assert block._linebox_layout is stock, "WeasyPrint as shipped once the layout is done"
    assert footnote_fit.find_displaced(layout.pages) == []


def test_build_lays_out_each_section_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapter and the front matter: one layout each, no page-break fixes needed, and in the
    PDF note 2's text is on the page whose text ends its calling paragraph."""
    checks: list[int] = []
    find = footnote_fit.find_displaced

    def counted(pages: list[Any]) -> list[footnote_fit.Displaced]:
        found = find(pages)
        checks.append(len(found))
        return found

    monkeypatch.setattr(footnote_fit, "find_displaced", counted)
    assert main(["build", str(PUSHED), "-o", str(tmp_path), "--only", "pdf", "--no-cache"]) == 0
    assert checks == [0, 0]
    pages = ["".join(p.extract_text().split()) for p in pypdf.PdfReader(next(tmp_path.glob("*.pdf"))).pages]
    call_page = next(i for i, text in enumerate(pages) if "ourowntimes." in text)
    assert "LeonTrotsky" in pages[call_page]
    assert "LeonTrotsky" not in pages[call_page + 1]

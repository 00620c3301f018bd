"""The print cover: back, spine and front on one sheet, with bleed on every side, as a PDF.

Sheet = back + spine + front, each panel at the trim, plus BLEED_IN all round; the
spine is the interior's page count times the paper's thickness. The front is the EPUB
cover's design (cover.py breaks the title; styles/print-cover.css draws it); the spine
carries title and authors only when it is wide enough (print_profiles.spine_has_text).
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import weasyprint

from pipeline.fetcher import LocalFetcher
from pipeline.fonts import REGULAR, font_dir, font_face_css
from pipeline.model import BookMeta
from pipeline.print_profiles import (BLEED_IN, CMYK_PROFILE, MARKS_AREA_IN, MM_PER_IN, PT_PER_IN, SPINE_CLEARANCE_IN,
                                     Profile, spine_has_text, spine_width_in)
from pipeline.render.pdf import patches
from pipeline.render.cover.ebook import _advance_em, break_title
from pipeline.render.pdf.printer import finished

PX_PER_PT = 4 / 3
DESIGN_WIDTH_PX = 1600  # the EPUB cover's width, which the front's design is drawn at
BACK_MARGIN_IN = 0.6  # the blurb's distance from the back's trimmed edges
BARCODE_CLEAR_IN = 1.6  # kept clear at the foot of the back for the printer's barcode


@dataclass(frozen=True)
class CoverGeometry:
    trim_w_in: float
    trim_h_in: float
    spine_in: float
    pages: int
    bleed_in: float = BLEED_IN

    @property
    def sheet_in(self) -> tuple[float, float]:
        """Trimmed sheet: back + spine + front (the PDF's TrimBox)."""
        return 2 * self.trim_w_in + self.spine_in, self.trim_h_in

    @property
    def media_in(self) -> tuple[float, float]:
        """With bleed: what the printer's cover template asks for (the PDF's MediaBox)."""
        w, h = self.sheet_in
        return w + 2 * self.bleed_in, h + 2 * self.bleed_in


def geometry(meta: BookMeta, pages: int) -> CoverGeometry:
    return CoverGeometry(meta.trim.width_mm / MM_PER_IN, meta.trim.height_mm / MM_PER_IN,
                         spine_width_in(pages, meta.paper), pages)


def _byline(names: list[str]) -> str:
    esc = html.escape
    spans = [f'<span class="author">{esc(n)}</span>' for n in names]
    return ", ".join(spans[:-1]) + ' <span class="amp">&amp;</span> ' + spans[-1] if len(spans) > 1 else "".join(spans)


def front_scale(g: CoverGeometry) -> float:
    return g.trim_w_in * PT_PER_IN * PX_PER_PT / DESIGN_WIDTH_PX


_PX = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)px\b")


def scaled_css(css: str, scale: float) -> str:
    """The front is designed in px at the EPUB cover's 1600 px width: every px length is
    scaled to the trim, so one design serves both covers and layout happens at print size
    (a CSS transform would lay out at full size and lose what falls below the page)."""
    return _PX.sub(lambda m: f"{float(m.group(1)) * scale:.3f}px", css)


def cover_html(meta: BookMeta, g: CoverGeometry, cmyk: bool, marks_in: float = 0.0) -> str:
    """marks_in: room outside the bleed for crop marks (the page grows by it; nothing is drawn there)."""
    esc = html.escape
    pt = lambda inches: f"{inches * PT_PER_IN:.3f}pt"  # noqa: E731
    w, s, h, b = g.trim_w_in, g.spine_in, g.trim_h_in, g.bleed_in
    names = [c.name for c in meta.authors]

    # Front: the 1600 px design (its lengths scaled by scaled_css), as tall as the trim.
    size, lines = break_title(meta.title, _advance_em(font_dir() / REGULAR))
    parts = [f'<h1 class="title title-size-{size}">' + "<br>".join(esc(x) for x in lines) + "</h1>"]
    if meta.subtitle:
        parts.append(f'<p class="subtitle">{esc(meta.subtitle)}</p>')
    front = (f'<div class="front" style="left: {pt(b + w + s)}; top: {pt(b)}; height: {pt(h)}; '
             f'">'
             '<div class="frame"></div><div class="ornament"><span class="ray ray-v"></span>'
             '<span class="ray ray-h"></span><span class="ray ray-d1"></span><span class="ray ray-d2"></span></div>'
             f'<div class="titling"><div>{"".join(parts)}</div></div>'
             f'<p class="authors{" authors-many" if len(names) > 2 else ""}">{_byline(names)}</p>'
             + (f'<p class="publisher">{esc(meta.publisher)}</p>' if meta.publisher else "") + "</div>")

    # Spine: a line as long as the trim height, turned to read from top to bottom.
    spine = ""
    if spine_has_text(g.pages, s):
        band = s - 2 * SPINE_CLEARANCE_IN
        length = h - 2 * 0.5
        # As large as the band allows, and small enough for the line to fit the spine's length
        # (authors in spaced small capitals: about 1.1 em per em of lower case).
        advance = _advance_em(font_dir() / REGULAR)
        line_em = advance(meta.title) + 1.6 + 1.1 * advance(" & ".join(names))
        font = min(14.0, band * PT_PER_IN * 0.6, length * PT_PER_IN / line_em)
        spine = (f'<div class="spine-text" style="left: {pt(b + w + s / 2 + band / 2)}; top: {pt(b + 0.5)}; '
                 f'width: {pt(length)}; height: {pt(band)}; line-height: {pt(band)}; font-size: {font:.2f}pt">'
                 f'<span class="spine-title">{esc(meta.title)}</span>'
                 f'<span class="spine-authors">{esc(" & ".join(names))}</span></div>')

    # Back: the description as a blurb; the foot is left for the barcode.
    m = BACK_MARGIN_IN
    blurb = (f'<p class="blurb-title">{esc(meta.title)}</p><p class="blurb">{esc(meta.description)}</p>'
             if meta.description else "")
    back = (f'<div class="back" style="left: {pt(b + m)}; top: {pt(b + m + 0.3)}; width: {pt(w - 2 * m)}; '
            f'height: {pt(h - 2 * m - 0.3)}">{blurb}'
            + (f'<p class="back-publisher" style="bottom: 0">{esc(meta.publisher)}</p>' if meta.publisher else "")
            + "</div>")

    sheet_w, sheet_h = g.sheet_in
    # The body starts at the bleed's corner: every position above is measured from there.
    page = (f"@page {{ size: {pt(sheet_w)} {pt(sheet_h)}; margin: 0; bleed: {pt(b + marks_in)}; }}\n"
            f"html, body, .sheet, .ground {{ width: {pt(sheet_w + 2 * b)}; height: {pt(sheet_h + 2 * b)}; }}\n"
            f"body {{ margin: {pt(-b)} 0 0 {pt(-b)}; }}")
    return (f'<!DOCTYPE html><html lang="{esc(meta.lang)}"{" class=cmyk" if cmyk else ""}><head><meta charset="utf-8">'
            f"<title>{esc(meta.title)}: cover</title>"
            f'<meta name="dcterms.created" content="{esc(meta.date)}"><meta name="dcterms.modified" content="{esc(meta.date)}">'
            f'<style>{font_face_css("Cover Garamond")}</style>'
            f'<style>{page}</style></head><body><div class="sheet"><div class="ground"></div>{back}{spine}{front}</div></body></html>')


def render_print_cover(meta: BookMeta, pages: int, profile: Profile, styles_dir: Path) -> bytes:
    with patches.font_configuration() as fonts:  # its font files removed after
        return _render(meta, pages, profile, styles_dir, fonts)


def _render(meta: BookMeta, pages: int, profile: Profile, styles_dir: Path, fonts: Any) -> bytes:
    g = geometry(meta, pages)
    fetcher = LocalFetcher([styles_dir, font_dir(), *((CMYK_PROFILE,) if profile.cmyk else ())])
    profiles: dict = {}  # type: ignore[type-arg]
    options: dict = {}  # type: ignore[type-arg]
    stylesheets = [weasyprint.CSS(string=scaled_css((styles_dir / "print-cover.css").read_text(encoding="utf-8"),
                                                    front_scale(g)),
                                  base_url=styles_dir.as_uri() + "/", url_fetcher=fetcher, font_config=fonts)]
    if profile.cmyk:
        stylesheets.append(weasyprint.CSS(
            string=f'@color-profile device-cmyk {{ src: url("{CMYK_PROFILE.as_uri()}"); components: c, m, y, k; }}',
            url_fetcher=fetcher, font_config=fonts, color_profiles=profiles))
        options["pdf_variant"] = profile.pdf_variant
    marks = MARKS_AREA_IN if profile.crop_marks else 0.0
    document = weasyprint.HTML(string=cover_html(meta, g, profile.cmyk, marks), base_url=styles_dir.as_uri() + "/",
                               url_fetcher=fetcher).render(stylesheets=stylesheets, font_config=fonts,
                                                           color_profiles=profiles, **options)
    if len(document.pages) != 1:
        raise RuntimeError(f"the print cover came out as {len(document.pages)} pages: check print-cover.css")
    pdf = document.write_pdf(pdf_identifier=(meta.identifier + "#cover").encode(), **options)
    return finished(pdf, dataclasses.replace(profile, outside_only=False))

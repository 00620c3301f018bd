"""A print profile -> what the PDF renderer needs: bleed and marks as CSS, the gutter for
the page count, PDF/X options with a CMYK output intent, and exact page boxes.

WeasyPrint sets MediaBox from the CSS page size plus `bleed`, TrimBox at the page size,
and BleedBox at most 10 pt outside the trim. Bleed is per side (bleed-left, ...), so KDP's
"top, bottom and outside edge" is CSS on :left and :right pages; the finisher then
sets BleedBox to exactly the profile's bleed (marks for offset lie outside it).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pikepdf

from pipeline.print_profiles import (BLEED_IN, CMYK_CONDITION, CMYK_CONDITION_INFO, CMYK_PROFILE,
                                     MARKS_AREA_IN, MM_PER_IN, PT_PER_IN, Profile, gutter_in)
from pipeline.render.pdf.layout import PDF_VARIANT, PressOptions

# Black and every colour print.css names, as device CMYK: text in K only (rich black
# would misregister on fine type).
CMYK_CSS = """
html { color: device-cmyk(0 0 0 1); }
@page { @footnote { border-top-color: device-cmyk(0 0 0 1); } }
"""


def bleed_sides(profile: Profile, verso: bool) -> dict[str, float]:
    """Bleed in inches per side of a page; verso pages have the spine on their right."""
    b = profile.bleed_in
    if not profile.outside_only:
        return {"top": b, "right": b, "bottom": b, "left": b}
    return {"top": b, "bottom": b, "left": b if verso else 0.0, "right": 0.0 if verso else b}


def _css(profile: Profile) -> str:
    rules = []
    if profile.bleed_in:
        outer = profile.bleed_in + (MARKS_AREA_IN if profile.crop_marks else 0.0)
        if profile.outside_only:
            rules += [f"@page {{ bleed: {outer}in; }}",
                      "@page :left { bleed-right: 0; }",
                      "@page :right { bleed-left: 0; }"]
        else:
            rules.append(f"@page {{ bleed: {outer}in; }}")
    if profile.cmyk:
        rules.append(CMYK_CSS.strip())
        rules.append(f'@color-profile device-cmyk {{ src: url("{CMYK_PROFILE.as_uri()}"); components: c, m, y, k; }}')
    return "\n".join(rules)


def finisher(profile: Profile) -> Callable[[pikepdf.Pdf], None]:
    """Exact BleedBox per page, crop marks, the output intent's name, no annotations for PDF/X:
    edits of a whole PDF (the merged interior, the cover sheet) before it is saved."""
    def finish(pdf: pikepdf.Pdf) -> None:
        for number, page in enumerate(pdf.pages, 1):
            x0, y0, x1, y1 = _box(page.obj.TrimBox)
            # Exact BleedBox: the trim grown by the profile's bleed on each bled side.
            sides = {k: v * PT_PER_IN for k, v in bleed_sides(profile, verso=number % 2 == 0).items()}
            page.obj.BleedBox = pikepdf.Array([x0 - sides["left"], y0 - sides["bottom"],
                                               x1 + sides["right"], y1 + sides["top"]])
            if profile.crop_marks:
                _add_crop_marks(pdf, page, (x0, y0, x1, y1), profile.bleed_in * PT_PER_IN)
            if profile.pdf_variant.startswith("pdf/x") and "/Annots" in page.obj:
                # PDF/X allows no annotations inside the BleedBox: a printer's file has no links.
                del page.obj.Annots
        if profile.cmyk:
            fix_output_intent(pdf)
    return finish


def finished(data: bytes, profile: Profile) -> bytes:
    """A PDF WeasyPrint wrote (the cover sheet), with finisher(profile)'s edits."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        finisher(profile)(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def _box(box: pikepdf.Array) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _add_crop_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, trim: tuple[float, float, float, float],
                    bleed: float) -> None:
    """Crop marks in registration colour (all four inks), outside the bleed. WeasyPrint's own
    `marks: crop` are drawn in RGB, which PDF/X-1a does not allow."""
    x0, y0, x1, y1 = trim
    start, end = bleed + 3, bleed + 3 + 18  # pt from the trim: a gap past the bleed, then the mark
    lines = []
    for x, dx in ((x0, -1), (x1, 1)):
        for y in (y0, y1):
            lines.append(f"{x + dx * start:.3f} {y:.3f} m {x + dx * end:.3f} {y:.3f} l S")
    for y, dy in ((y0, -1), (y1, 1)):
        for x in (x0, x1):
            lines.append(f"{x:.3f} {y + dy * start:.3f} m {x:.3f} {y + dy * end:.3f} l S")
    # The page's own stream leaves its transformation (WeasyPrint's, from the top down) in
    # place: wrap it in q ... Q, and draw the marks after, in the PDF's own coordinates.
    page.contents_add(pikepdf.Stream(pdf, b"q"), prepend=True)
    marks = b"\n".join([b"Q", b"/Artifact BMC q 0.25 w 1 1 1 1 K", *(line.encode() for line in lines), b"Q EMC"])
    page.contents_add(pikepdf.Stream(pdf, marks))


def fix_output_intent(pdf: pikepdf.Pdf) -> None:
    """Name the printing condition by its registered name, not by the profile's file path."""
    if "/OutputIntents" in pdf.Root:
        intent = pdf.Root.OutputIntents[0]
        intent.OutputConditionIdentifier = pikepdf.String(CMYK_CONDITION)
        intent.OutputCondition = pikepdf.String("SWOP coated")
        intent.RegistryName = pikepdf.String("http://www.color.org")
        intent.Info = pikepdf.String(CMYK_CONDITION_INFO)


def press_options(profile: Profile) -> PressOptions:
    if not profile.for_print:
        return PressOptions()
    if profile.cmyk and not CMYK_PROFILE.is_file():
        raise RuntimeError(f"the CMYK output profile {CMYK_PROFILE} is missing: run 'make setup', "
                           "which installs the Debian package libgs-common")

    def min_inner_mm(pages: int) -> float:
        return gutter_in(max(pages, 1)) * MM_PER_IN if profile.gutter_from_pages else 0.0

    options: tuple[tuple[str, Any], ...] = ()
    if profile.pdf_variant and profile.pdf_variant != PDF_VARIANT:
        options = (("pdf_variant", profile.pdf_variant),)
    return PressOptions(css=_css(profile), min_inner_mm=min_inner_mm, pdf_options=options,
                        finish=finisher(profile), tool_files=(CMYK_PROFILE,) if profile.cmyk else ())


__all__ = ["BLEED_IN", "bleed_sides", "finished", "finisher", "fix_output_intent", "press_options"]

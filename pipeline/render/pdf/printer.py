"""A print profile -> what the PDF renderer needs: bleed and marks as CSS, the gutter for
the page count, PDF/X options with a CMYK output intent, and exact page boxes.

WeasyPrint sets MediaBox from the CSS page size plus `bleed`, TrimBox at the page size,
and BleedBox at most 10 pt outside the trim. Bleed is per side (bleed-left, ...), so KDP's
"top, bottom and outside edge" is CSS on :left and :right pages; the finisher then
sets BleedBox to exactly the profile's bleed (marks for offset lie outside it).
"""

from __future__ import annotations

from typing import Any

import pydyf

from pipeline.print_profiles import (BLEED_IN, CMYK_CONDITION, CMYK_CONDITION_INFO, CMYK_PROFILE,
                                     MARKS_AREA_IN, MM_PER_IN, PT_PER_IN, Profile, gutter_in)
from pipeline.render.pdf.layout import PressOptions

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


def _pages(pdf: pydyf.PDF) -> list[pydyf.Dictionary]:
    return [obj for obj in pdf.objects
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"]


def finisher(profile: Profile) -> Any:
    """Exact BleedBox per page, crop marks, the output intent's name, no annotations for PDF/X."""
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        # Exact BleedBox: the trim grown by the profile's bleed on each bled side.
        for number, page in enumerate(_pages(pdf), 1):
            left, top, right, bottom = (float(v) for v in page["TrimBox"])
            sides = {k: v * PT_PER_IN for k, v in bleed_sides(profile, verso=number % 2 == 0).items()}
            # pydyf boxes here run top-down like WeasyPrint's: "top" is the smaller y.
            y0, y1 = min(top, bottom), max(top, bottom)
            page["BleedBox"] = pydyf.Array([left - sides["left"], y0 - sides["top"],
                                            right + sides["right"], y1 + sides["bottom"]])
            if profile.crop_marks:
                _add_crop_marks(pdf, page, (left, y0, right, y1), profile.bleed_in * PT_PER_IN)
            if profile.pdf_variant.startswith("pdf/x"):
                # PDF/X allows no annotations inside the BleedBox: a printer's file has no links.
                page.pop("Annots", None)
        if profile.cmyk:
            fix_output_intent(document, pdf)
    return finish


def _add_crop_marks(pdf: pydyf.PDF, page: pydyf.Dictionary, trim: tuple[float, float, float, float],
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
    # The page's own stream leaves its transformation in place: wrap it in q ... Q first.
    # Its page coordinates run down from the top (WeasyPrint's), mirrored by that transformation,
    # so the marks are drawn after Q, in the PDF's own coordinates.
    before = pydyf.Stream([b"q"])
    marks = pydyf.Stream([b"Q", b"/Artifact BMC q 0.25 w 1 1 1 1 K", *(line.encode() for line in lines), b"Q EMC"])
    pdf.add_object(before)
    pdf.add_object(marks)
    page["Contents"] = pydyf.Array([before.reference, page["Contents"], marks.reference])


def fix_output_intent(document: Any, pdf: pydyf.PDF) -> None:
    """Name the printing condition by its registered name, not by the profile's file path."""
    if "OutputIntents" in pdf.catalog:
        intent = pdf.catalog["OutputIntents"][0]
        intent["OutputConditionIdentifier"] = pydyf.String(CMYK_CONDITION)
        intent["OutputCondition"] = pydyf.String("SWOP coated")
        intent["RegistryName"] = pydyf.String("http://www.color.org")
        intent["Info"] = pydyf.String(CMYK_CONDITION_INFO)


def press_options(profile: Profile) -> PressOptions:
    if not profile.for_print:
        return PressOptions()
    if profile.cmyk and not CMYK_PROFILE.is_file():
        raise RuntimeError(f"the CMYK output profile {CMYK_PROFILE} is missing: run 'make setup', "
                           "which installs the Debian package libgs-common")

    def min_inner_mm(pages: int) -> float:
        return gutter_in(max(pages, 1)) * MM_PER_IN if profile.gutter_from_pages else 0.0

    options: tuple[tuple[str, Any], ...] = ()
    if profile.pdf_variant:
        options = (("pdf_variant", profile.pdf_variant),)
    return PressOptions(css=_css(profile), min_inner_mm=min_inner_mm, pdf_options=options,
                        finisher=finisher(profile), tool_files=(CMYK_PROFILE,) if profile.cmyk else ())


__all__ = ["BLEED_IN", "bleed_sides", "finisher", "fix_output_intent", "press_options"]

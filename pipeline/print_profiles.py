"""Print profiles and paper: what each printer asks of an interior PDF and of its cover.

Pure data and arithmetic (no WeasyPrint), so book.yaml can be checked against it
without laying anything out. Figures come from the printers' published guides:
- KDP (Amazon): bleed 0.125 in on top, bottom and outside edge only, so a bled page
  is 0.125 in wider and 0.25 in taller than the trim; minimum inside margin from the
  page count (the table in GUTTER_TABLE_IN); no printer's marks.
- Lulu: 0.125 in bleed on every side; no printer's marks.
- IngramSpark: PDF/X-1a, text in CMYK or grey, an ICC output intent; 0.125 in bleed
  on every side; no printer's marks.
- offset: for a commercial offset printer: as IngramSpark, plus crop marks outside
  the bleed.
- proof: the page as trimmed, no bleed, for reading on screen (the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MM_PER_IN = 25.4
PT_PER_IN = 72.0
BLEED_IN = 0.125

# KDP's minimum inside margin (gutter) by page count: (last page count, inches).
GUTTER_TABLE_IN: tuple[tuple[int, float], ...] = (
    (150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875),
)

# Paper thickness per page (one leaf = two pages), in inches, from KDP's cover guide.
PAPER_CALIPER_IN: dict[str, float] = {
    "white": 0.002252,
    "cream": 0.0025,
    "color": 0.002347,  # KDP premium colour
}
DEFAULT_PAPER = "white"
_EXPLICIT_CALIPER = re.compile(r"^\s*([\d.]+)\s*(in|mm)\s*$")

# Spine text: KDP allows none on books of 79 pages or fewer (about 0.18 in on white paper),
# and we set none on a spine narrower than that; text keeps SPINE_CLEARANCE_IN from each fold.
SPINE_TEXT_MIN_PAGES = 80
SPINE_TEXT_MIN_IN = 0.18
SPINE_CLEARANCE_IN = 0.0625

# CMYK output intent for PDF/X: Ghostscript's SWOP profile, from the Debian package
# libgs-common (a tool file, like the fonts, not a manuscript file).
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
CMYK_CONDITION = "CGATS TR 001"  # SWOP coated, the condition that profile characterises
CMYK_CONDITION_INFO = "Artifex CMYK SWOP Profile (SWOP coated, CGATS TR 001)"


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    bleed_in: float  # on each bled side
    outside_only: bool  # bleed on top, bottom and outside edge, none at the spine (KDP)
    crop_marks: bool
    pdf_variant: str  # WeasyPrint's pdf_variant, or "" for plain PDF
    cmyk: bool  # all colour as device CMYK/grey, CMYK output intent
    gutter_from_pages: bool  # inside margin at least GUTTER_TABLE_IN for the page count

    @property
    def for_print(self) -> bool:
        return self.name != "proof"


PROFILES: dict[str, Profile] = {
    "proof": Profile("proof", "the page as trimmed, no bleed, for reading on screen", 0.0, False, False, "", False, False),
    "kdp": Profile("kdp", "Amazon KDP paperback: bleed top, bottom and outside edge", BLEED_IN, True, False, "", False, True),
    "lulu": Profile("lulu", "Lulu: bleed on all sides", BLEED_IN, False, False, "", False, True),
    "ingram": Profile("ingram", "IngramSpark: PDF/X-1a, CMYK and grey only, bleed on all sides",
                      BLEED_IN, False, False, "pdf/x-1a", True, True),
    "offset": Profile("offset", "offset printing: as ingram, plus crop marks outside the bleed",
                      BLEED_IN, False, True, "pdf/x-1a", True, True),
}
DEFAULT_PROFILE = "proof"
# Room around the bleed for crop marks (offset only): marks are drawn in the outer half.
MARKS_AREA_IN = 0.5


def gutter_in(pages: int) -> float:
    """KDP's minimum inside margin for a page count (the last row beyond 828 pages)."""
    for last, inches in GUTTER_TABLE_IN:
        if pages <= last:
            return inches
    return GUTTER_TABLE_IN[-1][1]


def caliper_in(paper: str) -> float | None:
    """Thickness per page in inches for a paper name or an explicit '0.0025in' / '0.064mm'."""
    if paper in PAPER_CALIPER_IN:
        return PAPER_CALIPER_IN[paper]
    m = _EXPLICIT_CALIPER.match(paper)
    if m:
        try:
            value = float(m.group(1)) / (MM_PER_IN if m.group(2) == "mm" else 1.0)
        except ValueError:
            return None
        return value if 0.001 <= value <= 0.01 else None
    return None


def spine_width_in(pages: int, paper: str) -> float:
    """Spine width: pages times the paper's thickness per page."""
    caliper = caliper_in(paper)
    assert caliper is not None, f"unchecked paper {paper!r}"
    return pages * caliper


def spine_has_text(pages: int, spine_in: float) -> bool:
    return pages >= SPINE_TEXT_MIN_PAGES and spine_in >= SPINE_TEXT_MIN_IN

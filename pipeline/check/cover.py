"""Preflight of the print cover: its page boxes, and the ground running into the bleed.

The interior's check reads the page boxes; a cover's boxes can be right while its picture
stops at the trim (the bleed printing white, as print-cover.css once made it, at every
profile, with "no problems found"). So the cover is also drawn (poppler's pdftoppm) and each
bleed strip is compared with the strip just inside the trim beside it: where the design is
not white inside, the bleed must not be white either. A white design may have a white bleed.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess

import pypdf
from PIL import Image

from pipeline.model import Document
from pipeline.check.poppler import run_on_pdf
from pipeline.check.preflight import BOX_TOLERANCE_PT, Problem, Report
from pipeline.print_profiles import MM_PER_IN, PT_PER_IN, Profile, spine_width_in

DPI = 72  # the bleed (0.125 in) is 9 pixels deep
WHITE = 235  # grey level from which a pixel counts as unprinted paper
STRAY = 0.02  # share of an edge whose bleed may be white beside a printed trim (a thin white rule)
SIDES = ("left", "top", "right", "bottom")


def _drawn(pdf: bytes) -> Image.Image | None:
    """The cover's page in grey at DPI, or None without pdftoppm."""
    drawn = run_on_pdf("pdftoppm", pdf, ["-r", str(DPI), "-gray", "-singlefile", "-f", "1", "-l", "1"])
    return Image.open(io.BytesIO(drawn)).convert("L") if drawn is not None else None


def white_bleed(image: Image.Image, media: tuple[float, float, float, float],
                trim: tuple[float, float, float, float], bleed_pt: float) -> list[str]:
    """Sides whose bleed is white where the design just inside the trim is not. Boxes are
    PDF points (left, bottom, right, top); the image is the MediaBox at DPI."""
    scale = DPI / PT_PER_IN
    px = lambda x: (x - media[0]) * scale  # noqa: E731
    py = lambda y: (media[3] - y) * scale  # noqa: E731
    depth = bleed_pt * scale
    left, right, top, bottom = px(trim[0]), px(trim[2]), py(trim[3]), py(trim[1])
    # (outside, inside) sample points across each edge: mid-bleed, and as deep inside the trim.
    probes = {
        "left": [((left - depth / 2, y), (left + depth / 2, y)) for y in range(int(top), int(bottom))],
        "right": [((right + depth / 2, y), (right - depth / 2, y)) for y in range(int(top), int(bottom))],
        "top": [((x, top - depth / 2), (x, top + depth / 2)) for x in range(int(left), int(right))],
        "bottom": [((x, bottom + depth / 2), (x, bottom - depth / 2)) for x in range(int(left), int(right))],
    }
    width, height = image.size
    at = lambda p: image.getpixel((min(max(int(p[0]), 0), width - 1), min(max(int(p[1]), 0), height - 1)))  # noqa: E731
    found = []
    for side in SIDES:
        printed = [(out, inner) for out, inner in probes[side] if at(inner) < WHITE]
        gaps = sum(at(out) >= WHITE for out, _ in printed)
        if printed and gaps > STRAY * len(printed):
            found.append(side)
    return found


def _box(page: pypdf.PageObject, name: str) -> tuple[float, float, float, float]:
    box = getattr(page, name)
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


def cover_problems(doc: Document, pdf: bytes, pages: int, profile: Profile, name: str) -> list[Problem]:
    """The cover's problems, reported against book.yaml (the cover is made from its metadata);
    pages: the interior's page count (the spine's width); name: the cover file's name."""
    where = doc.meta.pos.path

    def problem(check: str, message: str) -> Problem:
        return Problem(check, 1, "", where, f"cover ({name}): {message}")

    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    media, trim, bleed = _box(page, "mediabox"), _box(page, "trimbox"), _box(page, "bleedbox")
    found: list[Problem] = []
    sheet = (2 * doc.meta.trim.width_mm / MM_PER_IN + spine_width_in(pages, doc.meta.paper)) * PT_PER_IN
    height = doc.meta.trim.height_mm / MM_PER_IN * PT_PER_IN
    if abs(trim[2] - trim[0] - sheet) > BOX_TOLERANCE_PT or abs(trim[3] - trim[1] - height) > BOX_TOLERANCE_PT:
        found.append(problem("cover_boxes", f"TrimBox is {trim[2] - trim[0]:.2f} x {trim[3] - trim[1]:.2f} pt, "
                                            f"the sheet (back, spine, front) {sheet:.2f} x {height:.2f} pt"))
    want = profile.bleed_in * PT_PER_IN  # a cover bleeds on every side, at the spine's profile too
    have = dict(zip(SIDES, (trim[0] - bleed[0], bleed[3] - trim[3], bleed[2] - trim[2], trim[1] - bleed[1])))
    if wrong := [side for side in SIDES if abs(have[side] - want) > BOX_TOLERANCE_PT]:
        found.append(problem("cover_boxes", "bleed is " + ", ".join(f"{s} {have[s]:.2f} pt" for s in wrong)
                                            + f"; {profile.name} asks for {want:.2f} pt on every side"))
    if bleed[0] < media[0] - BOX_TOLERANCE_PT or bleed[1] < media[1] - BOX_TOLERANCE_PT \
            or bleed[2] > media[2] + BOX_TOLERANCE_PT or bleed[3] > media[3] + BOX_TOLERANCE_PT:
        found.append(problem("cover_boxes", "BleedBox reaches outside the MediaBox"))
    try:
        image = _drawn(pdf)
    except (OSError, subprocess.CalledProcessError) as exc:
        return found + [problem("cover_bleed_not_run", f"the check of the cover's bleed was not run: pdftoppm failed ({exc})")]
    if image is None:
        return found + [problem("cover_bleed_not_run", "the check of the cover's bleed was not run: "
                                                       "pdftoppm (Debian's poppler-utils) is not installed")]
    if sides := white_bleed(image, media, trim, want):
        found.append(problem("cover_bleed", f"the background stops at the trim ({', '.join(sides)}): "
                                            f"the {profile.bleed_in} in bleed prints white, and a printer rejects that; "
                                            "the design must run into the bleed on every side"))
    return found


def with_cover(report: Report, problems: list[Problem]) -> Report:
    """The interior's report with the cover's problems and their counts added."""
    checks = dict(report.checks)
    for check in ("cover_boxes", "cover_bleed"):
        checks[check] = sum(p.check == check for p in problems)
    return dataclasses.replace(report, checks=checks, problems=(*problems, *report.problems))

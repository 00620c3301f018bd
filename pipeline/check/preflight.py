"""Preflight: what a printer's checker would say about the built PDF, before it is sent.

Read from the built PDF (pikepdf: fonts, page boxes, colour operators and images) and from
WeasyPrint's layout of it (lines, paragraphs, notes, and glyphs, each against the face its
text is set in). Each problem is a warning with its page and chapter; the whole report is
written as <slug>-preflight.json, with no timestamps, so the same book gives the same file.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pikepdf

from pipeline.cache.store import Cache, digest
from pipeline.check import completeness
from pipeline.check.readings import read_back
from pipeline.check.colours import page_colours as _colours  # noqa: F401  (tests scan one page)
from pipeline.check import pdf_words
from pipeline.diagnostics import SourcePos
from pipeline.model import Block, Document
from pipeline.print_profiles import MM_PER_IN, PT_PER_IN, Profile, gutter_in, spine_has_text, spine_width_in
from pipeline.render.pdf.facts import LayoutFacts, PrintedSection, layout_facts
from pipeline.render.pdf.facts import body_lines as _body_lines  # noqa: F401  (tests read one page)
from pipeline.render.pdf.printer import bleed_sides
from pipeline.walk import iter_blocks, plain_text

PX_PER_PT = 4 / 3
BOX_TOLERANCE_PT = 0.1


@dataclass(frozen=True)
class Problem:
    check: str
    page: int
    chapter: str  # the chapter's title, or "" for front matter
    file: str  # the file the page's text comes from (chapter file, or book.yaml)
    message: str
    line: int = 1  # the block it is in where the text finds it, else where that chapter (or book.yaml) begins

    @property
    def pos(self) -> SourcePos:
        return SourcePos(self.file, self.line, 1)

    @property
    def text(self) -> str:
        where = f"page {self.page}" + (f", {self.chapter}" if self.chapter else "")
        return f"preflight: {where}: {self.message}"


@dataclass(frozen=True)
class Report:
    profile: str
    paper: str
    pages: int
    trim_mm: tuple[float, float]
    bleed_in: dict[str, float]
    inside_margin_in: float
    gutter_minimum_in: float
    spine_width_in: float
    spine_width_mm: float
    spine_text: bool
    fonts: tuple[str, ...]
    fonts_not_embedded: tuple[str, ...]
    colour_spaces: tuple[str, ...]
    output_intent: str
    notes: int
    checks: dict[str, int]  # check -> number of problems found
    problems: tuple[Problem, ...] = field(default=())

    def to_json(self) -> bytes:
        data = asdict(self)
        return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()

    def summary(self) -> list[str]:
        bleed = ", ".join(f"{k} {v} in" for k, v in self.bleed_in.items() if v) or "none"
        fonts = (f"{len(self.fonts)} fonts, all embedded" if not self.fonts_not_embedded
                 else f"fonts NOT embedded: {', '.join(self.fonts_not_embedded)}")
        found = [f"{n} {name.replace('_', ' ')}" for name, n in self.checks.items() if n]
        return [
            f"preflight ({self.profile}): {self.pages} pages, trim {self.trim_mm[0]:g} x {self.trim_mm[1]:g} mm, "
            f"bleed {bleed}; spine {self.spine_width_in:.3f} in ({self.spine_width_mm:.1f} mm) on {self.paper} paper"
            + ("" if self.spine_text else ", too narrow for spine text"),
            f"  {fonts}; colour {', '.join(self.colour_spaces) or 'none'}"
            + (f", output intent {self.output_intent}" if self.output_intent else "")
            + f"; {self.notes} notes; " + ("; ".join(found) if found else "no problems found"),
        ]


# -- layout: pages, chapters, lines (plain facts of each page: pipeline.render.pdf.facts) --


def _chapter_of_pages(doc: Document, facts: LayoutFacts) -> list[tuple[str, str]]:
    """(chapter title, file) for each page: the chapter begun last on or before it."""
    by_id = {ch.id: ch for ch in doc.chapters}
    current = ("", doc.meta.pos.path)
    out = []
    for page in facts.pages:
        for section_id, back in page.sections:
            if section_id in by_id:
                ch = by_id[section_id]
                current = (ch.meta.title, ch.pos.path)
            elif back:
                current = ("Note on the Text", doc.meta.pos.path)
        out.append(current)
    return out


def _block_text(block: Block) -> str:
    return " ".join(part if isinstance(part, str) else plain_text(part) for part, _ in completeness.printed_parts(block))


def _line_of(doc: Document, file: str, text: str) -> int | None:
    """The line of the block of chapter `file` that prints `text` (the start of a laid-out line,
    its line-end hyphen aside), or None: the layout knows pages, the model lines."""
    want = "".join(text.split()).rstrip("-\u2010")[:40]
    chapter = next((ch for ch in doc.chapters if ch.pos.path == file), None)
    if chapter is None or len(want) < 4:
        return None
    return next((b.pos.line for b in iter_blocks(chapter.blocks)
                 if b.pos.line and want in "".join(_block_text(b).split())), None)


def _paragraph_lines(facts: LayoutFacts | list[Any]) -> dict[int, list[tuple[int, int]]]:
    """For each paragraph of the main flow: (page number, lines on that page) per fragment
    (facts, or the pages of a WeasyPrint layout)."""
    if not isinstance(facts, LayoutFacts):
        facts = layout_facts(facts)
    found: dict[int, list[tuple[int, int]]] = {}
    for number, page in enumerate(facts.pages, 1):
        for paragraph, lines in page.paragraphs:
            found.setdefault(paragraph, []).append((number, lines))
    return found


# -- the PDF: fonts, boxes, colour ---------------------------------------------------------


def pdf_fonts(pdf: pikepdf.Pdf) -> tuple[set[str], set[str]]:
    """The names of the fonts the pages use (subset prefix dropped), and those not embedded."""
    names, unembedded = set(), set()
    for page in pdf.pages:
        for _, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
            name = str(font.get("/BaseFont", "?")).lstrip("/").split("+", 1)[-1]
            names.add(name)
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0] if descendants else font).get("/FontDescriptor")
            desc = desc if desc is not None else {}
            if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                unembedded.add(name)
    return names, unembedded


def _pdfx_page_problems(page: pikepdf.Page) -> list[str]:
    """What PDF/X-1a forbids on a page beyond colour: transparency, annotations in the bleed."""
    found = []
    resources = page.obj.get("/Resources", {})
    for _, state in resources.get("/ExtGState", {}).items():
        if float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1 or state.get("/SMask", "/None") != "/None":
            found.append("transparency (PDF/X-1a allows none)")
            break
    for _, xobject in resources.get("/XObject", {}).items():
        if "/SMask" in xobject:
            found.append("an image with a soft mask (transparency; PDF/X-1a allows none)")
            break
    if page.obj.get("/Annots"):
        found.append("annotations on the page (PDF/X allows none inside the bleed)")
    return found


def _box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float]:
    left, bottom, right, top = (float(v) for v in getattr(page, name))
    return left, bottom, right, top


# -- the report --------------------------------------------------------------------------


def _inside_margin_in(facts: LayoutFacts) -> float:
    """The narrowest inside margin as laid out (left on rectos, right on versos)."""
    sides = [p.margin_left if n % 2 else p.margin_right for n, p in enumerate(facts.pages, 1)]
    return min(sides, default=0.0) / PX_PER_PT / PT_PER_IN


def preflight(doc: Document, pdf: bytes, facts: LayoutFacts, profile: Profile,
              parts: tuple[PrintedSection, ...] = (), cache: Cache | None = None) -> Report:
    """facts: the layout's pages as plain data (its sections' assembled); parts: where each
    laid-out section is in `pdf` (none: the PDF is read as one), whose readings `cache` keeps."""
    reader = pikepdf.open(io.BytesIO(pdf))
    cache = cache or Cache(None)
    parts = parts or (PrintedSection(1, len(reader.pages), digest(pdf)),)
    read = read_back(doc, facts, pdf, parts, profile.name, cache, lambda i: _colours(reader.pages[i]),
                     pdf_words.trim_boxes(reader))
    pages = facts.pages
    inside_in = _inside_margin_in(facts)
    where = _chapter_of_pages(doc, facts)
    starts = {ch.pos.path: ch.pos.line or 1 for ch in doc.chapters}
    problems: list[Problem] = []

    def problem(check: str, page: int, message: str, line: int | None = None) -> None:
        title, file = where[page - 1]
        problems.append(Problem(check, page, title, file, message, line or starts.get(file, 1)))

    # Glyphs, lines, paragraphs, notes: from the layout.
    for number, page in enumerate(pages, 1):
        for char in page.glyphs:
            problem("missing_glyphs", number, f"'{char}' (U+{ord(char):04X}) is not in the book's font: it prints as an empty box")
        for char, face in page.fallbacks:
            problem("glyph_fallbacks", number, f"'{char}' (U+{ord(char):04X}) is not in {face}, the face its text is set in: "
                                               "it prints in another face of the book (the wrong weight or style)")
        # A chapter's text running on to a page for one line (openers and front matter are
        # short by design).
        continued = number > 1 and where[number - 1][0] and where[number - 1] == where[number - 2]
        if continued and page.body_lines == 1:
            problem("lone_lines", number, "the page holds a single line of text: tighten or loosen the pages before it")
        for over, text in page.overfull:
            problem("overfull_lines", number, f"line runs {over:.1f} pt into the margin: '{text[:60]}'",
                    _line_of(doc, where[number - 1][1], text))
    for fragments in _paragraph_lines(facts).values():
        if len(fragments) < 2:
            continue
        (first_page, first_lines), (last_page, last_lines) = fragments[0], fragments[-1]
        if first_lines == 1:
            problem("orphans", first_page, "orphan: the first line of a paragraph is alone at the foot of the page")
        if last_lines == 1:
            problem("widows", last_page, "widow: the last line of a paragraph is alone at the top of the page")
    for note_id, call_page, note_page in facts.displaced:
        problem("notes_off_their_page", call_page, f"note {note_id} is printed on page {note_page or '?'}, its call on page {call_page}")
    notes = sum(page.notes for page in pages)
    # Every word of the running text and notes in the PDF's text, in order, inside the trim box,
    # each paragraph on a line of its own (pipeline.check.completeness), at the block's own line.
    if isinstance(read.findings, str):
        problems.append(Problem("text_completeness_not_run", 1, "", doc.meta.pos.path,
                                f"the check that every word is printed was not run: {read.findings}"))
    else:
        problems += [Problem("text_completeness", f.page, where[min(f.page, len(where)) - 1][0] if where else "",
                             f.pos.path, f.message, f.pos.line or 1) for f in read.findings]

    # Fonts, boxes, colour: from the PDF as written.
    fonts, unembedded = pdf_fonts(reader)
    for name in sorted(unembedded):
        problem("fonts_not_embedded", 1, f"font {name} is not embedded")
    trim_pt = (doc.meta.trim.width_mm / MM_PER_IN * PT_PER_IN, doc.meta.trim.height_mm / MM_PER_IN * PT_PER_IN)
    spaces: dict[str, int] = {}
    for number, page in enumerate(reader.pages, 1):
        tl, tb, tr, tt = _box(page, "trimbox")
        if abs((tr - tl) - trim_pt[0]) > BOX_TOLERANCE_PT or abs((tt - tb) - trim_pt[1]) > BOX_TOLERANCE_PT:
            problem("page_boxes", number, f"TrimBox is {tr - tl:.2f} x {tt - tb:.2f} pt, the trim {trim_pt[0]:.2f} x {trim_pt[1]:.2f} pt")
        bl, bb, br, bt = _box(page, "bleedbox")
        ml, mb, mr, mt = _box(page, "mediabox")
        want = {k: v * PT_PER_IN for k, v in bleed_sides(profile, verso=number % 2 == 0).items()}
        have = {"left": tl - bl, "right": br - tr, "bottom": tb - bb, "top": bt - tt}
        wrong = [side for side in have if abs(have[side] - want[side]) > BOX_TOLERANCE_PT]
        if wrong:
            problem("page_boxes", number, "bleed is " + ", ".join(f"{s} {have[s]:.2f} pt" for s in wrong)
                    + f"; {profile.name} asks for " + ", ".join(f"{s} {want[s]:.2f} pt" for s in wrong))
        if bl < ml - BOX_TOLERANCE_PT or bb < mb - BOX_TOLERANCE_PT or br > mr + BOX_TOLERANCE_PT or bt > mt + BOX_TOLERANCE_PT:
            problem("page_boxes", number, "BleedBox reaches outside the MediaBox")
        used = read.colours[number - 1]
        for name, n in used.items():
            spaces[name] = spaces.get(name, 0) + n
        if profile.cmyk:
            bad = sorted(set(used) - {"cmyk", "grey"})
            if bad:
                problem("colour", number, f"{', '.join(bad)} colour on a page of a CMYK/grey-only ({profile.name}) PDF")
        if profile.pdf_variant.startswith("pdf/x"):
            for message in _pdfx_page_problems(page):
                problem("pdfx", number, message)
    intents = reader.Root.get("/OutputIntents") or []
    intent = str(intents[0].get("/OutputConditionIdentifier", "")) if len(intents) else ""
    if profile.cmyk and not intent:
        problem("colour", 1, f"no output intent: {profile.name} needs a CMYK output intent (PDF/X)")

    count = len(reader.pages)
    spine = spine_width_in(count, doc.meta.paper)
    minimum = gutter_in(count) if profile.gutter_from_pages else 0.0
    if inside_in < minimum - 1e-3:
        problem("gutter", 1, f"inside margin {inside_in:.3f} in is under {minimum} in, "
                             f"the minimum for {count} pages")
    checks = {name: sum(p.check == name for p in problems) for name in (
        "fonts_not_embedded", "missing_glyphs", "glyph_fallbacks", "notes_off_their_page", "overfull_lines", "widows", "orphans", "lone_lines",
        "page_boxes", "colour", "pdfx", "gutter")}
    checks["text_completeness"] = sum(p.check == "text_completeness" for p in problems)
    return Report(
        profile=profile.name, paper=doc.meta.paper, pages=count,
        trim_mm=(round(doc.meta.trim.width_mm, 1), round(doc.meta.trim.height_mm, 1)),
        bleed_in={side: round(v, 4) for side, v in bleed_sides(profile, verso=False).items()}
        if not profile.outside_only else {"top": profile.bleed_in, "bottom": profile.bleed_in, "outside": profile.bleed_in, "inside": 0.0},
        inside_margin_in=round(inside_in, 3), gutter_minimum_in=minimum,
        spine_width_in=round(spine, 4), spine_width_mm=round(spine * MM_PER_IN, 2), spine_text=spine_has_text(count, spine),
        fonts=tuple(sorted(fonts)), fonts_not_embedded=tuple(sorted(unembedded)),
        colour_spaces=tuple(sorted(spaces)), output_intent=intent, notes=notes,
        checks=checks, problems=tuple(sorted(problems, key=lambda p: (p.page, p.check, p.message))),
    )

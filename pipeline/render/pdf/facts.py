"""What the print layout knows about each page, read from WeasyPrint's boxes once, as plain data.

The page map (pages.py) and the preflight report (pipeline.check.preflight) are made from these
facts, not from WeasyPrint's layout objects, so that a section laid out alone can keep them in
the build cache with its PDF, and the facts of sections laid out apart can be put together
(`assemble`) into those of the whole book: page numbers shifted by the pages before, the blank
pages that let each chapter open on a right-hand page put in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Iterator, Sequence

from weasyprint.formatting_structure import boxes

from pipeline.fonts import DRAWN_AS_NOTHING, charset, face_charset, face_name, face_of
from pipeline.pagemap import NOTE_ON_TEXT, counted
from pipeline.render.pdf.note_pages import Displaced, find_displaced

PX_PER_PT = 4 / 3
OVERFULL_TOLERANCE_PT = 0.5  # lines may end this far past the measure (rounding)
_PARAGRAPHS = ("p", "li")


@dataclass(frozen=True)
class PageFacts:
    kind: str  # the page's name in print.css ("front", "front-folio", "body"), "" for a blank page
    start: tuple[str, int] | None  # page map: (region, offset) of its first counted running text
    sections: tuple[tuple[str, bool], ...]  # (id, is the back matter) of each <section> on it, in order
    glyphs: tuple[str, ...]  # characters no face of the book can draw
    body_lines: int  # lines of text in the main flow
    overfull: tuple[tuple[float, str], ...]  # (points past the measure, text) per overfull line
    paragraphs: tuple[tuple[int, int], ...]  # (paragraph, lines on this page) per paragraph fragment
    notes: int  # footnotes in its footnote area
    margin_left: float  # px
    margin_right: float
    # (character, face) for each character that the face its text is set in lacks, though
    # another face of the book draws it (Pango sets it in that one: the wrong weight or style)
    fallbacks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PrintedSection:
    """Where one laid-out section's pages are in the merged PDF, and what identifies them."""

    first_page: int  # 1-based, in the merged PDF
    pages: int
    digest: str  # of the section's own PDF: the same digest, the same pages


@dataclass(frozen=True)
class LayoutFacts:
    pages: tuple[PageFacts, ...]
    lengths: tuple[tuple[str, int], ...]  # (region, counted characters laid out), in order
    displaced: tuple[tuple[str, int, int], ...]  # (note id, call page, note page), 1-based; 0: no page

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LayoutFacts":
        pages = tuple(PageFacts(p["kind"], tuple(p["start"]) if p["start"] else None, tuple((i, b) for i, b in p["sections"]),  # type: ignore[arg-type]
                                tuple(p["glyphs"]), p["body_lines"], tuple((o, t) for o, t in p["overfull"]),
                                tuple((k, n) for k, n in p["paragraphs"]), p["notes"], p["margin_left"],
                                p["margin_right"], tuple((c, f) for c, f in p.get("fallbacks", ())))
                      for p in data["pages"])
        return cls(pages, tuple((r, n) for r, n in data["lengths"]), tuple((i, c, p) for i, c, p in data["displaced"]))


def _not_margin(page_box: Any) -> Iterator[Any]:
    return (c for c in page_box.children if not isinstance(c, boxes.MarginBox))


def _main_flow(page_box: Any) -> Iterator[Any]:
    return (c for c in page_box.children if not isinstance(c, (boxes.MarginBox, boxes.FootnoteAreaBox)))


def _text(box: Any) -> str:
    return "".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))


def _ink_end(box: Any) -> float:
    """Where a text box's last visible character ends. Spaces kept at a line's end (code, set
    `white-space: pre-wrap`) hang past the measure without ink (CSS Text 3, 4.1.3): they are
    left out, by their share of the box's width, which is exact in the one-width face of code."""
    end = box.position_x + box.margin_width()
    kept = box.text.rstrip()
    if box.style["white_space"] == "pre-wrap" and len(kept) < len(box.text):
        end -= box.width * (len(box.text) - len(kept)) / len(box.text)
    return end


def _overfull(page_box: Any) -> Iterator[tuple[float, str]]:
    """(points past the measure, text) of each line wider than the block that holds it
    (a line box grows with its content, so the measure is the block's content width)."""
    for child in _not_margin(page_box):
        for block in child.descendants():
            if not isinstance(block, boxes.BlockContainerBox):
                continue
            right = block.content_box_x() + block.width
            for line in block.children:
                if not isinstance(line, boxes.LineBox):
                    continue
                ends = [_ink_end(b) for b in line.descendants() if isinstance(b, boxes.TextBox) and b.text.strip()]
                if ends and (over := (max(ends) - right) / PX_PER_PT) > OVERFULL_TOLERANCE_PT:
                    yield over, _text(line).strip()


def body_lines(page_box: Any) -> int:
    """Lines of text in the page's main flow (no running heads, folios or notes)."""
    return sum(1 for child in _main_flow(page_box) for box in child.descendants()
               if isinstance(box, boxes.LineBox) and _text(box).strip())


def _regions(root: Any) -> dict[Any, str]:
    """Element -> region of the running text it belongs to ('' for none or for note text)."""
    out: dict[Any, str] = {}

    def visit(element: Any, region: str) -> None:
        classes = (element.get("class") or "").split()
        if element.tag == "section" and "chapter" in classes:
            region = element.get("id", "")
        elif element.tag == "section" and "note-on-text" in classes:
            region = NOTE_ON_TEXT
        elif "footnote" in classes or "note-repeat" in classes:
            region = ""  # note text sits at its call in print, in asides in the EPUB
        out[element] = region
        for child in element:
            visit(child, region)

    visit(root, "")
    return out


def _repeated_heads(flow: Any, seen: set[Any]) -> set[int]:
    """ids of the text boxes of table heads drawn again: WeasyPrint repeats a <thead> on every
    page a table runs on to, and its text is the table's once (in the EPUB, and in the page map)."""
    found: set[int] = set()
    for group in flow.descendants():
        if isinstance(group, boxes.TableRowGroupBox) and group.is_header and group.element is not None:
            if group.element in seen:
                found.update(id(b) for b in group.descendants() if isinstance(b, boxes.TextBox))
            seen.add(group.element)
    return found


def layout_facts(pages: list[Any], displaced: Sequence[Displaced] | None = None) -> LayoutFacts:
    """The facts of each page of one WeasyPrint layout (a whole book, or one section of it);
    `displaced`: find_displaced(pages), when the caller has it already."""
    if not pages:
        return LayoutFacts((), (), ())
    root = pages[0]._page_box.children[0].element
    regions = _regions(root)
    order = {element: i for i, element in enumerate(root.iter())}  # paragraphs by document order
    have = charset()
    seen: dict[str, int] = {}  # region -> characters counted so far
    heads: set[Any] = set()  # <thead> elements laid out so far
    out = []
    for page in pages:
        box = page._page_box
        start = None
        sections: list[tuple[str, bool]] = []
        glyphs: set[str] = set()
        fallbacks: set[tuple[str, str]] = set()
        lines = notes = 0
        paragraphs: list[tuple[int, int]] = []
        for child in _not_margin(box):
            in_flow = not isinstance(child, boxes.FootnoteAreaBox)
            if not in_flow:
                # A long note's continuations (note_split) have no id: each note is counted once.
                notes += sum(1 for n in child.children if n.element is not None and n.element.get("id"))
            repeated = _repeated_heads(child, heads) if in_flow else set()
            for b in child.descendants():
                element = getattr(b, "element", None)
                if isinstance(b, boxes.TextBox):
                    face = face_of(b.style["font_weight"], b.style["font_style"], b.style["font_family"])
                    own = face_charset(face)
                    for c in set(b.text):
                        if ord(c) not in own and ord(c) not in DRAWN_AS_NOTHING:
                            if ord(c) in have:
                                fallbacks.add((c, face_name(face)))
                            else:
                                glyphs.add(c)
                if not in_flow:
                    continue
                if isinstance(b, boxes.TextBox):
                    region = regions.get(b.element, "") if "::" not in b.element_tag else ""
                    n = counted(b.text)
                    if region and n and id(b) not in repeated:
                        if start is None:
                            start = (region, seen.get(region, 0))
                        seen[region] = seen.get(region, 0) + n
                elif isinstance(b, boxes.LineBox):
                    lines += bool(_text(b).strip())
                elif isinstance(b, boxes.BlockBox) and element is not None:
                    if element.tag == "section":
                        sections.append((element.get("id", ""), "back" in (element.get("class") or "").split()))
                    if b.element_tag in _PARAGRAPHS and not any(isinstance(c, boxes.BlockBox) for c in b.children):
                        n_lines = sum(isinstance(c, boxes.LineBox) for c in b.children)
                        if n_lines:
                            paragraphs.append((order[element], n_lines))
        out.append(PageFacts(box.page_type.name, start, tuple(sections),
                             tuple(sorted(glyphs)), lines, tuple(_overfull(box)), tuple(paragraphs), notes,
                             box.margin_left, box.margin_right, tuple(sorted(fallbacks))))
    found = find_displaced(pages) if displaced is None else displaced
    return LayoutFacts(tuple(out), tuple(seen.items()), tuple((d.note_id, d.call_page, d.note_page) for d in found))


def blank_after(page: PageFacts, following: PageFacts | None) -> PageFacts:
    """The blank left-hand page put after a section that ends on a right-hand page. WeasyPrint
    names such a page as the pages either side of it when they share a name ("body" between two
    chapters), else not at all (between the contents and the first chapter)."""
    kind = page.kind if following is not None and following.kind == page.kind else ""
    return PageFacts(kind, None, (), (), 0, (), (), 0, page.margin_right, page.margin_left)


def assemble(parts: list[LayoutFacts], blanks: list[bool]) -> LayoutFacts:
    """The facts of sections laid out apart, as those of the book they make, in order; blanks[i]:
    a blank page follows part i. Paragraph keys are made unique across the parts."""
    pages: list[PageFacts] = []
    lengths: dict[str, int] = {}
    displaced: list[tuple[str, int, int]] = []
    key_base = 0
    for i, (part, blank) in enumerate(zip(parts, blanks)):
        offset = len(pages)
        width = max((k for p in part.pages for k, _ in p.paragraphs), default=-1) + 1
        for p in part.pages:
            pages.append(replace(p, paragraphs=tuple((key_base + k, n) for k, n in p.paragraphs)))
        key_base += width
        for region, n in part.lengths:
            lengths[region] = lengths.get(region, 0) + n
        displaced += [(note, call + offset, placed + offset if placed else 0) for note, call, placed in part.displaced]
        if blank and part.pages:
            following = parts[i + 1].pages[0] if i + 1 < len(parts) and parts[i + 1].pages else None
            pages.append(blank_after(part.pages[-1], following))
    return LayoutFacts(tuple(pages), tuple(lengths.items()), tuple(displaced))

"""Keep every footnote on the page of its call.

WeasyPrint, to honour orphans and widows, sometimes defers the footnotes of a
page to the next one so that one more line of a later paragraph fits (the
"report footnotes" step of `weasyprint.layout.block._linebox_layout`). A book
must not do that. Two defences:

- the patch KEEP_NOTES_WITH_CALLS (render/pdf/patches.py) turns that
  step off in WeasyPrint's layout, so the ordinary orphans and widows rules
  move the later paragraph's lines instead, in the first layout;
- after a layout we still find each note set on another page than its call,
  and ask for a page break before the paragraph that pushed it out (the last
  one on the call's page); the next layout then keeps call and note together.
  With the step off this finds nothing in the books we know of; it stays as
  the check, and as the fix should a WeasyPrint version come without the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from weasyprint.formatting_structure import boxes


@dataclass(frozen=True)
class Displaced:
    note_id: str
    call_page: int  # 1-based
    note_page: int
    culprit: str  # CSS selector of the paragraph to move to the next page, or ""


def _flow_boxes(page_box: Any) -> Iterator[Any]:
    """Boxes of the page's main flow: no margin boxes, no footnote area."""
    for child in page_box.children:
        if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        yield from child.descendants()


def _selector(element: Any, parents: dict[Any, Any]) -> str:
    steps = []
    while element in parents:
        parent = parents[element]
        steps.append(f"*:nth-child({list(parent).index(element) + 1})")
        element = parent
    return ":root > " + " > ".join(reversed(steps))


def find_displaced(pages: list[Any]) -> list[Displaced]:
    call_page: dict[str, int] = {}
    note_page: dict[str, int] = {}
    last_block: dict[int, Any] = {}
    call_block: dict[str, Any] = {}
    continued: set[int] = set()  # pages where a long note goes on to the next page
    root = pages[0]._page_box.children[0].element if pages else None
    parents = {child: parent for parent in root.iter() for child in parent} if root is not None else {}
    for number, page in enumerate(pages, 1):
        box = page._page_box
        current_block = None
        for b in _flow_boxes(box):
            if isinstance(b, boxes.BlockBox) and b.element is not None and b.element_tag in ("p", "li", "blockquote", "h2", "h3"):
                current_block = b.element
            if isinstance(b, boxes.LineBox) and current_block is not None:
                last_block[number] = current_block
            if isinstance(b, boxes.InlineBox) and str(b.element_tag).endswith("::footnote-call"):
                note_id = b.element.get("id", "")
                if not note_id:  # the call of a long note's continuation (note_split): on the next page by design
                    continued.add(number)
                    continue
                call_page.setdefault(note_id, number)
                call_block.setdefault(note_id, current_block)
        for child in box.children:
            if isinstance(child, boxes.FootnoteAreaBox):
                for note in child.children:
                    if note.element is not None and note.element.get("id"):
                        note_page.setdefault(note.element.get("id"), number)
    out = []
    for note_id, page in call_page.items():
        placed = note_page.get(note_id, 0)
        if placed != page:
            culprit = last_block.get(page)
            # A note called after a long one that goes on overleaf follows it there: no break helps.
            selector = (_selector(culprit, parents) if culprit is not None and culprit is not call_block[note_id]
                        and page not in continued else "")
            out.append(Displaced(note_id, page, placed, selector))
    return out


def break_rules(displaced: list[Displaced]) -> list[str]:
    return [f"{d.culprit} {{ break-before: page; }}" for d in displaced if d.culprit]

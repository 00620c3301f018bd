"""A note too long for the foot of its page, continued at the foot of the pages after it.

WeasyPrint 70 cannot split a footnote (Kozea/WeasyPrint#1833, open): a note taller than the
footnote area (its max-height in print.css) is drawn past it, over the folio and off the page.
Books continue such a note at the foot of the next page, after the rule. This does that with
WeasyPrint's own means, patching nothing: after a layout, a note that runs past the foot of
its area is cut between two of its lines into pieces that each fit a page's area, and in the
next layout the first piece is the note, at its call, and the others are footnotes with no
call and no number, called from the same place (`.note-cont` in print.css). WeasyPrint moves
a footnote that does not fit to the next page, after those moved before it, and sets the moved
ones first at the foot of that page: so the pieces follow one another, one a page.

A cut is an offset in the note's text counted in characters that are not white space, the
same in the HTML and in the laid-out lines whatever the line breaks. The cuts are kept with the
page breaks that keep notes with their calls (`fixes`, CSS), in a comment of that CSS, so that
a section laid out again from the cache gets its cuts back with its breaks.

The patch KEEP_NOTE_PAGES (render/pdf/patches.py) keeps the pages after the text that
hold only such pieces when the whole book is laid out in more than one pass.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Iterator

import lxml.html
from weasyprint.formatting_structure import boxes

_CUTS = re.compile(r"/\* note-cuts (\{.*?\}) \*/")
_SPAN_TAG = re.compile(r"<(/?)span\b[^>]*>")
_BLOCK_ENDS = ("</p>", "</li>", "</h", "</td>", "</th>", "</figcaption>")
_IGNORED = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")  # drawn as nothing, or as a hyphen at a break
TOLERANCE_PX = 0.5
MIN_LINES = 2  # a note begins on its call's page with at least this many lines, else on the next


def cuts_of(fixes: str) -> dict[str, list[int]]:
    found = _CUTS.search(fixes)
    return {k: list(v) for k, v in json.loads(found.group(1)).items()} if found else {}


def with_cuts(fixes: str, cuts: dict[str, list[int]]) -> str:
    rest = _CUTS.sub("", fixes).strip()
    kept = {k: v for k, v in sorted(cuts.items()) if v}
    return f"{rest}\n/* note-cuts {json.dumps(kept, separators=(',', ':'))} */".strip() if kept else rest


# -- a note's text, in the HTML and in WeasyPrint's tree alike (ElementTree or lxml elements) --


def _counted(c: str) -> bool:
    return not c.isspace() and c not in _IGNORED


def _slots(element: Any, top: bool = True) -> Iterator[tuple[Any, str]]:
    """(element, "text" or "tail") for each run of text inside a note, in order: a note called
    in it is laid out apart and left out, the text after it is not."""
    if top or isinstance(element.tag, str) and "footnote" not in (element.get("class") or "").split():
        yield element, "text"
        for child in element:
            yield from _slots(child, False)
    if not top:
        yield element, "tail"


def note_text(element: Any) -> str:
    return "".join(c for el, slot in _slots(element) for c in (getattr(el, slot) or "") if _counted(c))


# -- the HTML: a note made pieces ---------------------------------------------------------


def _locate(root: Any, offset: int) -> tuple[Any, str, int] | None:
    """The run of text, and the index in it, where the text after `offset` characters begins."""
    seen = 0
    for el, slot in _slots(root):
        for i, c in enumerate(getattr(el, slot) or ""):
            if _counted(c):
                if seen == offset:
                    return el, slot, i
                seen += 1
    return None


def _path(root: Any, el: Any) -> list[int]:
    steps = []
    while el is not root:
        parent = el.getparent()
        steps.append(parent.index(el))
        el = parent
    return steps[::-1]


def _follow(root: Any, path: list[int]) -> Any:
    for step in path:
        root = root[step]
    return root


def _keep_before(root: Any, el: Any, slot: str, i: int) -> None:
    if slot == "text":
        el.text = el.text[:i]
        for child in list(el):
            el.remove(child)
        if el is not root:
            el.tail = None
    else:
        el.tail = el.tail[:i]
    while el is not root:
        parent = el.getparent()
        for sibling in list(el.itersiblings()):
            parent.remove(sibling)  # lxml removes an element's tail with it
        el = parent
        if el is not root:
            el.tail = None


def _keep_after(root: Any, el: Any, slot: str, i: int) -> None:
    if slot == "text":
        el.text = el.text[i:]
    else:
        tail, parent = el.tail[i:], el.getparent()
        for sibling in list(parent)[:parent.index(el) + 1]:
            parent.remove(sibling)
        parent.text, el = tail, parent
    while el is not root:
        parent = el.getparent()
        for sibling in list(el.itersiblings(preceding=True)):
            parent.remove(sibling)
        parent.text, el = None, parent


def _add_class(el: Any, name: str) -> None:
    el.set("class", " ".join([*(el.get("class") or "").split(), name]))


def _split(root: Any, offset: int, note_id: str, piece: int) -> tuple[Any, Any] | None:
    """(before, after) the cut; `after` a piece of its own, continuing the note."""
    where = _locate(root, offset)
    if where is None or where[0] is root:
        return None
    path = _path(root, where[0])
    before, after = deepcopy(root), deepcopy(root)
    _keep_before(before, _follow(before, path), where[1], where[2])
    _keep_after(after, _follow(after, path), where[1], where[2])
    cut_p = before[path[0]] if len(before) > path[0] else None
    mid = cut_p is not None and bool(note_text(cut_p))
    if not mid and cut_p is not None:
        before.remove(cut_p)  # the cut is where a paragraph begins
    elif cut_p is not None:
        _add_class(before if path[0] == 0 else cut_p, "cut-first" if path[0] == 0 else "note-p-cut")
        if len(after):
            _add_class(after[0], "note-p-cont")
            after[0].attrib.pop("data-marker", None)  # a list item's marker: with its first line only
    ids = {el.get("id") for el in before.iter() if el.get("id")}
    for el in after.iter():
        if el.get("id") in ids:
            del el.attrib["id"]
    for name in ("data-n", "data-piece", "data-from"):
        after.attrib.pop(name, None)
    after.set("class", "footnote note-cont" + ("" if mid else " new-paragraph"))
    after.set("data-cont-of", note_id)
    after.set("data-piece", str(piece))
    after.set("data-from", str(offset + int(root.get("data-from") or 0)))  # where in the note it begins
    return before, after


def split_note(markup: str, note_id: str, offsets: list[int]) -> str:
    """The markup of one note as its pieces, cut at `offsets` (increasing)."""
    current = lxml.html.fragment_fromstring(markup)
    pieces, done = [], 0
    for offset in offsets:
        parts = _split(current, offset - done, note_id, len(pieces) + 1) if offset > done else None
        if parts is None:
            continue
        pieces.append(parts[0])
        current, done = parts[1], offset
    pieces.append(current)
    return "".join(lxml.html.tostring(p, encoding="unicode", with_tail=False) for p in pieces)


def _extent(source: str, start: int) -> int:
    depth = 0
    for tag in _SPAN_TAG.finditer(source, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return len(source)


def apply(source: str, fixes: str) -> str:
    """The print HTML with each note that `fixes` holds cuts for made pieces. The notes called
    after it in its paragraph follow its pieces overleaf without taking their line along
    (`.after-long`): else the first of them, called while a piece waits for the next page,
    would take the line, and the long note's call with it, to the next page."""
    for note_id, offsets in sorted(cuts_of(fixes).items()):
        found = re.search(f'<span class="footnote[^"]*" id="{re.escape(note_id)}"', source)
        if found:
            start, end = found.start(), _extent(source, found.start())
            pieces = split_note(source[start:end], note_id, offsets)
            block_end = min((i for i in (source.find(tag, end) for tag in _BLOCK_ENDS) if i >= 0), default=end)
            after = source[end:block_end].replace('<span class="footnote" id=', '<span class="footnote after-long" id=')
            source = source[:start] + pieces + after + source[block_end:]
    return source


# -- the layout: where notes run past the foot of their area ------------------------------


@dataclass(frozen=True)
class _Line:
    start: int  # offset in the note's text of its first character
    advance: float  # px down to the next line of its piece (its own height for the last)
    top: float  # px, on its page
    bottom: float
    hyphen: bool  # it ends in a word broken by hyphenation: no cut after it


def _lines(piece: Any, base: int) -> list[_Line]:
    """The lines of a note's piece laid out, each placed in the note's text (`base`: the
    offset where the piece begins) by walking both texts: a character of the layout that the
    HTML lacks is a hyphen put at a break."""
    text = note_text(piece.element)
    found = [b for b in piece.descendants() if isinstance(b, boxes.LineBox)]
    kept, p = [], 0
    for line in found:
        start, inserted = p, False
        for b in line.descendants():
            if not isinstance(b, boxes.TextBox) or "::" in (b.element_tag or ""):
                continue
            for c in b.text:
                if not _counted(c):
                    continue
                inserted = not (p < len(text) and text[p].lower() == c.lower())
                p += not inserted
        if p > start:  # else a line with no text of the note's own (its height goes to the line before)
            kept.append((start, line, inserted))
    out = []
    for k, (start, line, inserted) in enumerate(kept):
        following = kept[k + 1][1].position_y if k + 1 < len(kept) else line.position_y + line.height
        out.append(_Line(base + start, following - line.position_y, line.position_y,
                         line.position_y + line.height, inserted))
    return out


def _starts(lines: list[_Line], room: float, capacity: float) -> list[int]:
    """The lines that begin each piece after the first: the first piece fills `room`, each
    other `capacity`; never a cut after a hyphenated line."""
    starts, begin, used, i = [], 0, 0.0, 0
    while i < len(lines):
        if i > begin and used + lines[i].advance > room + TOLERANCE_PX:
            cut = i
            while cut - 1 > begin and lines[cut - 1].hyphen:
                cut -= 1
            starts.append(cut)
            begin, used, room, i = cut, 0.0, capacity, cut
            continue
        used += lines[i].advance
        i += 1
    return starts


def _chrome(area: Any) -> float:
    return (area.margin_top + area.border_top_width + area.padding_top
            + area.padding_bottom + area.border_bottom_width + area.margin_bottom)


def _call_line(pages: list[Any], note_id: str) -> tuple[int, Any] | None:
    """(page number, line box) of a note's call."""
    for number, page in enumerate(pages, 1):
        for child in page._page_box.children:
            if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
                continue
            line = None
            for b in child.descendants():
                if isinstance(b, boxes.LineBox):
                    line = b
                elif (isinstance(b, boxes.InlineBox) and str(b.element_tag).endswith("::footnote-call")
                      and b.element is not None and b.element.get("id") == note_id and line is not None):
                    return number, line
    return None


@dataclass(frozen=True)
class _Piece:
    index: int
    page: int
    box: Any
    area: Any
    lines: list[_Line]

    @property
    def room(self) -> float:
        """From its first line to the foot of its page's footnote area."""
        top = self.lines[0].top if self.lines else self.box.position_y
        return self.area.content_box_y() + self.area.height - top


def _room_at_call(pages: list[Any], note_id: str, first: _Piece) -> float:
    """Room for a note's first piece on the page of its call: below its call's line (less two
    lines, for the orphans and widows rules) and the notes before it; 0 when on another page."""
    call = _call_line(pages, note_id)
    if call is None or call[0] != first.page:
        return 0.0
    page, area = pages[first.page - 1]._page_box, first.area
    others = area.height - first.box.margin_height()
    below = page.content_box_y() + page.height - (call[1].position_y + 3 * call[1].height)
    return min(below - _chrome(area) - others, area.max_height - others)


def _replan_from(pages: list[Any], note_id: str, pieces: list[_Piece], cut: bool) -> tuple[int, float] | None:
    """(the piece to plan the note again from, the room it has), or None when all is well."""
    for piece in pieces:
        if piece.index and piece.page == pieces[piece.index - 1].page:
            before = pieces[piece.index - 1]  # two pieces on one page: the first takes the page's room
            return before.index, before.room
        if piece.lines and piece.lines[-1].bottom > piece.area.content_box_y() + piece.area.height + TOLERANCE_PX:
            if not cut:  # first, its call's line where it would be without the note: two lines there
                return 0, sum(line.advance for line in piece.lines[:MIN_LINES])
            return piece.index, piece.room
    first = pieces[0]
    if len(pieces) > 1 and first.lines and pieces[1].lines:
        room = _room_at_call(pages, note_id, first)  # then as much as that page has room for
        if room - sum(line.advance for line in first.lines) >= pieces[1].lines[0].advance:
            return 0, room
    return None


def plan(pages: list[Any], fixes: str) -> str:
    """`fixes` with the cuts that the notes of this layout need: for each note that runs past
    the foot of its area, whose pieces share a page, or whose first piece could be longer."""
    cuts = cuts_of(fixes)
    placed: dict[str, list[tuple[int, int, Any, Any]]] = {}  # note -> (piece, page, box, area)
    for number, page in enumerate(pages, 1):
        for child in page._page_box.children:
            if not isinstance(child, boxes.FootnoteAreaBox):
                continue
            for box in child.children:
                el = box.element
                if el is not None and (el.get("data-cont-of") or el.get("id")):
                    owner = el.get("data-cont-of") or el.get("id")
                    placed.setdefault(owner, []).append((int(el.get("data-piece") or 0), number, box, child))
    for note_id, found in placed.items():
        found.sort(key=lambda f: f[0])
        if found[0][0] != 0:
            continue  # its first piece is not laid out here: nothing to measure from
        # Pieces are numbered as laid out (a missing one only leaves its text to the last).
        pieces = [_Piece(n, number, box, area, _lines(box, int(box.element.get("data-from") or 0)))
                  for n, (_, number, box, area) in enumerate(found)]
        again = _replan_from(pages, note_id, pieces, len(found) > 1 or bool(cuts.get(note_id)))
        if again is None:
            continue
        start, room = again
        rest = [line for piece in pieces[start:] for line in piece.lines]
        kept = [int(piece.box.element.get("data-from")) for piece in pieces[1:start + 1]]
        new = kept + [rest[s].start for s in _starts(rest, room, pieces[0].area.max_height - TOLERANCE_PX)]
        cuts[note_id] = sorted({c for c in new if c > 0})
    return with_cuts(fixes, cuts)

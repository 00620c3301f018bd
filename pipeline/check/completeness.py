"""Text completeness: every word of the model's running text and notes is in the built PDF.

A print layout can lose text without a message: a note too long for its page drawn past the
foot of the page, two paragraphs run together. This reads the PDF's words back (poppler's
`pdftotext -tsv`: each word with its box and line) and checks, chapter by chapter, that the
words of the running text and then those of the notes appear in that order, inside the page's
trim box, and that each paragraph starts a line of its own.

Words are compared by their letters and digits only (NFKC, case folded), so punctuation,
quotes, ligatures and the hyphen of a word broken at a line end do not count; a word printed in
pieces (broken at a line end, a call number set apart) or words printed as one (paragraphs run
together) are matched by joining. The alignment is linear: equal words advance both sides, and
after a difference both sides resynchronise on the nearest run of ANCHOR equal words; the words
skipped on the way are matched again one by one (`_gap`). The notes are aligned against the PDF
words that the running text left over. "In order" is the page's order: within a page poppler's
reading order is not always print's (a table's cells, short paragraphs between tables, a word
that a justified line sets far from the one before), so a table's words are looked for near
their place, and a word still not found on the pages of the words around it (`_on_their_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from pipeline.diagnostics import SourcePos
from pipeline.model import (
    Chapter, Code, CodeBlock, Document, Emph, Figure, Heading, Image, Inline, LineBreak, Link, ListBlock, Note,
    Para, Phrase, Span, Strong, Table, Text,
)
from pipeline.check.pdf_words import PdfWords, key
from pipeline.check.word_alignment import Match, align
from pipeline.walk import iter_blocks

NOTES_OVERLEAF = 2  # pages of the next chapter where a chapter's last note may end
TRIM_TOLERANCE_PT = 0.5
SNIPPET_WORDS = 8


@dataclass(frozen=True)
class Finding:
    kind: str  # "missing", "outside_trim" or "glued"
    page: int  # 1-based; 1 when not known
    pos: SourcePos  # the block's file and line
    message: str


# -- the model's words ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    pos: SourcePos
    label: str  # what the messages call it: "this paragraph", "note 3"
    own_line: bool  # its first word starts a line in print (table cells share theirs)
    # A table's or a code block's words may be read from the PDF in another order (_table_words):
    # poppler reads a column of short cells, or of code lined up with spaces, as a block of its own.
    any_order: bool = False


@dataclass
class _Stream:
    """The words of a chapter's running text, or of its notes, in print order."""

    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    block: list[int] = field(default_factory=list)  # index into blocks, per word
    blocks: list[_Block] = field(default_factory=list)

    def add(self, text: str, block: _Block) -> None:
        index = len(self.blocks)
        self.blocks.append(block)
        for word in text.split():
            if k := key(word):
                self.keys.append(k)
                self.texts.append(word)
                self.block.append(index)


def _inline_text(items: Iterable[Inline], out: list[str], notes: list[Note]) -> None:
    """The text of inlines as print sets it: a call is its number, set apart from the word
    before (pdftotext reads a superscript as a word of its own)."""
    for item in items:
        match item:
            case Text() | Code():
                out.append(item.text)
            case LineBreak() | Image():
                out.append(" ")
            case Note():
                out.append(f" {item.number} ")
                if not item.repeat:
                    notes.append(item)
            case Emph() | Strong() | Span() | Link() | Phrase():
                _inline_text(item.inlines, out, notes)


def printed_parts(b: Any) -> list[tuple[tuple[Inline, ...] | str, bool]]:
    """What print sets of a block as text, each part with whether it starts a line of its own
    (a table's cells share theirs); nothing for a block that only holds other blocks."""
    match b:
        case Para() | Heading():
            return [(b.inlines, True)]
        case CodeBlock():
            return [(b.text, True)]
        case Figure():
            return [(b.caption, True)]
        case Table():
            return [(b.caption, True)] + [(c.inlines, False) for row in (*b.head, *b.body) for c in row]
    return []


def _add_blocks(blocks: tuple[Any, ...], stream: _Stream, notes: list[Note], label: str, prefix: str = "") -> None:
    """Each block that holds text, depth first; `prefix` (a note's marker) opens the first, and
    an ordered list's number its item's first block (print sets "3." before the item's words)."""
    numbers: dict[int, str] = {}
    for b in iter_blocks(blocks):
        if isinstance(b, ListBlock) and b.ordered:
            numbers.update((id(item[0]), f"{n}. ") for n, item in enumerate(b.items, b.start) if item)
        for content, own_line in printed_parts(b):
            out = [prefix, numbers.pop(id(b), "")]
            prefix = ""
            if isinstance(content, str):
                out.append(content)
            else:
                _inline_text(content, out, notes)
            stream.add("".join(out), _Block(b.pos, label, own_line, isinstance(b, (Table, CodeBlock))))
    if prefix:  # a note with no text: its marker alone
        stream.add(prefix, _Block(SourcePos(""), label, True))


def chapter_words(ch: Chapter) -> tuple[_Stream, _Stream]:
    """(running text, notes) of a chapter: notes in the order of their calls, each opened by
    its marker ("3."), the notes called in a note right after it (where print sets them, and
    numbers them: pipeline.normalise numbers notes in reading order, into notes)."""
    body, notes_stream = _Stream(), _Stream()
    called: list[Note] = []
    _add_blocks(ch.blocks, body, called, "this paragraph")

    def add(note: Note) -> None:
        where, inner = len(notes_stream.blocks), []
        _add_blocks(note.blocks, notes_stream, inner, f"note {note.number}", f"{note.number}. ")
        for i in range(where, len(notes_stream.blocks)):  # a block without a position: the note's
            if not notes_stream.blocks[i].pos.path:
                notes_stream.blocks[i] = _Block(note.pos, f"note {note.number}", True)
        for nested in inner:
            add(nested)

    for note in called:
        add(note)
    return body, notes_stream


# -- a table's words, out of order (the rest is aligned by pipeline.check.word_alignment) ---------


def _table_words(stream: _Stream, pdf: list[str], out: Match, blocked: set[int]) -> None:
    """A table's (or code block's) words not found in order, looked for among the PDF words near
    it that no text took (`blocked`: those the other stream took): a PDF's text has no order for
    a table (poppler reads a column of short cells, a cell that turns over or a head spanning
    columns each as a block of its own, and so a column of code lined up with spaces). The
    nearest such word to the word before is taken."""
    n, i = len(stream.keys), 0
    while i < n:
        if not stream.blocks[stream.block[i]].any_order:
            i += 1
            continue
        end = i
        while end < n and stream.blocks[stream.block[end]].any_order:
            end += 1
        near = [out.token[k] for k in range(i - 1, end + 1) if 0 <= k < n and out.token[k] >= 0]
        if near:
            reach = 2 * (end - i) + 20
            low, high = max(0, min(near) - reach), min(len(pdf), max(near) + reach + 1)
            last = near[0]
            for k in range(i, end):
                if out.token[k] >= 0:
                    last = out.token[k]
                    continue
                free = [p for p in range(low, high) if pdf[p] == stream.keys[k] and p not in out.used and p not in blocked]
                if free:
                    p = min(free, key=lambda p: abs(p - last))
                    out.token[k], last = p, p
                    out.used.add(p)
        i = end


def _edge_lines(words: PdfWords) -> set[int]:
    """The top and the bottom line of each page, by their place on it (poppler may read a line
    last that is printed higher): its running head or chapter title, its folio."""
    top: dict[int, tuple[float, int]] = {}
    bottom: dict[int, tuple[float, int]] = {}
    for page, line, box in zip(words.page, words.line, words.box):
        if page not in top or box[1] < top[page][0]:
            top[page] = (box[1], line)
        if page not in bottom or box[3] > bottom[page][0]:
            bottom[page] = (box[3], line)
    return {line for _, line in (*top.values(), *bottom.values())}


def _on_their_pages(stream: _Stream, pdf: list[str], ids: list[int], words: PdfWords, out: Match,
                    blocked: set[int], edges: set[int]) -> None:
    """Words not found in order, looked for on the pages of the words found around them (and
    one more on either side), among the PDF words that no text took (`blocked`: those the other
    stream took), outside a page's top and bottom line (a running head, a folio): within a page,
    poppler's reading order is not print's (a word that a justified line sets far from the one
    before it read as a block of its own, short paragraphs between tables read after them). A
    word truly lost has no free copy left near its place: each PDF word is taken once."""
    n = len(stream.keys)
    free: dict[str, list[int]] = {}
    for p, w in enumerate(ids):
        if p not in out.used and p not in blocked and words.line[w] not in edges:
            free.setdefault(pdf[p], []).append(p)
    i = 0
    while i < n:
        if out.token[i] >= 0:
            i += 1
            continue
        end = i
        while end < n and out.token[end] < 0:
            end += 1
        around = [out.token[k] for k in (i - 1, end) if 0 <= k < n]
        if around:
            # and the page on either side: a note goes on overleaf, and a common word ('and') that
            # the other stream took by mistake leaves its own copy free there
            low, high = min(words.page[ids[t]] for t in around) - 1, max(words.page[ids[t]] for t in around) + 1
            last = around[0]
            for k in range(i, end):
                places = [p for p in free.get(stream.keys[k], ()) if p not in out.used and low <= words.page[ids[p]] <= high]
                if places:
                    p = min(places, key=lambda p: (p != last + 1, abs(p - last)))
                    out.token[k], last = p, p
                    out.used.add(p)
        i = end


# -- the check ------------------------------------------------------------------------------


def chapter_pages(doc: Document, sections: list[tuple[tuple[str, bool], ...]]) -> dict[str, tuple[int, int]]:
    """Chapter id -> (its first page, the first page of the next chapter), 1-based, from the
    sections on each page (layout facts): a long note may go on over the pages after its
    chapter's text, the back matter's among them."""
    order = [ch.id for ch in doc.chapters]
    first: dict[str, int] = {}
    for number, on_page in enumerate(sections, 1):
        for section_id, _ in on_page:
            first.setdefault(section_id, number)
    starts = sorted((first[i], i) for i in order if i in first)
    return {i: (page, starts[k + 1][0] if k + 1 < len(starts) else len(sections) + 1) for k, (page, i) in enumerate(starts)}


def _snippet(texts: list[str]) -> str:
    return " ".join(texts[:SNIPPET_WORDS]) + (" …" if len(texts) > SNIPPET_WORDS else "")


def _findings(stream: _Stream, match: Match, words: PdfWords, ids: list[int], taken: set[int],
              trims: list[tuple[float, float, float, float]], first_page: int) -> list[Finding]:
    """ids: the PDF word of each position the stream was aligned against."""
    out: list[Finding] = []
    missing: dict[int, list[int]] = {}
    outside: dict[int, list[int]] = {}
    page = first_page
    pages: dict[int, int] = {}  # block -> a page it is printed on (or near)
    for i, t in enumerate(match.token):
        b = stream.block[i]
        if t < 0:
            missing.setdefault(b, []).append(i)
            pages.setdefault(b, page)
            continue
        w = ids[t]
        page = words.page[w]
        pages.setdefault(b, page)
        left, top, right, bottom = words.box[w]
        tl, tt, tr, tb = trims[page - 1] if page - 1 < len(trims) else (0.0, 0.0, *words.page_sizes[page - 1])
        if (left < tl - TRIM_TOLERANCE_PT or right > tr + TRIM_TOLERANCE_PT
                or top < tt - TRIM_TOLERANCE_PT or bottom > tb + TRIM_TOLERANCE_PT):
            outside.setdefault(b, []).append(i)
    totals: dict[int, int] = {}
    starts: dict[int, int] = {}
    for i, b in enumerate(stream.block):
        totals[b] = totals.get(b, 0) + 1
        starts.setdefault(b, i)
    for b, found in missing.items():
        block = stream.blocks[b]
        out.append(Finding("missing", pages[b], block.pos,
                           f"{len(found)} of the {totals[b]} words of {block.label} are not in the PDF's text "
                           f"(not printed, or drawn off the page): '{_snippet([stream.texts[i] for i in found])}'"))
    for b, found in outside.items():
        block = stream.blocks[b]
        out.append(Finding("outside_trim", words.page[ids[match.token[found[0]]]], block.pos,
                           f"{len(found)} words of {block.label} are printed outside the page's trim box, where "
                           f"they are cut off: '{_snippet([stream.texts[i] for i in found])}'"))
    for b, i in starts.items():
        block, t = stream.blocks[b], match.token[i]
        if not block.own_line or t < 0 or i == 0:
            continue
        w = ids[t]
        before = w - 1
        run_on = i in match.joined
        while not run_on and before >= 0 and words.line[before] == words.line[w]:
            run_on = before in taken
            before -= 1
        if run_on:
            out.append(Finding("glued", words.page[w], block.pos,
                               f"{block.label} runs on from the text before it in the PDF "
                               f"('… {stream.texts[i - 1]} {stream.texts[i]} …'): it does not start a line of its own"))
    return out


def check(doc: Document, words: PdfWords, sections: list[tuple[tuple[str, bool], ...]],
          trims: list[tuple[float, float, float, float]]) -> list[Finding]:
    """trims: each page's trim box in pdftotext's coordinates (left, top, right, bottom)."""
    out: list[Finding] = []
    spans = chapter_pages(doc, sections)
    taken: set[int] = set()  # PDF words matched, by this chapter or those before
    edges = _edge_lines(words)
    for ch in doc.chapters:
        if ch.id not in spans:
            continue
        first, after = spans[ch.id]
        start, end = words.first_on_page(first), words.first_on_page(after)
        body, notes = chapter_words(ch)
        ids = [w for w in range(start, end) if w not in taken]
        body_keys = [words.keys[w] for w in ids]
        body_match = align(body.keys, body_keys)
        taken |= {ids[t] for t in body_match.used}
        # A note at a chapter's end laid out with the whole book may go on at the foot of the next.
        rest = [w for w in range(start, words.first_on_page(after + NOTES_OVERLEAF)) if w not in taken]
        rest_keys = [words.keys[w] for w in rest]
        notes_match = align(notes.keys, rest_keys)
        # Then the words of tables out of order, once the text in order has taken its own: the
        # body's may not take the notes', and the notes' not those the body's took here.
        in_ids = {w: k for k, w in enumerate(ids)}
        in_order = set(body_match.used)
        _table_words(body, body_keys, body_match, {in_ids[rest[t]] for t in notes_match.used if rest[t] in in_ids})
        by_tables = {ids[t] for t in body_match.used - in_order}
        taken |= by_tables
        _table_words(notes, rest_keys, notes_match, {k for k, w in enumerate(rest) if w in by_tables})
        # Last, the words still not found, on their own pages out of poppler's reading order.
        _on_their_pages(body, body_keys, ids, words, body_match,
                        {in_ids[rest[t]] for t in notes_match.used if rest[t] in in_ids}, edges)
        taken |= {ids[t] for t in body_match.used}
        _on_their_pages(notes, rest_keys, rest, words, notes_match, {k for k, w in enumerate(rest) if w in taken}, edges)
        taken |= {rest[t] for t in notes_match.used}
        out += _findings(body, body_match, words, ids, taken, trims, first)
        out += _findings(notes, notes_match, words, rest, taken, trims, first)
    return out

"""Number notes in reading order, per chapter, whatever their labels or definition order."""

from __future__ import annotations

from dataclasses import replace
from itertools import count
from typing import Iterator

from pipeline.model import Chapter, Document, Emph, Inline, Link, Note, Phrase, Span, Strong
from pipeline.walk import map_chapters, map_inline_seqs, replace_changed


def number_chapter_notes(ch: Chapter) -> Chapter:
    numbers: Iterator[int] = count(1)
    given: dict[str, int] = {}  # label -> number
    calls: dict[str, int] = {}  # label -> calls seen so far

    def number(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for item in items:
            if isinstance(item, Note) and item.label in given:
                # A further call of a note already called: same number, no new note.
                calls[item.label] += 1
                item = replace(item, number=given[item.label], repeat=calls[item.label] - 1, blocks=())
            elif isinstance(item, Note):
                # The call is read first, then the note's own text (and any call inside it).
                given[item.label], calls[item.label] = next(numbers), 1
                item = replace(item, number=given[item.label])
                item = replace(item, blocks=map_inline_seqs(item.blocks, number, into_notes=False))
            elif isinstance(item, (Emph, Strong, Span, Link, Phrase)):
                item = replace_changed(item, inlines=number(item.inlines))
            out.append(item)
        return tuple(out)

    return replace(ch, blocks=map_inline_seqs(ch.blocks, number, into_notes=False))


def number_notes(doc: Document) -> Document:
    return map_chapters(doc, number_chapter_notes)

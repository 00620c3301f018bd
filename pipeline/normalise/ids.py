"""Unique, stable ids for headings: derived from the chapter id and the heading's text."""

from __future__ import annotations

from dataclasses import replace

from pipeline.meta import slugify
from pipeline.model import Block, BlockQuote, Chapter, Div, Document, Heading
from pipeline.walk import plain_text


def assign_ids(doc: Document) -> Document:
    taken = {ch.id for ch in doc.chapters}

    def unique(base: str) -> str:
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        return candidate

    def blocks(chapter_id: str, items: tuple[Block, ...]) -> tuple[Block, ...]:
        out: list[Block] = []
        for b in items:
            if isinstance(b, Heading):
                wanted = b.attrs.id or f"{chapter_id}-{slugify(plain_text(b.inlines))}"
                b = replace(b, attrs=replace(b.attrs, id=unique(wanted)))
            elif isinstance(b, (BlockQuote, Div)):
                b = replace(b, blocks=blocks(chapter_id, b.blocks))
            out.append(b)
        return tuple(out)

    def chapter(ch: Chapter) -> Chapter:
        return replace(ch, blocks=blocks(ch.id, ch.blocks))

    return replace(doc, chapters=tuple(chapter(c) for c in doc.chapters))

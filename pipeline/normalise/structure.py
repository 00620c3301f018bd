"""One top-level heading per chapter: the title from front matter is the chapter's h1."""

from __future__ import annotations

from dataclasses import replace

from pipeline.model import Block, BlockQuote, Chapter, Div, Document, Heading
from pipeline.walk import iter_blocks, map_chapters, plain_text


def _shift(blocks: tuple[Block, ...], by: int) -> tuple[Block, ...]:
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, Heading):
            b = replace(b, level=min(6, b.level + by))
        elif isinstance(b, (BlockQuote, Div)):
            b = replace(b, blocks=_shift(b.blocks, by))
        out.append(b)
    return tuple(out)


def one_title(ch: Chapter) -> Chapter:
    blocks = ch.blocks
    # A body that repeats its own title as the first heading: drop the repeat.
    if blocks and isinstance(blocks[0], Heading) and plain_text(blocks[0].inlines).strip() == ch.meta.title.strip():
        blocks = blocks[1:]
    levels = [b.level for b in iter_blocks(blocks) if isinstance(b, Heading)]
    if levels and min(levels) < 2:
        blocks = _shift(blocks, 2 - min(levels))
    return replace(ch, blocks=blocks)


def one_title_per_chapter(doc: Document) -> Document:
    return map_chapters(doc, one_title)

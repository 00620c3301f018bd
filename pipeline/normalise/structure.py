"""One top-level heading per chapter: the title from front matter is the chapter's h1, and the
headings under it go down one level at a time (an `###` right under the title is an h2; a
`####` under a `##` an h3), as screen readers and Ace's heading-order rule expect. The
headings keep their order of rank: two written alike stay alike."""

from __future__ import annotations

from dataclasses import replace

from pipeline.model import Block, BlockQuote, Chapter, Div, Document, Heading
from pipeline.walk import iter_blocks, map_chapters, plain_text


def _ranked(blocks: tuple[Block, ...], stack: list[tuple[int, int]]) -> tuple[Block, ...]:
    """Each heading one level under the nearest heading before it of a higher written rank
    (stack: (written level, level given) of the headings it may fall under), at most h6."""
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, Heading):
            while stack and stack[-1][0] >= b.level:
                stack.pop()
            level = min(6, stack[-1][1] + 1 if stack else 2)
            stack.append((b.level, level))
            b = replace(b, level=level)
        elif isinstance(b, (BlockQuote, Div)):
            b = replace(b, blocks=_ranked(b.blocks, stack))
        out.append(b)
    return tuple(out)


def one_title(ch: Chapter) -> Chapter:
    blocks = ch.blocks
    # A body that repeats its own title as the first heading: drop the repeat.
    if blocks and isinstance(blocks[0], Heading) and plain_text(blocks[0].inlines).strip() == ch.meta.title.strip():
        blocks = blocks[1:]
    if any(isinstance(b, Heading) for b in iter_blocks(blocks)):
        blocks = _ranked(blocks, [])
    return replace(ch, blocks=blocks)


def one_title_per_chapter(doc: Document) -> Document:
    return map_chapters(doc, one_title)

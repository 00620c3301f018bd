"""What a manuscript holds, counted for `check`'s summary: chapters, words and notes."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.read.chapter_size import words
from pipeline.model import Block, Code, CodeBlock, Document, Figure, Heading, Inline, LineBreak, Note, Para, Table, Text
from pipeline.walk import iter_blocks, iter_inlines


@dataclass(frozen=True)
class Stats:
    chapters: int
    words: int
    notes: int

    def __str__(self) -> str:
        def n(count: int, what: str) -> str:
            return f"{count:,} {what}{'' if count == 1 else 's'}"

        return f"{n(self.chapters, 'chapter')}, {n(self.words, 'word')}, {n(self.notes, 'note')}"


def book_stats(doc: Document) -> Stats:
    """Words of the running text and the notes (each note once, however often it is called),
    as `wc -w` would count them in the text as printed; titles and front matter are not counted."""
    texts: list[str] = []
    notes = 0
    pending: list[tuple[Block, ...]] = [ch.blocks for ch in doc.chapters]
    while pending:  # the chapters' blocks, then the blocks of the notes found in them
        for block in iter_blocks(pending.pop()):
            for seq in _inline_seqs(block):
                for item in iter_inlines(seq, into_notes=False):
                    if isinstance(item, (Text, Code)):
                        texts.append(item.text)
                    elif isinstance(item, (LineBreak, Note)):
                        texts.append(" ")  # a break, or a call, ends the word before it
                        if isinstance(item, Note) and not item.repeat:
                            notes += 1
                            pending.append(item.blocks)
                texts.append(" ")
            if isinstance(block, CodeBlock):
                texts.append(f" {block.text} ")
    return Stats(len(doc.chapters), words("".join(texts)), notes)


def _inline_seqs(block: Block) -> list[tuple[Inline, ...]]:
    if isinstance(block, (Para, Heading)):
        return [block.inlines]
    if isinstance(block, Figure):
        return [block.caption]
    if isinstance(block, Table):
        return [block.caption, *(cell.inlines for row in (*block.head, *block.body) for cell in row)]
    return []

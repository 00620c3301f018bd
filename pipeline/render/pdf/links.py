"""What each place a link of the print edition can aim at is called, for the reader: PDF/UA-1
wants each link annotation described ("Link to Living hell"), not named by a bare id."""

from __future__ import annotations

from pipeline.model import Document, Heading, Note
from pipeline.pagemap import NOTE_ON_TEXT
from pipeline.render.html import note_id
from pipeline.walk import iter_block_inlines, iter_blocks, plain_text


def link_targets(doc: Document) -> dict[str, str]:
    """What each id a link of the print edition can aim at is called, for the reader."""
    names = {NOTE_ON_TEXT: "Note on the Text"}
    for ch in doc.chapters:
        names[ch.id] = ch.meta.title
        for block in iter_blocks(ch.blocks):
            if isinstance(block, Heading) and block.attrs.id:
                names[block.attrs.id] = plain_text(block.inlines)
        for block in ch.blocks:
            for item in iter_block_inlines(block):
                if isinstance(item, Note):
                    names[note_id(ch.id, item.number)] = f"note {item.number}"
    return names

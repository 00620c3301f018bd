"""What the whole-book passes and the renderers ask of a chapter (its ids, attributes, links,
images, notes, headings), found in one walk and remembered for as long as the chapter lives.

Before this, each pass walked every chapter for its own question: nine walks of the whole
book after a one-paragraph edit, most of an EPUB rebuild's time. A pass that leaves a chapter
as it was (walk.replace_changed) hands the next pass the same object, whose index is known.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from pipeline.diagnostics import SourcePos
from pipeline.model import Attrs, Chapter, Div, Document, Heading, Image, Link, Note, Para, Span
from pipeline.walk import iter_block_inlines, iter_blocks


@dataclass(frozen=True)
class ChapterIndex:
    ids: tuple[str, ...]  # ids written on its blocks and spans, in walk.block_ids' order
    attrs: tuple[tuple[Attrs, SourcePos], ...]  # every attribute set, at its block's position
    links: bool  # holds a Link (notes included)
    images: tuple[Image, ...]  # in reading order
    notes: bool
    headings: bool  # a Heading at any depth outside notes


# id(chapter) -> (index, a weak reference whose callback forgets the entry with the chapter)
_KNOWN: dict[int, tuple[ChapterIndex, weakref.ref[Chapter]]] = {}


def chapter_index(ch: Chapter) -> ChapterIndex:
    known = _KNOWN.get(id(ch))
    if known is not None and known[1]() is ch:
        return known[0]
    index = _walk(ch)
    key = id(ch)
    _KNOWN[key] = (index, weakref.ref(ch, lambda _, key=key: _KNOWN.pop(key, None)))
    return index


def _walk(ch: Chapter) -> ChapterIndex:
    ids: list[str] = []
    attrs: list[tuple[Attrs, SourcePos]] = []
    images: list[Image] = []
    links = notes = headings = False
    for block in ch.blocks:
        span_ids = []
        for b in iter_blocks((block,)):
            if hasattr(b, "attrs"):
                attrs.append((b.attrs, b.pos))
                if isinstance(b, (Heading, Div, Para)) and b.attrs.id:
                    ids.append(b.attrs.id)
            headings = headings or isinstance(b, Heading)
        for i in iter_block_inlines(block):
            if hasattr(i, "attrs"):
                attrs.append((i.attrs, block.pos))
                if isinstance(i, Span) and i.attrs.id:
                    span_ids.append(i.attrs.id)
            if isinstance(i, Image):
                images.append(i)
            links = links or isinstance(i, Link)
            notes = notes or isinstance(i, Note)
        ids += span_ids
    return ChapterIndex(tuple(ids), tuple(attrs), links, tuple(images), notes, headings)


def all_ids(doc: Document) -> dict[str, str]:
    """Every id a link can aim at, mapped to the id of the chapter that holds it."""
    ids: dict[str, str] = {}
    for ch in doc.chapters:
        ids[ch.id] = ch.id
        ids.update((ident, ch.id) for ident in chapter_index(ch).ids)
    return ids


def images(doc: Document) -> dict[str, str]:
    """href -> file path of every image in the book, in reading order."""
    return {i.href: i.path for ch in doc.chapters for i in chapter_index(ch).images}

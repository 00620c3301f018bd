"""What the whole-book passes and the renderers ask of a chapter (its ids, attributes, links,
images, notes, headings), found in one walk of each block and remembered for as long as the
block lives.

Before this, each pass walked every chapter for its own question: nine walks of the whole
book after a one-paragraph edit, most of an EPUB rebuild's time. A pass that leaves a block or
chapter as it was (walk.replace_changed) hands the next pass the same object, whose index is
known; a chapter read from the cache brings its blocks' indexes (load.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.diagnostics import SourcePos
from pipeline.model import Attrs, Block, Chapter, Div, Document, Heading, Image, Link, Note, Para, Span
from pipeline.cache.remembered import Remembered
from pipeline.walk import iter_block_inlines, iter_blocks


@dataclass(frozen=True)
class Index:
    """Of one top-level block, or of a chapter (its blocks' indexes joined)."""

    ids: tuple[str, ...]  # ids written on blocks and spans, in walk order (a block's own, then its spans')
    attrs: tuple[tuple[Attrs, SourcePos], ...]  # every attribute set, at its top-level block's position
    links: bool  # holds a Link (notes included)
    images: tuple[Image, ...]  # in reading order
    notes: bool
    headings: bool  # a Heading at any depth outside notes


_BLOCKS: Remembered[Index] = Remembered()
_CHAPTERS: Remembered[Index] = Remembered()


def chapter_index(ch: Chapter) -> Index:
    return _CHAPTERS.get(ch) or _CHAPTERS.put(ch, _join([block_index(b) for b in ch.blocks]))


def block_index(block: Block) -> Index:
    """A pass that rewrites a few blocks (ids for headings, resolved links) leaves the others,
    and their indexes, as they were."""
    return _BLOCKS.get(block) or _BLOCKS.put(block, _walk(block))


def remember(blocks: tuple[Block, ...], indexes: list[Index]) -> None:
    """Indexes kept with a cached chapter, given back to its blocks when it is read again."""
    for block, index in zip(blocks, indexes, strict=True):
        _BLOCKS.put(block, index)


def _walk(block: Block) -> Index:
    ids: list[str] = []
    span_ids: list[str] = []
    attrs: list[tuple[Attrs, SourcePos]] = []
    images: list[Image] = []
    links = notes = headings = False
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
    return Index(tuple(ids + span_ids), tuple(attrs), links, tuple(images), notes, headings)


def _join(parts: list[Index]) -> Index:
    return Index(tuple(i for p in parts for i in p.ids), tuple(a for p in parts for a in p.attrs),
                 any(p.links for p in parts), tuple(i for p in parts for i in p.images),
                 any(p.notes for p in parts), any(p.headings for p in parts))


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

"""Unique, stable ids: ids written in the manuscript are checked, headings without one get
one derived from the chapter id and the heading's text."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from pipeline.chapter_index import chapter_index
from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.meta import slugify
from pipeline.model import Block, BlockQuote, Chapter, Div, Document, Heading, Span
from pipeline.normalise.front_matter import meta_texts
from pipeline.walk import iter_inlines, plain_text, replace_changed


def _explicit_ids(ch: Chapter) -> list[str]:
    return list(chapter_index(ch).ids)


def _meta_ids(doc: Document) -> list[tuple[str, SourcePos]]:
    """Span ids written in the front matter's Markdown (`source: "[x]{#id}"`): rendered as well."""
    return [(i.attrs.id, text.pos) for text in meta_texts(doc) for i in iter_inlines(text.inlines)
            if isinstance(i, Span) and i.attrs.id]


def check_explicit_ids(doc: Document, diags: Collector) -> Document:
    """An id written twice (or the same as a chapter's) would make links ambiguous."""
    seen = Counter(ch.id for ch in doc.chapters)
    for ch in doc.chapters:
        # Each told at the block that writes it the second time (its top-level block's line).
        for attrs, pos in chapter_index(ch).attrs:
            if attrs.id:
                seen[attrs.id] += 1
                if seen[attrs.id] == 2:
                    diags.error(pos if pos.path else ch.pos,
                                f"the id '{attrs.id}' is used more than once in the book; ids must be unique")
    for ident, pos in _meta_ids(doc):
        seen[ident] += 1
        if seen[ident] == 2:
            diags.error(pos, f"the id '{ident}' is used more than once in the book; ids must be unique")
    return doc


def assign_ids(doc: Document) -> Document:
    taken = {ch.id for ch in doc.chapters} | {i for ch in doc.chapters for i in _explicit_ids(ch)}
    taken |= {ident for ident, _ in _meta_ids(doc)}

    def unique(base: str) -> str:
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        return candidate

    def blocks(chapter_id: str, items: tuple[Block, ...]) -> tuple[Block, ...]:
        out: list[Block] = []
        for b in items:
            if isinstance(b, Heading) and not b.attrs.id:
                b = replace(b, attrs=replace(b.attrs, id=unique(f"{chapter_id}-{slugify(plain_text(b.inlines))}")))
            elif isinstance(b, (BlockQuote, Div)):
                b = replace_changed(b, blocks=blocks(chapter_id, b.blocks))
            out.append(b)
        return tuple(out)

    def chapter(ch: Chapter) -> Chapter:
        return replace_changed(ch, blocks=blocks(ch.id, ch.blocks))  # unchanged: its index stays known

    return replace(doc, chapters=tuple(chapter(c) for c in doc.chapters))

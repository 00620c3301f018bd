"""Unique, stable ids: ids written in the manuscript are checked, headings without one get
one derived from the chapter id and the heading's text."""

from __future__ import annotations

from collections import Counter
from itertools import chain
from dataclasses import fields, is_dataclass, replace
from typing import TypeVar
from urllib.parse import unquote

from pipeline.chapter_index import chapter_index
from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.meta import slugify
from pipeline.model import Attrs, Block, BlockQuote, Chapter, Div, Document, Heading, Link, Span
from pipeline.normalise.front_matter import meta_texts
from pipeline.walk import iter_block_inlines, iter_inlines, plain_text, replace_changed

N = TypeVar("N")


def _explicit_ids(ch: Chapter) -> list[str]:
    return list(chapter_index(ch).ids)


def _meta_ids(doc: Document) -> list[tuple[str, SourcePos]]:
    """Span ids written in the front matter's Markdown (`source: "[x]{#id}"`): rendered as well."""
    return [(i.attrs.id, text.pos) for text in meta_texts(doc) for i in iter_inlines(text.inlines)
            if isinstance(i, Span) and i.attrs.id]


def _aimed_at(doc: Document) -> dict[str, SourcePos]:
    """The ids that the book's links name (`#id`, `file.md#id`), each at its first link."""
    inlines = chain((i for ch in doc.chapters if chapter_index(ch).links for b in ch.blocks for i in iter_block_inlines(b)),
                    (i for text in meta_texts(doc) for i in iter_inlines(text.inlines)))
    out: dict[str, SourcePos] = {}
    for i in inlines:
        if isinstance(i, Link) and "#" in i.url:
            out.setdefault(unquote(i.url.partition("#")[2]), i.pos)
    return out


def _without_repeats(node: N, repeated: set[str], seen: set[str]) -> N:
    """The tree with each id of `repeated` kept where it is met first and taken off the rest."""
    if isinstance(node, tuple):
        return tuple(_without_repeats(n, repeated, seen) for n in node)  # type: ignore[return-value]
    if not is_dataclass(node) or isinstance(node, (Attrs, SourcePos)):
        return node
    changes = {f.name: _without_repeats(getattr(node, f.name), repeated, seen) for f in fields(node)}
    attrs = getattr(node, "attrs", None)
    if isinstance(attrs, Attrs) and attrs.id in repeated:
        if attrs.id in seen:
            changes["attrs"] = replace(attrs, id="")
        seen.add(attrs.id)
    return replace_changed(node, **changes)


def check_explicit_ids(doc: Document, diags: Collector) -> Document:
    """An id written twice (or the same as a chapter's) makes a link to it ambiguous: an error
    when a link aims at it; otherwise (pandoc's test suite writes `{#foobar}` twice) a warning,
    the id kept where it is first written and taken off the others."""
    seen = Counter(ch.id for ch in doc.chapters)
    repeats: list[tuple[str, SourcePos]] = []
    for ch in doc.chapters:
        # Each told at the block that writes it the second time (its top-level block's line).
        for attrs, pos in chapter_index(ch).attrs:
            if attrs.id:
                seen[attrs.id] += 1
                if seen[attrs.id] == 2:
                    repeats.append((attrs.id, pos if pos.path else ch.pos))
    for ident, pos in _meta_ids(doc):
        seen[ident] += 1
        if seen[ident] == 2:
            diags.error(pos, f"the id '{ident}' is used more than once in the book; ids must be unique")
    if not repeats:
        return doc
    aimed = _aimed_at(doc)
    dropped: set[str] = set()
    for ident, pos in repeats:
        if ident in aimed:
            link = aimed[ident]
            diags.error(pos, f"the id '{ident}' is used more than once in the book, and the link at "
                             f"{link.path}:{link.line} could go to either: give one of them another id")
        else:
            dropped.add(ident)
            diags.warning(pos, f"the id '{ident}' is used more than once in the book: it is kept where it is "
                               "first written and left out here (give this one another id if a link is to reach it)")
    if not dropped:
        return doc
    seen_ids: set[str] = {ch.id for ch in doc.chapters} & dropped  # a chapter's own id comes first
    return replace(doc, chapters=tuple(_without_repeats(ch, dropped, seen_ids)
                                       if any(a.id in dropped for a, _ in chapter_index(ch).attrs) else ch
                                       for ch in doc.chapters))


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

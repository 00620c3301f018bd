"""The Markdown held in the front matter (`publication`, `source`, `note-on-text`): it reaches
the outputs as the chapter text does, so the whole-book passes check it the same way.

The fields are found by their type, every `tuple[Inline, ...]` of BookMeta and ChapterMeta,
so a key newly rendered as Markdown is checked without being listed here; its position is in
the field `<name>_pos` (else the front matter's own position).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Iterator

from pipeline.diagnostics import SourcePos
from pipeline.model import BookMeta, Chapter, ChapterMeta, Document, Inline
from pipeline.walk import replace_changed

MetaFn = Callable[[tuple[Inline, ...], str], tuple[Inline, ...]]  # (inlines, chapter id or "") -> inlines


def _rendered(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.type in ("tuple[Inline, ...]", tuple[Inline, ...]))  # text or type


BOOK_FIELDS = _rendered(BookMeta)
CHAPTER_FIELDS = _rendered(ChapterMeta)


@dataclass(frozen=True)
class MetaText:
    inlines: tuple[Inline, ...]
    pos: SourcePos  # the key's value in book.yaml or the chapter's front matter
    chapter_id: str  # "" for book.yaml


def meta_texts(doc: Document) -> Iterator[MetaText]:
    for name in BOOK_FIELDS:
        yield MetaText(getattr(doc.meta, name), getattr(doc.meta, f"{name}_pos", doc.meta.pos), "")
    for ch in doc.chapters:
        for name in CHAPTER_FIELDS:
            yield MetaText(getattr(ch.meta, name), getattr(ch.meta, f"{name}_pos", ch.pos), ch.id)


def map_meta_texts(doc: Document, fn: MetaFn) -> Document:
    """fn applied to every such value; what it leaves as it was stays the same object."""
    def chapter(ch: Chapter) -> Chapter:
        changes = {n: fn(getattr(ch.meta, n), ch.id) for n in CHAPTER_FIELDS}
        return replace_changed(ch, meta=replace_changed(ch.meta, **changes))

    meta = replace_changed(doc.meta, **{n: fn(getattr(doc.meta, n), "") for n in BOOK_FIELDS})
    return replace_changed(doc, meta=meta, chapters=tuple(chapter(ch) for ch in doc.chapters))

"""Normalisation: an explicit, ordered tuple of passes, each Document -> Document.

A pass that can find problems in the manuscript takes the collector too. The first passes
look at one chapter at a time (CHAPTER_PASSES, each Chapter -> Chapter); they run chapter by
chapter, so that load.py can cache a chapter's result by that chapter's source alone. The
document passes after them see the whole book (ids and links across chapters).
"""

from __future__ import annotations

from typing import Callable

from pipeline.diagnostics import Collector
from pipeline.model import Chapter, Document
from pipeline.normalise.attributes import check_attributes
from pipeline.normalise.ids import assign_ids, check_explicit_ids
from pipeline.normalise.links import resolve_links
from pipeline.normalise.notes import number_chapter_notes
from pipeline.normalise.structure import one_title
from pipeline.normalise.typography import typography_book, typography_chapter
from pipeline.walk import map_chapters

Pass = Callable[[Document, Collector], Document]
ChapterPass = Callable[[Chapter], Chapter]


def _quiet(fn: Callable[[Document], Document]) -> Pass:
    return lambda doc, diags: fn(doc)


CHAPTER_PASSES: tuple[ChapterPass, ...] = (
    one_title,  # a body that repeats the chapter title loses the repeat; headings from level 2, one step at a time
    number_chapter_notes,
    typography_chapter,
)


def normalise_chapter(ch: Chapter) -> Chapter:
    for p in CHAPTER_PASSES:
        ch = p(ch)
    return ch


DOCUMENT_PASSES: tuple[Pass, ...] = (
    _quiet(typography_book),
    check_attributes,
    check_explicit_ids,
    _quiet(assign_ids),
    resolve_links,  # after ids: links aim at the ids headings end up with
)

PASSES: tuple[Pass, ...] = (
    _quiet(lambda doc: map_chapters(doc, normalise_chapter)),
    *DOCUMENT_PASSES,
)


def normalise(doc: Document, diags: Collector | None = None, passes: tuple[Pass, ...] = PASSES) -> Document:
    diags = diags if diags is not None else Collector()
    for p in passes:
        doc = p(doc, diags)
    return doc

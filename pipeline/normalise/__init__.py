"""Normalisation: an explicit, ordered tuple of Document -> Document passes."""

from __future__ import annotations

from typing import Callable

from pipeline.model import Document
from pipeline.normalise.ids import assign_ids
from pipeline.normalise.notes import number_notes
from pipeline.normalise.structure import one_title_per_chapter
from pipeline.normalise.typography import typography

Pass = Callable[[Document], Document]

PASSES: tuple[Pass, ...] = (
    one_title_per_chapter,
    number_notes,
    typography,
    assign_ids,
)


def normalise(doc: Document, passes: tuple[Pass, ...] = PASSES) -> Document:
    for p in passes:
        doc = p(doc)
    return doc

"""Normalisation: an explicit, ordered tuple of passes, each Document -> Document.

A pass that can find problems in the manuscript takes the collector too.
"""

from __future__ import annotations

from typing import Callable

from pipeline.diagnostics import Collector
from pipeline.model import Document
from pipeline.normalise.attributes import check_attributes
from pipeline.normalise.ids import assign_ids, check_explicit_ids
from pipeline.normalise.links import resolve_links
from pipeline.normalise.notes import number_notes
from pipeline.normalise.structure import one_title_per_chapter
from pipeline.normalise.typography import typography

Pass = Callable[[Document, Collector], Document]


def _quiet(fn: Callable[[Document], Document]) -> Pass:
    return lambda doc, diags: fn(doc)


PASSES: tuple[Pass, ...] = (
    _quiet(one_title_per_chapter),
    _quiet(number_notes),
    _quiet(typography),
    check_attributes,
    check_explicit_ids,
    _quiet(assign_ids),
    resolve_links,  # after ids: links aim at the ids headings end up with
)


def normalise(doc: Document, diags: Collector | None = None, passes: tuple[Pass, ...] = PASSES) -> Document:
    diags = diags if diags is not None else Collector()
    for p in passes:
        doc = p(doc, diags)
    return doc

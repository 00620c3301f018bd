"""Number a laid-out section's pages after its layout, from a first folio learnt later.

A chapter's pages do not depend on its folios: every chapter opens on a right-hand page, and
the folio is printed only in a margin box. WeasyPrint makes the margin boxes after the whole
document is paginated (the end of `weasyprint.layout.layout_document`), each from its page's
counter state. `keeping_state()` keeps that state with each page, so that `renumber()` can make
the margin boxes again with the page counter moved on: a chapter laid out from folio 1 then
gives the pages it would have given laid out from its real folio. With -j, a clean build lays
out its chapters in parallel this way before the page counts that fix their folios are known.

Written against WeasyPrint 70 (pinned); tests compare renumbered sections with sections laid
out at their folio, byte for byte.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipeline.render.pdf import patches


@contextmanager
def keeping_state() -> Iterator[None]:
    """Within it, WeasyPrint keeps each page's layout context and counter state with the page
    (the patch KEEP_MARGIN_STATE: only there, as the context is large)."""
    with patches.applied("KEEP_MARGIN_STATE"):
        yield


def renumber(pages: list[Any], shift: int) -> None:
    """Adds `shift` to the page counter of every page (weasyprint.Page objects laid out within
    keeping_state()) and makes their margin boxes again: folios, and running heads with them."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_box_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    if not shift:
        return
    for number, page in enumerate(pages, 1):
        box = page._page_box
        context, state = getattr(box, patches.MARGIN_STATE)
        quote_depth, counters, scopes, groups = copy.deepcopy(state)
        counters["page"] = [value + shift for value in counters["page"]]
        context.current_page = number  # running heads (string-set) are looked up by it
        kept = [child for child in box.children if not isinstance(child, boxes.MarginBox)]
        margins = list(make_margin_boxes(context, box, (quote_depth, counters, scopes, groups)))
        for margin in margins:  # as layout_backgrounds did for the first ones
            layout_box_backgrounds(box, margin, context.get_image_from_uri)
        box.children = tuple(kept + margins)

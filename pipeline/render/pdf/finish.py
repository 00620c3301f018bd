"""What PDF/UA asks for that WeasyPrint's pdf/ua-1 variant leaves out, added as write_pdf finishers.

- /PageLabels: a viewer's page box shows the printed folio ("v", "12"), not the page's index.
- Link descriptions: PDF/UA-1 wants each link annotation described in /Contents, which
  WeasyPrint fills with the bare target ("cliff-living-hell", an id); a screen reader
  should say where the link goes ("Link to Living hell").
"""

from __future__ import annotations

from typing import Any, Callable

import pydyf

from pipeline.model import Document, Heading, Note
from pipeline.pagemap import NOTE_ON_TEXT
from pipeline.render.html import note_id
from pipeline.walk import iter_block_inlines, iter_blocks, plain_text

Finisher = Callable[[Any, pydyf.PDF], None]


def page_labels_finisher(first_body_page: int, pages: int) -> Finisher:
    """Lower-case roman from i, then decimal from 1 at the first page of the body."""

    def finish(document: Any, pdf: pydyf.PDF) -> None:
        nums = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})])
        if first_body_page < pages:
            nums += [first_body_page, pydyf.Dictionary({"S": "/D"})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})

    return finish


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


def link_descriptions_finisher(targets: dict[str, str]) -> Finisher:
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/Link":
                continue
            if "Dest" in obj:
                target = obj["Dest"].string
                obj["Contents"] = pydyf.String(f"Link to {targets.get(target, 'a place in the book')}")
            elif "Contents" in obj:
                obj["Contents"] = pydyf.String(f"Link to {obj['Contents'].string}")

    return finish


def chain(*finishers: Finisher) -> Finisher:
    def finish(document: Any, pdf: pydyf.PDF) -> None:
        for f in finishers:
            f(document, pdf)

    return finish

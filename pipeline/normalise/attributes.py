"""Attributes written in the manuscript (`{#id .class lang=xx}`, raw HTML) are checked here:
a language tag that is not one would mislead screen readers and hyphenation, and an id
that is not an XML name makes the EPUB invalid."""

from __future__ import annotations

import re

from pipeline.diagnostics import Collector, SourcePos
from pipeline.meta import LANG_TAG
from pipeline.model import Attrs, Block, Document
from pipeline.walk import iter_block_inlines, iter_blocks

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _check(attrs: Attrs, pos: SourcePos, diags: Collector) -> None:
    if attrs.lang and not LANG_TAG.match(attrs.lang):
        diags.error(pos, f"lang={attrs.lang!r} is not a language tag; write one such as en, en-GB, la or fr")
    if attrs.id and not _XML_NAME.match(attrs.id):
        diags.error(pos, f"the id {attrs.id!r} is not usable in an EPUB: start it with a letter and use only "
                         "letters, digits, '-', '_' and '.'")


def _attrs_in(block: Block) -> list[tuple[Attrs, SourcePos]]:
    found = [(b.attrs, b.pos) for b in iter_blocks((block,)) if hasattr(b, "attrs")]
    found += [(i.attrs, block.pos) for i in iter_block_inlines(block) if hasattr(i, "attrs")]
    return found


def check_attributes(doc: Document, diags: Collector) -> Document:
    for ch in doc.chapters:
        for block in ch.blocks:
            for attrs, pos in _attrs_in(block):
                _check(attrs, pos, diags)
    return doc

"""Attributes written in the manuscript (`{#id .class lang=xx}`, raw HTML) are checked here:
a language tag that is not one would mislead screen readers and hyphenation, and an id
that is not an XML name makes the EPUB invalid."""

from __future__ import annotations

import re

from pipeline.chapter_index import chapter_index
from pipeline.diagnostics import Collector, SourcePos
from pipeline.meta import LANG_TAG
from pipeline.model import Attrs, Document
from pipeline.normalise.front_matter import meta_texts
from pipeline.walk import iter_inlines

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _check(attrs: Attrs, pos: SourcePos, diags: Collector) -> None:
    if attrs.lang and not LANG_TAG.match(attrs.lang):
        diags.error(pos, f"lang={attrs.lang!r} is not a language tag; write one such as en, en-GB, la or fr")
    if attrs.id and not _XML_NAME.match(attrs.id):
        diags.error(pos, f"the id {attrs.id!r} is not usable in an EPUB: start it with a letter and use only "
                         "letters, digits, '-', '_' and '.'")


def check_attributes(doc: Document, diags: Collector) -> Document:
    """Attributes of blocks at the block's line; of inlines, at their top-level block's."""
    for ch in doc.chapters:
        for attrs, pos in chapter_index(ch).attrs:
            _check(attrs, pos, diags)
    for text in meta_texts(doc):  # rendered as the text is: `[x]{lang=..}` in `source:` too
        for item in iter_inlines(text.inlines):
            if hasattr(item, "attrs"):
                _check(item.attrs, text.pos, diags)
    return doc

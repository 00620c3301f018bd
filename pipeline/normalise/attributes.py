"""Attributes written in the manuscript (`{#id .class lang=xx}`, raw HTML) are checked here:
a language tag that is not one would mislead screen readers and hyphenation, and an id
that is not an XML name makes the EPUB invalid."""

from __future__ import annotations

import re

from pipeline.chapter_index import chapter_index
from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.meta import LANG_TAG
from pipeline.model import Attrs, Document
from pipeline.normalise.front_matter import meta_texts
from pipeline.walk import iter_inlines

# HTML's rule, which epubcheck applies to EPUB 3's XHTML: an id is not empty and holds no white
# space ("12" and "1st" are ids, as on the web pages editors paste). Manuscript ids never become
# the XML IDs of the package or the NCX, which name chapters and navPoints by ids of their own.
_ID = re.compile(r"^[^\s]+$")


def _check(attrs: Attrs, pos: SourcePos, diags: Collector) -> None:
    if attrs.lang and not LANG_TAG.match(attrs.lang):
        diags.error(pos, f"lang={attrs.lang!r} is not a language tag; write one such as en, en-GB, la or fr")
    if attrs.id and not _ID.match(attrs.id):
        diags.error(pos, f"the id {attrs.id!r} is not usable: an id is one word, without spaces; "
                         "join its words with '-'")


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

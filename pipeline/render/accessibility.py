"""EPUB accessibility metadata, each claim computed from the document rather than templated."""

from __future__ import annotations

from pipeline.model import Document, Heading, Note
from pipeline.walk import iter_block_inlines, iter_blocks


def accessibility_metadata(doc: Document, images_with_alt: int = 1, images_without_alt: int = 0) -> list[tuple[str, str]]:
    """(property, value) pairs. The only image so far is the cover, which always has alt text."""
    has_notes = any(isinstance(i, Note) for ch in doc.chapters for b in ch.blocks for i in iter_block_inlines(b))
    has_sections = any(isinstance(b, Heading) for ch in doc.chapters for b in iter_blocks(ch.blocks))
    all_alt = images_without_alt == 0
    features = ["tableOfContents", "readingOrder", "displayTransformability"]
    if has_sections or len(doc.chapters) > 1:
        features.insert(0, "structuralNavigation")
    if images_with_alt and all_alt:
        features.append("alternativeText")
    modes = ["textual"] + (["visual"] if images_with_alt + images_without_alt else [])
    summary = (
        "This publication conforms to EPUB Accessibility 1.1 at WCAG 2.1 Level AA. It has a table of contents, "
        "navigation by chapter" + (" and section" if has_sections else "") + ", and a logical reading order; "
        + ("notes are linked to and from their references; " if has_notes else "")
        + ("every image has a text alternative; " if images_with_alt and all_alt else "")
        + "the text can be restyled by the reader. It contains no hazards."
    )
    pairs = [("schema:accessMode", m) for m in modes]
    pairs.append(("schema:accessModeSufficient", "textual" if all_alt else ",".join(modes)))
    pairs += [("schema:accessibilityFeature", f) for f in features]
    pairs.append(("schema:accessibilityHazard", "none"))
    pairs.append(("schema:accessibilitySummary", summary))
    pairs.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return pairs

"""EPUB accessibility metadata, each claim computed from the document rather than templated."""

from __future__ import annotations

from pipeline.chapter_index import chapter_index
from pipeline.model import Document
from pipeline.pagemap import PageMap


def accessibility_metadata(doc: Document, print_pages: PageMap = PageMap((), "")) -> list[tuple[str, str]]:
    """(property, value) pairs. The cover always has alt text; the book's own images are counted.
    Page numbers are claimed only when the EPUB carries the print edition's page list."""
    indexes = [chapter_index(ch) for ch in doc.chapters]
    has_notes = any(i.notes for i in indexes)
    pictures = [image for i in indexes for image in i.images]
    images_with_alt = 1 + sum(1 for i in pictures if i.alt)
    images_without_alt = sum(1 for i in pictures if not i.alt)
    has_sections = any(i.headings for i in indexes)
    all_alt = images_without_alt == 0
    features = ["tableOfContents", "readingOrder", "displayTransformability"]
    if print_pages.breaks:
        features += ["printPageNumbers", "pageNavigation"]
    if has_sections or len(doc.chapters) > 1:
        features.insert(0, "structuralNavigation")
    if images_with_alt and all_alt:
        features.append("alternativeText")
    modes = ["textual"] + (["visual"] if images_with_alt + images_without_alt else [])
    summary = (
        "This publication conforms to EPUB Accessibility 1.1 at WCAG 2.1 Level AA. It has a table of contents, "
        "navigation by chapter" + (" and section" if has_sections else "") + ", and a logical reading order; "
        + ("notes are linked to and from their references; " if has_notes else "")
        + ("the page numbers of the print edition are marked in the text and listed for navigation; "
           if print_pages.breaks else "")
        + ("every image has a text alternative; " if images_with_alt and all_alt else "")
        + "the text can be restyled by the reader. It contains no hazards."
    )
    pairs = [("schema:accessMode", m) for m in modes]
    pairs.append(("schema:accessModeSufficient", "textual" if all_alt else ",".join(modes)))
    pairs += [("schema:accessibilityFeature", f) for f in features]
    pairs.append(("schema:accessibilityHazard", "none"))
    if print_pages.breaks:
        pairs.append(("pageBreakSource", print_pages.source))
    pairs.append(("schema:accessibilitySummary", summary))
    pairs.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return pairs

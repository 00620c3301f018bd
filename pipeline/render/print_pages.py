"""What the print layout knows about its pages: their labels (the folios) and where each begins.

Labels follow print.css: the pages before the body count in lower-case roman from i,
the body in arabic from 1 (`@page :nth(1 of body) { counter-reset: page 1 }`). The PDF
carries them as its /PageLabels (pdf_accessibility.py), so a viewer's page box shows the folio.
The page map gives, for each body page, the first character of running text that
starts on it, as a region and a count of characters (pipeline.pagemap).
"""

from __future__ import annotations

from typing import Any, Iterator

from weasyprint.formatting_structure import boxes

from pipeline.pagemap import NOTE_ON_TEXT, PageBreak, PageMap, counted

BODY_PAGE = "body"  # the page name print.css gives the main text


def roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def first_body_page(pages: list[Any]) -> int:
    """0-based index of the first page of the body, or len(pages) if there is none."""
    return next((i for i, p in enumerate(pages) if p._page_box.page_type.name == BODY_PAGE), len(pages))


def page_labels(pages: list[Any]) -> list[str]:
    body = first_body_page(pages)
    return [roman(i + 1) if i < body else str(i - body + 1) for i in range(len(pages))]


def _flow_text(page_box: Any) -> Iterator[Any]:
    """Text boxes of the page's main flow (no running heads, folios or footnote area)."""
    for child in page_box.children:
        if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        for box in child.descendants():
            if isinstance(box, boxes.TextBox):
                yield box


def _regions(root: Any) -> dict[Any, str]:
    """Element -> region of the running text it belongs to ('' for none or for note text)."""
    out: dict[Any, str] = {}

    def visit(element: Any, region: str) -> None:
        classes = (element.get("class") or "").split()
        if element.tag == "section" and "chapter" in classes:
            region = element.get("id", "")
        elif element.tag == "section" and "note-on-text" in classes:
            region = NOTE_ON_TEXT
        elif "footnote" in classes or "note-repeat" in classes:
            region = ""  # note text sits at its call in print, in asides in the EPUB
        out[element] = region
        for child in element:
            visit(child, region)

    visit(root, "")
    return out


def page_map(pages: list[Any], source: str) -> PageMap:
    """Where each body page begins: the first counted character of running text laid out on it."""
    if not pages:
        return PageMap((), source)
    regions = _regions(pages[0]._page_box.children[0].element)
    seen: dict[str, int] = {}  # region -> characters counted so far
    starts: list[tuple[str, int] | None] = []
    last_region = ""
    for page in pages:
        start = None
        for box in _flow_text(page._page_box):
            region = regions.get(box.element, "") if "::" not in box.element_tag else ""
            n = counted(box.text)
            if not region or not n:
                continue
            if start is None:
                start = (region, seen.get(region, 0))
            seen[region] = seen.get(region, 0) + n
            last_region = region
        starts.append(start)
    # A page without text (a blank verso, a page that is all picture) begins where the next does.
    following: tuple[str, int] = (last_region, seen.get(last_region, 0))
    for i in range(len(starts) - 1, -1, -1):
        following = starts[i] or following
        starts[i] = following
    labels = page_labels(pages)
    body = first_body_page(pages)
    breaks = tuple(PageBreak(labels[i], *starts[i]) for i in range(body, len(pages)) if starts[i] and starts[i][0])
    return PageMap(breaks, source, tuple(seen.items()))

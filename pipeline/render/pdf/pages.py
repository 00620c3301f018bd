"""What the print layout knows about its pages: their labels (the folios) and where each begins.

Labels follow print.css: the pages before the body count in lower-case roman from i,
the body in arabic from 1 (`@page :nth(1 of body) { counter-reset: page 1 }`). The PDF
carries them as its /PageLabels (merge.py), so a viewer's page box shows the folio.
The page map gives, for each body page, the first character of running text that
starts on it, as a region and a count of characters (pipeline.pagemap).
"""

from __future__ import annotations

from pipeline.pagemap import PageBreak, PageMap
from pipeline.render.pdf.facts import LayoutFacts

BODY_PAGE = "body"  # the page name print.css gives the main text


def roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def first_body_page(kinds: list[str]) -> int:
    """0-based index of the first page of the body, or len(kinds) if there is none
    (kinds: each page's name in print.css, as LayoutFacts gives it)."""
    return next((i for i, kind in enumerate(kinds) if kind == BODY_PAGE), len(kinds))


def page_labels(kinds: list[str]) -> list[str]:
    body = first_body_page(kinds)
    return [roman(i + 1) if i < body else str(i - body + 1) for i in range(len(kinds))]


def page_map(facts: LayoutFacts, source: str) -> PageMap:
    """Where each body page begins: the first counted character of running text laid out on it
    (facts: those of a whole-book layout, or of sections laid out apart and assembled)."""
    if not facts.pages:
        return PageMap((), source)
    starts: list[tuple[str, int] | None] = [p.start for p in facts.pages]
    last_region = facts.lengths[-1][0] if facts.lengths else ""
    seen = dict(facts.lengths)
    # A page without text (a blank verso, a page that is all picture) begins where the next does.
    following: tuple[str, int] = (last_region, seen.get(last_region, 0))
    for i in range(len(starts) - 1, -1, -1):
        following = starts[i] or following
        starts[i] = following
    kinds = [p.kind for p in facts.pages]
    body = first_body_page(kinds)
    labels = page_labels(kinds)
    breaks = tuple(PageBreak(labels[i], *starts[i]) for i in range(body, len(kinds)) if starts[i] and starts[i][0])
    return PageMap(breaks, source, facts.lengths)

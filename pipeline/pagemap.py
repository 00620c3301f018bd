"""The print edition's page breaks as plain data, passed from the PDF renderer to the EPUB's.

A position in the text is given the same way on both sides, so neither renderer
needs the other: a *region* (the id of a chapter, or `note-on-the-text`) and an
*offset*, the number of counted characters of that region before the position.
Counted characters are those of the running text: white space, soft hyphens and
the hyphens that line breaking inserts are not counted, nor is anything of the
notes (print sets them at the page foot, the EPUB in asides) or text that CSS
generates. The PDF renderer counts the text boxes of its layout; the EPUB
renderer counts the characters of its markup and puts a page break marker there.
"""

from __future__ import annotations

from dataclasses import dataclass

_NOT_COUNTED = frozenset("\u00ad\u2010\u200b\u2060\ufeff")  # soft hyphen, inserted hyphen, zero widths


def counts(char: str) -> bool:
    return not char.isspace() and char not in _NOT_COUNTED


_DROP_NOT_COUNTED = str.maketrans("", "", "".join(_NOT_COUNTED))


def counted(text: str) -> int:
    """How many characters of `text` count (as `counts`, without a Python loop per character)."""
    return len("".join(text.translate(_DROP_NOT_COUNTED).split()))


@dataclass(frozen=True)
class PageBreak:
    label: str  # the folio of the page, as printed ("12"); blank pages carry theirs too
    region: str  # where the page begins: a chapter id or "note-on-the-text"
    offset: int  # counted characters of the region before the page's first one


@dataclass(frozen=True)
class PageMap:
    """Every page of the print edition's body, in order, and where each begins in the text."""

    breaks: tuple[PageBreak, ...]
    source: str  # names the print edition, for the EPUB's pageBreakSource
    lengths: tuple[tuple[str, int], ...] = ()  # (region, counted characters laid out), to check against

    def in_region(self, region: str) -> list[PageBreak]:
        return [b for b in self.breaks if b.region == region]


NOTE_ON_TEXT = "note-on-the-text"

"""No word broken at the start of a line because of the space that ends a text run (WeasyPrint 70).

WeasyPrint lays a paragraph out run by run: a run of text ends where an inline element begins
(`<em>`, a link, the no-wrap span that keeps a note call with its word). When a run ends with a
space and just fits the line without that space but not with it, `split_first_line` counts the
space, finds the run too wide, and takes its "cannot break earlier" path: it hyphenates or
cuts the run's *first* word, leaving a line of "Dar-" (or "through") and the rest of the
paragraph below. Seen in block quotes holding a note call (issue 13); any paragraph can meet it.

`install()` wraps `split_first_line` where the inline layout calls it: when the stock answer
keeps no more than the run's first word and the run without its final space fits the width,
the run is laid out whole, as WeasyPrint does when it fits; the line then breaks before the
next element, as it should, and the hanging space is trimmed at the line's end as any is.
"""

from __future__ import annotations

from typing import Any


def _first_word_only(text: str, length: int) -> bool:
    """The first line holds at most the run's first word (perhaps part of it)."""
    return " " not in text.encode()[:length].decode(errors="ignore").strip(" ")


def install() -> bool:
    """Idempotent; True when in effect."""
    from weasyprint.layout import inline

    if getattr(inline.split_first_line, "keeps_first_words", False):
        return True
    stock = inline.split_first_line

    def split_first_line(text: str, style: Any, context: Any, max_width: float | None,
                         justification_spacing: float, is_line_start: bool = True, minimum: bool = False) -> Any:
        result = stock(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if (result[2] is None or max_width is None or minimum or style["white_space"] != "normal"
                or not text.endswith(" ") or not text.strip(" ") or not _first_word_only(text, result[1])):
            return result
        trimmed = stock(text.rstrip(" "), style, context, max_width, justification_spacing, is_line_start, minimum)
        if trimmed[2] is not None or trimmed[3] > max_width:
            return result  # the run is too wide even without its space: the stock answer stands
        return stock(text, style, context, None, justification_spacing, is_line_start, minimum)

    split_first_line.keeps_first_words = True  # type: ignore[attr-defined]
    split_first_line.stock = stock  # type: ignore[attr-defined]  # for tests that compare
    inline.split_first_line = split_first_line
    return True

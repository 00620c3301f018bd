"""How big one chapter file may be: checked on its text, before anything is parsed or laid out.

The print PDF lays each chapter out as one WeasyPrint document, whose boxes for every page stay
in memory until the file is written, so time and memory grow with the chapter and nothing but
its size bounds them (measured: about 14 s of CPU and 110 MB per 100,000 words of prose, a
table twice that and more; a 12 MB chapter of 1.9 million words, 5,469 pages, took 6.3 minutes
of CPU and 2.7 GB). A chapter over a limit below is an error at its line 1 that gives its size
and asks for it to be split; the long chapters of real books (30,000 words) are far below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.sources import RawChapter

# At the limits (580-860 pages): prose 28 s of CPU and 320 MB, one long table 76 s and 1.2 GB,
# lines of 1,000 characters without a space 46 s and 400 MB (the EPUB: 2 s each).
MAX_CHAPTER_WORDS = 200_000
MAX_CHAPTER_CHARS = 2_000_000  # bounds text with few spaces, which has few words
_WORD = re.compile(r"\S+")


def words(text: str) -> int:
    """Runs of non-space characters, as `wc -w` counts them (without a list of millions of strings)."""
    return sum(1 for _ in _WORD.finditer(text))


def check_chapter_sizes(chapters: Iterable[RawChapter], diags: Collector) -> bool:
    """Reports each chapter over a limit at its line 1; True when every chapter is within them."""
    fits = True
    for rc in chapters:
        chars = len(rc.body)
        if chars <= 2 * MAX_CHAPTER_WORDS:  # a word needs a space after it: nothing to count
            continue
        n = words(rc.body)
        if n > MAX_CHAPTER_WORDS:
            size = f"{n:,} words, more than the {MAX_CHAPTER_WORDS:,}"
        elif chars > MAX_CHAPTER_CHARS:
            size = f"{chars:,} characters, more than the {MAX_CHAPTER_CHARS:,}"
        else:
            continue
        fits = False
        diags.error(SourcePos(rc.rel, 1, 1),
                    f"this chapter has {size} a chapter may have (the PDF lays each chapter out "
                    f"whole, in time and memory that grow with it); split it into several chapter files")
    return fits

"""Where a block or a piece of text found in Python-Markdown's tree stands in the source file."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from pipeline.diagnostics import SourcePos


@dataclass
class Locator:
    """Maps text found in the tree back to a line and column of the source file."""

    source: str
    path: str
    first_line: int
    cursor: int = 0
    first_col: int = 1  # of the source's first line: a front matter value starts inside its line
    # Where the source's newlines are: a position's line is found by bisection, not by counting
    # the newlines before it (a chapter asks for thousands of positions).
    newlines: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", self.source)]

    def pos_of(self, offset: int) -> SourcePos:
        line = bisect_left(self.newlines, offset)  # the newlines before offset
        col = offset - (self.newlines[line - 1] + 1 if line else 0) + (1 if line else self.first_col)
        return SourcePos(self.path, self.first_line + line, col)

    def find(self, needle: str, advance: bool = True) -> SourcePos:
        needle = needle.strip()[:40]
        at = self.source.find(needle, self.cursor) if needle else -1
        if at < 0:
            at = self.source.find(needle) if needle else -1
        if at < 0:
            return self.pos_of(self.cursor)
        if advance:
            self.cursor = at
        return self.pos_of(at)

    def find_block(self, text: str) -> SourcePos:
        """The start of a block whose plain text is `text`. Markup inside the block ([a]{...},
        *a*) hides the whole text from the source, so fall back to its first words at the start
        of a line after the cursor: the longest prefix that is found wins."""
        needle = text.strip()[:40]
        at = self.source.find(needle, self.cursor) if needle else -1
        if at >= 0:
            self.cursor = at
            return self.pos_of(at)
        words = needle.split()
        # A line can match n words only if it matches the first one: one scan of the source finds
        # those lines, and each longer prefix is then tried at them alone, not searched for afresh
        # (a note's definition, "[^1]: ...", matches no prefix: it cost a scan per word).
        starts = self._lines_starting_with(words[0]) if len(words) > 1 else []
        for n in range(len(words) - 1, 0, -1) if starts else ():
            pattern = _line_prefix(words[:n])
            m = next(filter(None, (pattern.match(self.source, start) for start in starts)), None)
            if m:
                self.cursor = m.start(1)
                return self.pos_of(m.start(1))
        return self.find(needle)

    def _lines_starting_with(self, word: str) -> list[int]:
        """Starts of the lines from the cursor on that _line_prefix([word]) matches. Found by their
        newlines: a pattern that starts with a character is searched for far faster than '^'."""
        after_newline = re.compile(r"\n[ \t>*+\-\d.)#|]*" + re.escape(word))
        starts = [m.start() + 1 for m in after_newline.finditer(self.source, max(self.cursor - 1, 0))]
        return [0, *starts] if self.cursor == 0 and _line_prefix([word]).match(self.source) else starts


def _line_prefix(words: list[str]) -> re.Pattern[str]:
    """The words, at the start of a line after any list, quote or heading markers."""
    prefix = r"\s+".join(re.escape(w) for w in words)
    return re.compile(r"^[ \t>*+\-\d.)#|]*(" + prefix + ")", re.M)

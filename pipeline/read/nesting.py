"""How deep a manuscript may nest: the limits, the look at the Markdown text before
Python-Markdown reads it, and the parser's count while it builds the model.

Python-Markdown reads nested lists, block quotes and `<div markdown="1">` by recursion, and the
stages after it recurse over the model (the rebuilding passes, pickling for the cache, the
renderers, WeasyPrint's layout at about five frames an HTML level): a few hundred levels, from a
few hundred bytes of input, exhaust Python's stack. Books nest a handful of levels. The limits
are far above that and far below the stack's edge (the deepest books they allow, measured, build
in under 500 of Python's 1,000 frames), and the parser builds no model deeper than them, so no
stage after it can recurse too deep.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Callable, TypeVar

from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.locate import Locator
from pipeline.model import Block, Emph, Inline, Link, Phrase, Span, Strong

MAX_BLOCK_DEPTH = 32  # lists, block quotes, <div>s and notes inside one another
MAX_INLINE_DEPTH = 20  # emphasis, links, spans and other inline markup inside one another
MAX_NOTE_DEPTH = 8  # notes called in the text of notes (WeasyPrint lays each out inside the one before)

BLOCK_MESSAGE = (f"blocks are nested more than {MAX_BLOCK_DEPTH} levels deep here (each list, block quote, "
                 f"<div> and note inside another counts one); flatten the nesting")
INLINE_MESSAGE = (f"inline markup is nested more than {MAX_INLINE_DEPTH} levels deep here (emphasis, links, "
                  f"spans and the like inside one another); close some of it before opening more")
NOTE_MESSAGE = (f"notes are nested more than {MAX_NOTE_DEPTH} levels deep here (each note called in the text "
                f"of another counts one); put this note's text into the note that calls it")

T = TypeVar("T")

# What opens a block at the start of a line: a quote's '>', a list marker, a note's '[^x]:'.
_PREFIX = re.compile(r"([ \t]*)(>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|\[\^[^\]\s]+\]:)")
_HR = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # '* * *' is a scene break, not three lists
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_TAG = re.compile(r"<(/?)(?:div|blockquote|ul|ol)\b[^>]*?(/?)>", re.IGNORECASE)
_LINE_START = frozenset(" \t>-*+0123456789[")


def too_deep_at(text: str, limit: int = MAX_BLOCK_DEPTH) -> int | None:
    """The offset in text of the first '>', list marker or block tag that opens a block more than
    `limit` levels deep, as the text shows it, or None. A line's lists are its markers plus its
    indentation (4 columns a level, never deeper than the line before it); block tags count until
    they are closed; fenced code and code spans are skipped. Python-Markdown recurses once a
    level before the parser sees its tree: this keeps that recursion short."""
    html = 0  # block elements open before this line
    prev = 0  # levels of the last line that was not blank, blocks of HTML apart
    blank = True
    fence = ""
    start = 0
    for line in text.split("\n"):
        at, start = start, start + len(line) + 1
        if not line.strip():
            blank = True
            continue
        tokens: list[re.Match[str]] = []
        end = 0
        if line[0] in _LINE_START:
            while m := _PREFIX.match(line, end):
                tokens.append(m)
                end = m.end()
        if fence:
            fence = "" if line[end:].lstrip().startswith(fence) else fence
            continue
        if m := _FENCE.match(line, end):
            fence = m.group(1)[0] * 3
        first = next((i for i, m in enumerate(tokens) if m.group(2) != ">"), len(tokens))
        if first < len(tokens) and _HR.match(line, tokens[first].start(2)):
            tokens = tokens[:first]
        level, quotes, listed = 0, 0, False
        for m in tokens:
            if m.group(2) == ">" or m.group(2).startswith("[^"):  # a note's text is a level, as a quote's
                quotes += 1
                level += 1
            else:
                if not listed:  # the indentation before the first marker: lists already open
                    width = len(m.group(1).expandtabs(4)) - (1 if quotes else 0)
                    level += min(max(width, 0) // 4, max(prev - quotes, 0))
                    listed = True
                level += 1
            if html + level > limit:
                return at + m.start(2)
        if not tokens:  # indented: a continuation or code inside the lists before it; else a new
            # paragraph, or one that lazily continues the line before (after no blank line)
            indent = len(line[: len(line) - len(line.lstrip())].expandtabs(4))
            level = min(indent // 4, prev) if indent else 0
            prev = level if indent or blank else prev
        else:
            prev = level
        blank = False
        if "<" in line:
            for m in _TAG.finditer(_CODE_SPAN.sub(lambda c: " " * len(c.group(0)), line)):
                if m.group(1):
                    html = max(html - 1, 0)
                elif not m.group(2):
                    html += 1
                    if html + level > limit:
                        return at + m.start()
    return None


def inline_nesting(items: tuple[Inline, ...]) -> int:
    """How deep inline elements nest in items (notes apart), walked without recursion."""
    deepest = 0
    stack = [(items, 1)]
    while stack:
        seq, depth = stack.pop()
        for item in seq:
            if isinstance(item, (Emph, Strong, Span, Link, Phrase)):
                deepest = max(deepest, depth)
                stack.append((item.inlines, depth + 1))
    return deepest


class NestingGuard:
    """A mixin of the parser's tree walker: it counts the levels it is inside and converts
    nothing past the limits; the first place past one is reported, once a text."""

    loc: Locator
    diags: Collector
    stash: list[str]
    block_depth = 0
    inline_depth = 0
    inline_base = 0  # the inline depth a note's text starts from: that of its call
    raw_inline: int | None = None  # the first raw inline tag of a text (paired after its contents were counted)
    open_notes: frozenset[str] = frozenset()  # the notes whose text is being converted
    told = False

    def too_deep(self, pos: SourcePos, message: str) -> None:
        if not self.told:
            self.told = True
            self.diags.error(pos, message)

    def contained(self, pos: SourcePos, make: Callable[[], T]) -> T | None:
        """make() one block level deeper; past the limit nothing is made."""
        if self.block_depth >= MAX_BLOCK_DEPTH:
            self.too_deep(pos, BLOCK_MESSAGE)
            return None
        self.block_depth += 1
        try:
            return make()
        finally:
            self.block_depth -= 1

    def inline_level(self, el: etree.Element, convert: Callable[[etree.Element], list[Inline]]) -> list[Inline]:
        """convert(el) one inline level deeper; past the limit it is left out."""
        if self.inline_depth >= MAX_INLINE_DEPTH:  # reported where its longest piece of text is
            self.too_deep(self.loc.find(max(el.itertext(), key=len, default=""), advance=False), INLINE_MESSAGE)
            return []
        self.inline_depth += 1
        try:
            return convert(el)
        finally:
            self.inline_depth -= 1

    def bounded(self, items: tuple[Inline, ...]) -> tuple[Inline, ...]:
        """A paragraph's inlines, measured when raw inline tags were paired around inlines that
        had been counted without them; past the limit they are left out."""
        first = self.raw_inline
        if self.inline_depth != self.inline_base or first is None:
            return items
        self.raw_inline = None
        if self.inline_base + inline_nesting(items) > MAX_INLINE_DEPTH:
            self.too_deep(self.loc.find(self.stash[first] if first < len(self.stash) else "", advance=False),
                          INLINE_MESSAGE)
            return ()
        return items

    def saw_raw(self, parts: list[str]) -> None:
        """Text split at raw HTML placeholders: the first one is where a text too deep is reported."""
        if len(parts) > 1 and self.raw_inline is None:
            self.raw_inline = int(parts[1])

    def note_text(self, label: str, pos: SourcePos, make: Callable[[], tuple[Block, ...]]) -> tuple[Block, ...]:
        """A note's blocks: a block level deeper than its call, their inlines counted on from the
        call's depth (its <sup> is no level). A note called inside its own text is refused: its
        text would never end."""
        if label in self.open_notes:
            self.diags.error(self.loc.find(f"[^{label}]:", advance=False),
                             f"footnote [^{label}] is called inside its own text; a note cannot contain itself")
            return ()
        if len(self.open_notes) >= MAX_NOTE_DEPTH:
            self.too_deep(pos, NOTE_MESSAGE)
            return ()
        saved = self.inline_depth, self.inline_base, self.raw_inline
        self.inline_depth = self.inline_base = max(self.inline_depth - 1, 0)
        self.raw_inline = None
        self.open_notes = self.open_notes | {label}
        try:
            return self.contained(pos, make) or ()
        finally:
            self.open_notes = self.open_notes - {label}
            self.inline_depth, self.inline_base = saved[0], saved[1]
            self.raw_inline = saved[2] if saved[2] is not None else self.raw_inline


def readable(text: str, loc: Locator, diags: Collector) -> bool:
    """False, reported, when the text nests past the block limit: Python-Markdown must not read it."""
    at = too_deep_at(text)
    if at is not None:
        diags.error(loc.pos_of(at), BLOCK_MESSAGE)
    return at is None

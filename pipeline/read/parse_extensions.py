"""What this pipeline adds to Python-Markdown's parser: inline processors (pandoc's bracketed
spans; reference links marked with their source text), block processors (HTML blocks inside
block quotes, notes and list items) and a preprocessor (the attributes of a fenced code block
written after its language).

Part of the Markdown reading that parse.py sets up (one of the two modules that import
markdown, split from parse.py by the job: this one extends the parser, parse.py turns its tree
into the model).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor, BlockQuoteProcessor
from markdown.preprocessors import Preprocessor
from markdown.inlinepatterns import (
    IMAGE_REFERENCE_RE, REFERENCE_RE, ImageReferenceInlineProcessor, InlineProcessor, ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor, ShortReferenceInlineProcessor,
)

from pipeline.read.parse_links import kept_as_text, span_attrs, undefined, use_needle
from pipeline.read.rawhtml import read_tag

# Set by the inline processors below for the walker, under names no markup can write (a space).
USE = " use"  # the source text of a reference use or of markup kept as text: where it stands
WARN = " warn"  # on a <span> of text kept as written: the warning at USE


def _kept(text: str, warning: str) -> etree.Element:
    el = etree.Element("span", {USE: use_needle(text), WARN: warning})
    el.text = text
    return el


class SeparateBlockQuotes(BlockQuoteProcessor):
    """Two block quotes with a blank line between them are two quotations, as in CommonMark and
    pandoc (two letters one after the other, two epigraphs): Python-Markdown joined a `>` block
    to the quotation before it. A quotation of several paragraphs keeps its `>` on the lines
    between them, as the guide shows."""

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        m = self.RE.search(block)
        if m:
            self.parser.parseBlocks(parent, [block[:m.start()]])  # the lines before the quotation
            block = "\n".join(self.clean(line) for line in block[m.start():].split("\n"))
        quote = etree.SubElement(parent, "blockquote")
        self.parser.state.set("blockquote")  # as Python-Markdown's: quotations in lists get <p>
        self.parser.parseChunk(quote, block)
        self.parser.state.reset()


# What stands for the "<" of an end tag inside a code span while Python-Markdown reads raw HTML
# blocks (CodeSpanEndTags); parse.py puts the "<" back. A private-use character: a manuscript
# that holds it is left as it is.
END_TAG_MARK = "\ue000"
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


class CodeSpanEndTags(Preprocessor):
    """`<p markdown="1">` ... `` `</p>` `` ... `</p>`: Python-Markdown's reader of raw HTML
    blocks ends the paragraph at the `</p>` inside the backticks, and the rest of its text
    stood as a stray tag ("<p> cannot stand inside a paragraph"; its own HTML output breaks
    there the same way). Inside a code span an end tag's "<" is set aside until the code is
    read. One line for one line."""

    def run(self, lines: list[str]) -> list[str]:
        if any(END_TAG_MARK in line for line in lines):
            return lines

        def mark(m: re.Match[str]) -> str:
            return m.group(1) + m.group(2).replace("</", END_TAG_MARK + "/") + m.group(1)

        return [_CODE_SPAN.sub(mark, line) if "</" in line and "`" in line else line for line in lines]


class FenceAttributes(Preprocessor):
    """A fence's language and then its attributes, `~~~ .html {#codeid}` or ```` ```python{.x} ````
    (PHP Markdown Extra and pandoc write them so), as `~~~ {.html #codeid}`: Python-Markdown's
    fenced code reads a language or braces, not both, and left such a block as text. One line
    for one line, so positions hold."""

    FENCE = re.compile(r"^(?P<fence>~{3,}|`{3,})[ ]*\.?(?P<lang>[\w#+-][\w#.+-]*)[ ]*\{(?P<attrs>[^}\n]*)\}[ ]*$")

    def run(self, lines: list[str]) -> list[str]:
        return [self.FENCE.sub(r"\g<fence> {.\g<lang> \g<attrs>}", line) if "{" in line else line for line in lines]


class IndentedFences(Preprocessor):
    """A fence indented under a list item (CommonMark's, and PHP Markdown Extra's test of a list
    item with "smalish indent"), or indented one to three spaces at the top level: Python-Markdown
    reads fences at a line's start only, and printed such code as a paragraph. Under an item it
    becomes the item's indented code block (eight spaces in, Python-Markdown's way of writing it;
    its fence lines blank), at the top level a fence at the line's start. One line for one line,
    so positions hold."""

    ITEM = re.compile(r"^(?P<indent> *)(?:[*+-]|\d+[.)])[ \t]+\S")
    FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})[^`\n]*$")

    def run(self, lines: list[str]) -> list[str]:
        """One pass, a fence open at a time (linear whatever the text: an unclosed fence is left
        as it is, as Python-Markdown leaves it)."""
        out, item, blank = list(lines), -1, False  # item: the indent of the list item we are in
        opened: tuple[int, str, int, str | None] | None = None  # (line, fence, indent, new indent or None)
        for i, line in enumerate(lines):
            if opened is not None:
                start, fence, indent, to = opened
                t = line.strip()
                if t and set(t) == {fence[0]} and len(t) >= len(fence):
                    opened, blank = None, True
                    if to is not None:
                        self._move(lines, out, start, i, indent, to)
                continue
            if (m := self.ITEM.match(line)) is not None:
                item = len(m["indent"])
            elif line.strip() and blank and not line.startswith(" "):
                item = -1  # text at the margin after a blank line: the list is over
            blank = not line.strip()
            if (f := self.FENCE.match(line)) is not None:
                indent = len(f["indent"])
                # Under a list item: the item's code block; 1-3 spaces in at the margin: a fence;
                # at the margin (Python-Markdown's own) or under an indented code block: as it is.
                to = " " * (4 * (item // 4) + 8) if indent > item >= 0 else "" if 0 < indent <= 3 else None
                opened = (i, f["fence"], indent, to)
        return out

    @staticmethod
    def _move(lines: list[str], out: list[str], start: int, end: int, indent: int, to: str) -> None:
        out[start], out[end] = ("", "") if to else (lines[start][indent:], lines[end].strip())
        for k in range(start + 1, end):
            code = lines[k]
            out[k] = to + code[min(indent, len(code) - len(code.lstrip(" "))):] if code.strip() else ""


class BracketedSpan(InlineProcessor):
    """pandoc's bracketed span: [text]{.smallcaps lang=la #id} becomes <span>; braces that hold
    anything but attributes (`[22-23]{smith.1899}`) are text, as in pandoc, with a warning."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]
        attrs, word = span_attrs(m.group(2))
        if word:
            return _kept(m.group(0), kept_as_text(m.group(0), word)), m.start(0), m.end(0)
        el = etree.Element("span", attrs)
        el.text = m.group(1)
        return el, m.start(0), m.end(0)


def _marked(base: type[ReferenceInlineProcessor], full: bool) -> type[ReferenceInlineProcessor]:
    """Python-Markdown's reference processor `base`, marking each use with its source text, so
    that a problem with its address is reported at the use (not at an earlier inline link to the
    same address); with `full` ([text][label], [text][]), one to no definition is a warning."""

    class Marked(base):  # type: ignore[valid-type,misc]
        def evalId(self, data: str, index: int, text: str) -> tuple[str | None, int, bool]:
            self.wanted, end, handled = super().evalId(data, index, text)
            return self.wanted, end, handled

        def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element | None, int | None, int | None]:
            el, start, end = super().handleMatch(m, data)
            if start is None or end is None:
                return el, start, end
            if el is None:
                return (_kept(data[start:end], undefined(self.wanted, self.md.references)) if full else None), start, end
            el.set(USE, use_needle(data[start:end]))
            return el, start, end

    return Marked


REFERENCES = [(name, _marked(base, full), pattern, priority) for name, base, full, pattern, priority in (
    ("reference", ReferenceInlineProcessor, True, REFERENCE_RE, 170),  # Python-Markdown's own priorities
    ("image_reference", ImageReferenceInlineProcessor, True, IMAGE_REFERENCE_RE, 140),
    ("short_reference", ShortReferenceInlineProcessor, False, REFERENCE_RE, 130),  # `[sic]` is text
    ("short_image_ref", ShortImageReferenceInlineProcessor, False, IMAGE_REFERENCE_RE, 125))]


_NESTED_DIV = re.compile(r"""<div\b[^>]*\bmarkdown\s*=\s*["']?(?:1|block)["']?[^>]*>""")
# The raw HTML blocks that a note or a quotation may hold as the text does (a <div> of raw
# HTML, not Markdown, included): set aside whole, as md_in_html sets them aside at the top level.
_RAW_BLOCK = re.compile(r"<(table|div|pre|ul|ol|blockquote)\b[^>]*>", re.IGNORECASE)


def _until_closed(tag: str, first: str, blocks: list[str]) -> tuple[str, int, str] | None:
    """(the text from `first`'s line to the line that closes its element, counting elements of
    its kind opened inside it; how many of `blocks` that text took; what follows on the last
    line), or None when the element is never closed."""
    opening, closing = re.compile(f"<{tag}\\b", re.IGNORECASE), re.compile(f"</{tag}\\s*>", re.IGNORECASE)
    depth, taken = 0, []
    for used, text in enumerate(blocks):
        lines = text.split("\n")
        for n, line in enumerate(lines):
            depth += len(opening.findall(line)) - len(closing.findall(line))
            if depth <= 0:
                end = list(closing.finditer(line))[-1].end() if closing.search(line) else len(line)
                taken.append("\n".join([*lines[:n], line[:end]]))
                return "\n\n".join(taken), used + 1, "\n".join([line[end:], *lines[n + 1:]]).strip("\n")
        taken.append(text)
    return None


def _take(tag: str, first: str, blocks: list[str]) -> str | None:
    """The element that opens with `first` (the first of `blocks`, perhaps stripped), taken off
    `blocks` with what follows it on its last line put back; None (and `blocks` as they were)
    when it is never closed."""
    found = _until_closed(tag, first, [first, *blocks[1:]])
    if found is None:
        return None
    raw, used, after = found
    del blocks[:used]
    if after.strip():
        blocks.insert(0, after)
    return raw


class NestedMarkdownDiv(BlockProcessor):
    """`<div class="verse" markdown="1">` ... `</div>` inside a block quote or a note.
    md_in_html sets aside raw HTML only at the top level of the text (its preprocessor sees
    lines, not the `> ` or the indent of a note), so inside a quotation or a note the div
    would be inline HTML in a paragraph; here it becomes the same <div> element, its text
    parsed as Markdown, that md_in_html makes of a div at the top level."""

    def test(self, parent: etree.Element, block: str) -> bool:
        first = block.split("\n", 1)[0].strip()
        return bool(_NESTED_DIV.fullmatch(first))

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        first = blocks[0].partition("\n")[0]
        kind, tag, attrs = read_tag(first.strip())
        if kind != "open" or tag != "div":
            return False
        raw = _take("div", blocks[0], blocks)
        if raw is None:
            return False  # never closed: left to the paragraph, which reports the stray tag
        inner = raw.partition("\n")[2]  # without the opening tag's line, and without the closing tag
        div = etree.SubElement(parent, "div", {k: v for k, v in attrs.items() if k != "markdown"})
        self.parser.parseChunk(div, "\n\n".join(t for t in inner[:inner.rfind("</")].split("\n\n") if t.strip()))
        return None


class NestedHtmlBlock(BlockProcessor):
    """A raw HTML block (`<table>` ... `</table>`) inside a note, a block quote or a list item:
    as NestedMarkdownDiv says, md_in_html sets raw HTML aside only at the top level, so there
    a table would be inline tags in a paragraph ("<table> cannot stand inside a paragraph").
    Here it is set aside in Python-Markdown's stash, in a paragraph of its own, as a block of
    raw HTML at the top level is, and the tree walker reads it under the same safe list."""

    def test(self, parent: etree.Element, block: str) -> bool:
        first = block.split("\n", 1)[0].strip()
        return bool(_RAW_BLOCK.match(first)) and not _NESTED_DIV.match(first)

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        first = blocks[0].lstrip()
        tag = _RAW_BLOCK.match(first).group(1).lower()
        raw = _take(tag, first, blocks)
        if raw is None:
            return False  # never closed: left to the paragraph, which reports the stray tag
        etree.SubElement(parent, "p").text = self.parser.md.htmlStash.store(raw)
        return None

"""Markdown text -> model blocks. The only module that imports `markdown`.

Python-Markdown's ElementTree is walked read-only after all its tree
processors ran. What it leaves behind that is not content (placeholders for
raw HTML, a literal `[^x]` it could not resolve) becomes a diagnostic.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from typing import Callable

import markdown
from markdown.blockprocessors import BlockProcessor, ReferenceProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER, FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor

from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.locate import Locator
from pipeline.model import (
    Attrs, Block, BlockQuote, Code, CodeBlock, Div, Emph, Figure, Heading, Image, Inline, LineBreak,
    Link, ListBlock, Para, SceneBreak, Span, Strong, Text,
)
from pipeline.read.nesting import BLOCK_MESSAGE, NestingGuard, readable
from pipeline.read.parse_extensions import (
    END_TAG_MARK, REFERENCES, USE, WARN, BracketedSpan, CodeSpanEndTags, FenceAttributes, IndentedFences,
    NestedHtmlBlock, NestedMarkdownDiv, SeparateBlockQuotes,
)
from pipeline.read.parse_links import References
from pipeline.read.parse_links import book_references as book_definitions
from pipeline.read.parse_notes import NoteCalls
from pipeline.read.parse_raw import RawHtmlConverter, stand_in, with_attrs
from pipeline.read.rawhtml import INLINE_TAGS, allowed_attrs, check_tag, read_tag

# Given (src, alt, title, pos), the Image, or what stands in for a refused one.
ImageFn = Callable[[str, str, str, SourcePos], Inline]


def extensions() -> list[Extension]:
    """footnotes, attr_list, md_in_html, fenced_code, sane_lists and tables, as new instances:
    named by string, Python-Markdown looks each up among the installed packages' entry points,
    which took 50 ms of every process that parses."""
    return [FootnoteExtension(), AttrListExtension(), MarkdownInHtmlExtension(), FencedCodeExtension(),
            SaneListExtension(), TableExtension()]


_BLOCK_TAGS = {"p", "ul", "ol", "blockquote", "pre", "div", "table", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "figure"}
_AMP = markdown.util.AMP_SUBSTITUTE
_RAW = markdown.util.HTML_PLACEHOLDER_RE  # raw HTML that Python-Markdown set aside


class _Capture(Treeprocessor):
    """Keeps the tree as it is just before Python-Markdown undoes backslash escapes, so an
    escaped '\\[^1]' can be told from a call of an undefined note; _clean undoes them."""

    root: etree.Element | None = None

    def run(self, root: etree.Element) -> None:
        self.root = root


def _convert(md: markdown.Markdown, capture: _Capture, text: str, loc: Locator, diags: Collector) -> None:
    """Markdown.convert up to our capture of the tree: the tree processors after it (unescape),
    the serialisation to HTML and the postprocessors would be thrown away (a third of the time).
    Text nested past the limits (pipeline.read.nesting) is reported and not read."""
    if not text.strip() or not readable(text, loc, diags):
        return
    md.lines = text.split("\n")
    for prep in md.preprocessors:
        md.lines = prep.run(md.lines)
    try:
        root = md.parser.parseDocument(md.lines).getroot()
        for treeprocessor in md.treeprocessors:
            new_root = treeprocessor.run(root)
            if new_root is not None:
                root = new_root
            if treeprocessor is capture:
                return
    except RecursionError:  # nesting that readable() did not foresee: still a message, not a traceback
        capture.root = None
        diags.error(loc.pos_of(0), BLOCK_MESSAGE)


def _new_markdown(references: References | None = None) -> tuple[markdown.Markdown, _Capture]:
    md = markdown.Markdown(extensions=extensions())
    md.references.update(references or {})  # the book's; the chapter's own replace them as they are read
    for name, marked, pattern, priority in REFERENCES:
        md.inlinePatterns.register(marked(pattern, md), name, priority)
    md.ESCAPED_CHARS.extend(['"', "'"])  # as pandoc and Python-Markdown's smarty: \" is a straight quote
    # Before links (160), so [text]{...} is a span and not a failed reference link.
    # '[' not after '!': written '[' first, as a literal the regex engine scans for quickly (a
    # leading lookbehind is tried at every position of every text node: 25x slower).
    md.inlinePatterns.register(BracketedSpan(r"\[(?<!\!\[)([^\]\[^][^\]\[]*)\]\{([^}\n]*)\}", md), "bracketed-span", 165)
    # Above the paragraph (10), below indented code (80), so four spaces still make code.
    md.preprocessors.register(IndentedFences(md), "indented-fences", 27)  # before fenced code (25)
    md.preprocessors.register(FenceAttributes(md), "fence-attributes", 26)  # before fenced code (25)
    md.preprocessors.register(CodeSpanEndTags(md), "code-span-end-tags", 21)  # before raw HTML blocks (20)
    md.parser.blockprocessors.register(SeparateBlockQuotes(md.parser), "quote", 20)  # in place of Python-Markdown's
    md.parser.blockprocessors.register(NestedMarkdownDiv(md.parser), "nested-markdown-div", 75)
    md.parser.blockprocessors.register(NestedHtmlBlock(md.parser), "nested-html-block", 74)
    capture = _Capture(md)
    md.treeprocessors.register(capture, "pipeline-capture", 1)  # before "unescape" (0)
    return md, capture


def _attrs(el: etree.Element) -> Attrs:
    classes = tuple(c for c in (el.get("class") or "").split() if c)
    return Attrs(id=el.get("id", ""), classes=classes, lang=el.get("lang", ""))


_ESCAPED = re.compile("\x02(\\d+)\x03")  # a backslash-escaped character, as Python-Markdown keeps it


_TYPOGRAPHIC = frozenset("\"'-.")  # escaped, these keep their typewriter form


def _texts(raw: str) -> list[Inline]:
    """Text nodes for raw text; each escaped typographic character is a literal node of its own."""
    out: list[Inline] = []
    last = 0
    for m in _ESCAPED.finditer(raw):
        char = chr(int(m.group(1)))
        if char in _TYPOGRAPHIC:
            if m.start() > last:
                out.append(Text(_clean(raw[last : m.start()])))
            out.append(Text(char, literal=True))
            last = m.end()
    if last < len(raw):
        out.append(Text(_clean(raw[last:])))
    return out


def _clean(text: str) -> str:
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1))), text.replace(NBSP_PLACEHOLDER, "").replace(END_TAG_MARK, "<"))
    return html.unescape(text.replace(_AMP, "&")) if _AMP in text else text


def _plain(el: etree.Element) -> str:
    return _clean("".join(el.itertext()))


class _Walker(RawHtmlConverter, NoteCalls, NestingGuard):
    def __init__(self, locator: Locator, diags: Collector, image: ImageFn | None = None,
                 stash: list[str] | None = None) -> None:
        self.loc, self.diags = locator, diags
        self.image = image
        self.stash = stash or []
        self.raw = 0  # > 0 while converting raw HTML: the safe list applies
        self.start_notes(etree.Element("div"))  # parse_body starts them with the chapter's notes

    # -- inlines -----------------------------------------------------------

    def inlines(self, el: etree.Element) -> tuple[Inline, ...]:
        return self._inline_run(el.text, list(el))

    def _inline_run(self, text: str | None, children: list[etree.Element]) -> tuple[Inline, ...]:
        tokens: list[Inline | int] = []  # an int is a stashed raw HTML tag
        if text:
            tokens.extend(self._split(text))
        for child in children:
            if isinstance(child.tag, str):  # lxml gives comments a function as tag
                tokens.extend(self.inline_level(child, self.inline))
            if child.tail:
                tokens.extend(self._split(child.tail))
        return self.bounded(tuple(self._check_text(self._nest(tokens))))

    def _split(self, text: str) -> list[Inline | int]:
        # A literal '[^x]' left in the text (checked before unescaping, so '\\[^x]' is fine)
        # is a call of a note that has no definition; in raw HTML, which Python-Markdown does
        # not read (a table's cells), a call of a note that has one.
        tokens: list[Inline | int] = []
        for m in re.finditer(r"\[\^([^\]\s]*)\]", text):  # (a label with a space is no call: text, as in pandoc)
            if self.raw and m.group(1) in self.definitions:
                before, rest = text[:m.start()], text[m.end():]
                raw, self.raw = self.raw, 0  # the note's own text is Markdown
                try:
                    note = self.note_call_of(m.group(1))
                finally:
                    self.raw = raw
                return [*self._split(before), note, *self._split(rest)]
            self.undefined_note(m.group(1))
        parts = _RAW.split(text)
        self.saw_raw(parts)
        for i, p in enumerate(parts):
            if i % 2:
                tokens.append(int(p))
            elif p:
                tokens.extend(_texts(p))
        return tokens

    def inline(self, el: etree.Element) -> list[Inline]:
        tag = el.tag
        if tag == "sup" and len(el) == 1 and "footnote-ref" in (el[0].get("class") or ""):
            return [self.note_call(el[0])]
        use, warning = el.attrib.pop(USE, None), el.attrib.pop(WARN, None)
        if warning is not None:  # markup that is kept as the text it was written as
            self.diags.warning(self.loc.find(use or "", advance=False), warning)
            return list(self.inlines(el))
        self.written_attrs(el)
        if self.raw:
            pos = self.loc.find(f"<{tag}", advance=False)
            if not check_tag(tag, pos, self.diags):
                return stand_in(tag, el.attrib)
            if tag not in INLINE_TAGS:
                self.diags.error(pos, f"<{tag}> cannot stand inside a paragraph")
                return []
            kept = allowed_attrs(tag, dict(el.attrib), pos, self.diags)
            if tag == "br":
                return [LineBreak()]
            return [self._element(tag, kept, self.inlines(el), pos)]
        if tag in ("em", "i"):
            return [Emph(self.inlines(el), _attrs(el))]
        if tag in ("strong", "b"):
            return [Strong(self.inlines(el), _attrs(el))]
        if tag == "code":
            return [Code(self._code_text(el))]
        if tag == "a":  # (an e-mail autolink's address is in character references: _clean reads them)
            href = _clean(el.get("href", ""))
            return [Link(href, self.inlines(el), el.get("title", ""), self.loc.find(use or f"]({href}", advance=False))]
        if tag == "img":
            return [self.image_of(el, use)]
        if tag == "br":
            return [LineBreak()]
        if tag == "span":
            return [Span(_attrs(el), self.inlines(el))]
        self.diags.error(self.loc.find(_plain(el), advance=False), f"<{tag}> is not supported in running text")
        return list(self.inlines(el))

    def image_of(self, el: etree.Element, use: str | None = None) -> Inline:
        src = _clean(el.get("src", ""))
        pos = self.loc.find(use or el.attrib.pop(USE, None) or f"]({src}", advance=False)
        if self.image is None:
            self.diags.error(pos, "images are not allowed here")
            return Text(el.get("alt", ""))
        return self.image(src, _clean(el.get("alt", "")), _clean(el.get("title", "")), pos)

    def _code_text(self, el: etree.Element) -> str:
        """Python-Markdown keeps code HTML-escaped (&amp;); raw HTML read by lxml is not."""
        text = el.text or ""
        return text.replace(END_TAG_MARK, "<") if self.raw else html.unescape(_clean(text))

    # -- blocks ------------------------------------------------------------

    def blocks(self, el: etree.Element) -> tuple[Block, ...]:
        out: list[Block] = []
        for child in el:
            block = self.block(child)
            if block is not None:
                out.append(block)
        return tuple(out)

    def block(self, el: etree.Element) -> Block | None:
        tag = el.tag
        if not isinstance(tag, str):  # a comment in raw HTML
            return None
        if self.raw:
            pos = self.loc.find(f"<{tag}", advance=False)
            if not check_tag(tag, pos, self.diags):
                return None
            kept = allowed_attrs(tag, dict(el.attrib), pos, self.diags)
            el = with_attrs(el, kept)
        pos = self.loc.find_block(_plain(el)) if tag not in ("hr", "div") else self.loc.pos_of(self.loc.cursor)
        self.written_attrs(el)  # after find_block: the cursor is at this block, where its attributes are
        # (the last paragraph of a note ends in the space the footnote extension puts before its back link)
        if tag == "p" and len(el) == 0 and (raw := _RAW.fullmatch((el.text or "").replace(NBSP_PLACEHOLDER, "").strip())):
            return self.raw_block(int(raw.group(1)), pos)
        if tag == "table":
            return self.table(el, pos)
        if tag == "p":
            if len(el) == 1 and el[0].tag == "img" and not (el.text or "").strip() and not (el[0].tail or "").strip():
                image = self.image_of(el[0])
                if isinstance(image, Image):  # alone in its paragraph: a figure, captioned by its title
                    return Figure(image, (Text(image.title),) if image.title else (), pos)
                return Para((image,), pos)
            return Para(self.inlines(el), pos, _attrs(el))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return Heading(int(tag[1]), self.inlines(el), pos, _attrs(el))
        if tag == "blockquote":
            return self.contained(pos, lambda: BlockQuote(self.blocks(el), pos))
        if tag in ("ul", "ol"):
            items = self.contained(pos, lambda: tuple(self._list_item(li) for li in el if li.tag == "li"))
            return ListBlock(tag == "ol", items, pos, int(el.get("start", "1"))) if items is not None else None
        if tag == "pre":
            code = el[0] if len(el) else el
            if code is not el:  # a fenced block's `{ .py onclick=... }`, or raw HTML's <pre><code ...>
                self.written_attrs(code, in_raw=True)
            return CodeBlock(self._code_text(code), pos)
        if tag == "hr":
            return SceneBreak(pos)
        if tag == "div" and "footnote" in (el.get("class") or "").split():
            return None  # definitions were collected before the walk
        if tag == "div":
            return self.contained(pos, lambda: Div(_attrs(el), self._mixed(el), pos))
        self.diags.error(pos, f"<{tag}> is not supported here")
        return None

    def _mixed(self, el: etree.Element) -> tuple[Block, ...]:
        """Text and inline elements, then blocks: a tight list item with a sublist, or a div of
        raw HTML that starts with bare text. The leading run becomes a paragraph."""
        children = [c for c in el if isinstance(c.tag, str)]
        first = next((i for i, c in enumerate(children) if c.tag in _BLOCK_TAGS), len(children))
        head: tuple[Block, ...] = ()
        if (el.text or "").strip() or first:
            head = (Para(self._inline_run(el.text, children[:first]), self.loc.pos_of(self.loc.cursor)),)
        blocks = []
        for child in children[first:]:
            block = self.block(child)
            if block is not None:
                blocks.append(block)
            if (child.tail or "").strip():  # text between blocks of raw HTML
                blocks.append(Para(self._inline_run(child.tail, []), self.loc.pos_of(self.loc.cursor)))
        return head + tuple(blocks)

    def _list_item(self, li: etree.Element) -> tuple[Block, ...]:
        self.written_attrs(li)
        return self._mixed(li)


def book_references(bodies: list[str]) -> References:
    """parse_links.book_references, with Python-Markdown's own pattern of a definition."""
    return book_definitions(bodies, ReferenceProcessor.RE)


def parse_body(text: str, path: str, first_line: int, diags: Collector,
               image: ImageFn | None = None, references: References | None = None) -> tuple[Block, ...]:
    """Parse a chapter body; `first_line` is the file line the body starts on; `references`
    are the book's link reference definitions (book_references)."""
    md, capture = _new_markdown(references)
    loc = Locator(text, path, first_line)
    _convert(md, capture, text, loc, diags)
    if capture.root is None:  # blank text: Python-Markdown runs no tree processor
        return ()
    walker = _Walker(loc, diags, image, md.htmlStash.rawHtmlBlocks)
    walker.start_notes(capture.root)
    walker.check_labels(text)
    blocks = walker.blocks(capture.root)
    walker.uncalled()
    return blocks


def parse_inline(text: str, pos: SourcePos, diags: Collector) -> tuple[Inline, ...]:
    """Parse one line of Markdown (a metadata value) into inlines."""
    if not text:
        return ()
    md, capture = _new_markdown()
    loc = Locator(text, pos.path, pos.line, first_col=pos.col or 1)
    _convert(md, capture, text, loc, diags)
    if capture.root is None:
        return ()
    walker = _Walker(loc, diags, None, md.htmlStash.rawHtmlBlocks)
    paras = [el for el in capture.root if el.tag == "p"]
    return walker.inlines(paras[0]) if paras else (Text(text),)

"""Markdown text -> model blocks. The only module that imports `markdown`.

Python-Markdown's ElementTree is walked read-only after all its tree
processors ran. What it leaves behind that is not content (placeholders for
raw HTML, a literal `[^x]` it could not resolve) becomes a diagnostic.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections import Counter
from typing import Callable

import markdown
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER, FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from pipeline.diagnostics import Collector, SourcePos
from pipeline.locate import Locator
from pipeline.model import (
    Attrs, Block, BlockQuote, Code, CodeBlock, Div, Emph, Figure, Heading, Image, Inline, LineBreak,
    Link, ListBlock, Note, Para, SceneBreak, Span, Strong, Text,
)
from pipeline.nesting import BLOCK_MESSAGE, NestingGuard, readable
from pipeline.parse_raw import RawHtmlConverter, with_attrs
from pipeline.rawhtml import INLINE_TAGS, allowed_attrs, check_tag

# Given (src, alt, title, pos), the Image, or what stands in for a refused one.
ImageFn = Callable[[str, str, str, SourcePos], Inline]


def extensions() -> list[Extension]:
    """footnotes, attr_list, md_in_html, fenced_code, sane_lists and tables, as new instances:
    named by string, Python-Markdown looks each up among the installed packages' entry points,
    which took 50 ms of every process that parses."""
    return [FootnoteExtension(), AttrListExtension(), MarkdownInHtmlExtension(), FencedCodeExtension(),
            SaneListExtension(), TableExtension()]


_STRAY = re.compile("[\x02\x03]")
_BLOCK_TAGS = {"p", "ul", "ol", "blockquote", "pre", "div", "table", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "figure"}
_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]]*)\]:", re.MULTILINE)
_AMP = markdown.util.AMP_SUBSTITUTE
_RAW = markdown.util.HTML_PLACEHOLDER_RE  # raw HTML that Python-Markdown set aside


class _BracketedSpan(InlineProcessor):
    """pandoc's bracketed span: [text]{.smallcaps lang=la #id} becomes <span>."""

    ATTR = re.compile(r"""([#.])([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|\S+)""")

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]
        el = etree.Element("span")
        el.text = m.group(1)
        classes = []
        for sigil, name, key, value in self.ATTR.findall(m.group(2)):
            if sigil == "#":
                el.set("id", name)
            elif sigil == ".":
                classes.append(name)
            elif key:
                el.set(key, value.strip("\"'"))
        if classes:
            el.set("class", " ".join(classes))
        return el, m.start(0), m.end(0)


class _Capture(Treeprocessor):
    """Keeps the tree as it is just before Python-Markdown undoes backslash escapes, so an
    escaped '\\[^1]' can be told from a call of an undefined note; _clean undoes them."""

    root: etree.Element | None = None

    def run(self, root: etree.Element) -> None:
        self.root = root


def _convert(md: markdown.Markdown, capture: _Capture, text: str, loc: Locator, diags: Collector) -> None:
    """Markdown.convert up to our capture of the tree: the tree processors after it (unescape),
    the serialisation to HTML and the postprocessors would be thrown away (a third of the time).
    Text nested past the limits (pipeline.nesting) is reported and not read."""
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


def _new_markdown() -> tuple[markdown.Markdown, _Capture]:
    md = markdown.Markdown(extensions=extensions())
    md.ESCAPED_CHARS.extend(['"', "'"])  # as pandoc and Python-Markdown's smarty: \" is a straight quote
    # Before links (160), so [text]{...} is a span and not a failed reference link.
    # '[' not after '!': written '[' first, as a literal the regex engine scans for quickly (a
    # leading lookbehind is tried at every position of every text node: 25x slower).
    md.inlinePatterns.register(_BracketedSpan(r"\[(?<!\!\[)([^\]\[^][^\]\[]*)\]\{([^}\n]*)\}", md), "bracketed-span", 165)
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
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1))), text.replace(NBSP_PLACEHOLDER, ""))
    return html.unescape(text.replace(_AMP, "&")) if _AMP in text else text


def _plain(el: etree.Element) -> str:
    return _clean("".join(el.itertext()))


class _Walker(RawHtmlConverter, NestingGuard):
    def __init__(self, locator: Locator, diags: Collector, image: ImageFn | None = None,
                 stash: list[str] | None = None) -> None:
        self.loc, self.diags = locator, diags
        self.image = image
        self.stash = stash or []
        self.raw = 0  # > 0 while converting raw HTML: the safe list applies
        self.definitions: dict[str, etree.Element] = {}
        self.called: Counter[str] = Counter()

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
        # is a call of a note that has no definition.
        for m in re.finditer(r"\[\^([^\]]*)\]", text):
            pos = self.loc.find(f"[^{m.group(1)}]", advance=False)
            self.diags.error(pos, f"footnote [^{m.group(1)}] has no definition; add a line '[^{m.group(1)}]: text of the note'")
        parts = _RAW.split(text)
        self.saw_raw(parts)
        tokens: list[Inline | int] = []
        for i, p in enumerate(parts):
            if i % 2:
                tokens.append(int(p))
            elif p:
                tokens.extend(_texts(p))
        return tokens

    def _check_text(self, items: list[Inline]) -> list[Inline]:
        for item in items:
            if isinstance(item, Text) and _STRAY.search(item.text):
                m = _STRAY.search(item.text)
                self.diags.error(self.loc.find(item.text[: m.start()][-30:], advance=False),
                                 "raw HTML here is not supported; write it in Markdown")
        return items

    def inline(self, el: etree.Element) -> list[Inline]:
        tag = el.tag
        if tag == "sup" and len(el) == 1 and "footnote-ref" in (el[0].get("class") or ""):
            return [self.note_call(el[0])]
        self.written_attrs(el)
        if self.raw:
            pos = self.loc.find(f"<{tag}", advance=False)
            if not check_tag(tag, pos, self.diags):
                return []
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
        if tag == "a":
            pos = self.loc.find(f"]({el.get('href', '')}", advance=False)
            return [Link(el.get("href", ""), self.inlines(el), el.get("title", ""), pos)]
        if tag == "img":
            return [self.image_of(el)]
        if tag == "br":
            return [LineBreak()]
        if tag == "span":
            return [Span(_attrs(el), self.inlines(el))]
        self.diags.error(self.loc.find(_plain(el), advance=False), f"<{tag}> is not supported in running text")
        return list(self.inlines(el))

    def image_of(self, el: etree.Element) -> Inline:
        src = el.get("src", "")
        pos = self.loc.find(f"]({src}", advance=False)
        if self.image is None:
            self.diags.error(pos, "images are not allowed here")
            return Text(el.get("alt", ""))
        return self.image(src, _clean(el.get("alt", "")), _clean(el.get("title", "")), pos)

    def _code_text(self, el: etree.Element) -> str:
        """Python-Markdown keeps code HTML-escaped (&amp;); raw HTML read by lxml is not."""
        text = el.text or ""
        return text if self.raw else html.unescape(_clean(text))

    def note_call(self, a: etree.Element) -> Note:
        label = a.get("href", "").split(":", 1)[-1]
        self.called[label] += 1
        pos = self.loc.find(f"[^{label}]")
        definition = self.definitions.get(label)
        blocks = self.note_text(label, pos, lambda: self.blocks(definition)) if definition is not None else ()
        return Note(label=label, blocks=blocks, pos=pos)

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
        if tag == "p" and len(el) == 0 and _RAW.fullmatch((el.text or "").strip()):
            return self.raw_block(int(_RAW.fullmatch(el.text.strip()).group(1)), pos)
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


def _collect_definitions(root: etree.Element) -> dict[str, etree.Element]:
    found: dict[str, etree.Element] = {}
    for div in root.iter("div"):
        if "footnote" not in (div.get("class") or "").split():
            continue
        for li in div.iter("li"):
            label = li.get("id", "").split(":", 1)[-1]
            for a in list(li.iter("a")):
                if "footnote-backref" in (a.get("class") or ""):
                    for parent in li.iter():
                        if a in list(parent):
                            parent.remove(a)
            found[label] = li
    return found


def parse_body(text: str, path: str, first_line: int, diags: Collector,
               image: ImageFn | None = None) -> tuple[Block, ...]:
    """Parse a chapter body; `first_line` is the file line the body starts on."""
    md, capture = _new_markdown()
    loc = Locator(text, path, first_line)
    _convert(md, capture, text, loc, diags)
    if capture.root is None:  # blank text: Python-Markdown runs no tree processor
        return ()
    walker = _Walker(loc, diags, image, md.htmlStash.rawHtmlBlocks)
    walker.definitions = _collect_definitions(capture.root)

    defined = Counter(m.group(1) for m in _DEFINITION.finditer(text))
    for label, count in defined.items():
        if count > 1:
            diags.error(loc.find(f"[^{label}]:", advance=False), f"footnote [^{label}] is defined {count} times; keep one definition")
    blocks = walker.blocks(capture.root)
    for label in walker.definitions:
        if label not in walker.called and not walker.told:  # (past a limit, notes go uncalled)
            diags.warning(loc.find(f"[^{label}]:", advance=False), f"footnote [^{label}] is defined but never called")
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

"""Raw HTML and tables -> model, under the safe list of pipeline.read.rawhtml.

A mixin of the parser's tree walker: Python-Markdown sets raw HTML aside
(blocks whole, inline tags one by one); this turns it back into model nodes.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import replace
from typing import Any, Mapping

from pipeline.diagnostics import Collector, SourcePos
from pipeline.model import (
    Attrs, Block, Cell, Code, Div, Emph, Image, Inline, LineBreak, Link, Para, Phrase, Span, Strong, Table, Text,
)
from pipeline.read.rawhtml import (
    COMMON_ATTRS, INLINE_TAGS, SAFE_TAGS, TAG_ATTRS, VOID_TAGS, allowed_attrs, check_tag, read_tag,
)
from pipeline.walk import iter_inlines, plain_text


_STRAY = re.compile("[\x02\x03]")
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|\w+);")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
# In a raw HTML block: comments (left out, as documented), CDATA and processing instructions.
_MARKED = re.compile(r"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<\?[^>]*>", re.S)
_MARKDOWN_OWN = {"img": {"src", "alt", "title"}}  # what Markdown itself writes, beyond raw HTML's list
_CDATA_KEPT = "a CDATA section: its text is kept as plain text (write it without <![CDATA[ and ]]>)"


def _empty(cell: Cell) -> bool:
    """Neither text nor picture."""
    return not plain_text(cell.inlines).strip() and not any(isinstance(i, Image) for i in iter_inlines(cell.inlines))


class RawHtmlConverter:
    """Needs from the walker: stash, loc, diags, raw, inlines(), inline(), block()."""

    stash: list[str]
    loc: Any
    diags: Collector
    raw: int

    def stashed(self, index: int) -> str:
        """The raw HTML Python-Markdown set aside under `index` ("" for a placeholder of nothing)."""
        return self.stash[index] if index < len(self.stash) else ""

    def inlines(self, el: etree.Element) -> tuple[Inline, ...]:
        raise NotImplementedError

    def inline(self, el: etree.Element) -> list[Inline]:
        raise NotImplementedError

    def block(self, el: etree.Element) -> Block | None:
        raise NotImplementedError

    def _nest(self, tokens: list[Inline | int]) -> list[Inline]:
        """Inline raw HTML arrives as separate opening and closing tags: pair them into elements.
        A removed element (<script>...</script>) is a frame named '!script' that takes all up to
        its closing tag and is then thrown away."""
        stack: list[tuple[str, dict[str, str], list[Inline], SourcePos]] = [("", {}, [], SourcePos(""))]
        block_told = False
        for at_token, token in enumerate(tokens):
            if stack[-1][0].startswith("!"):
                if isinstance(token, int) and read_tag(self.stashed(token))[:2] == (
                        "close", stack[-1][0][1:]):
                    stack.pop()
                continue
            if not isinstance(token, int):
                stack[-1][2].append(token)
                continue
            raw = self.stashed(token)
            if _ENTITY.fullmatch(raw.strip()):  # a character reference, set aside like a tag
                stack[-1][2].append(Text(html.unescape(raw)))
                continue
            cdata = _CDATA.fullmatch(raw.strip())
            if cdata:
                self.diags.warning(self.loc.find(raw, advance=False), _CDATA_KEPT)
                stack[-1][2].append(Text(cdata.group(1)))
                continue
            kind, tag, attrs = read_tag(raw)
            pos = self.loc.find(raw, advance=False)
            if kind == "comment":
                continue
            if kind == "other":
                self.diags.error(pos, f"raw HTML '{raw[:40]}' is not understood here")
                continue
            if kind != "close" and not check_tag(tag, pos, self.diags):
                stack[-1][2].extend(stand_in(tag, attrs))
                if kind == "open" and tag not in VOID_TAGS:
                    stack.append((f"!{tag}", {}, [], pos))
                continue
            if kind == "close" and tag not in SAFE_TAGS:
                continue  # the end of an element refused at its start: reported there
            if tag not in INLINE_TAGS:
                if not block_told:  # the tags of one table or list in a paragraph: one problem
                    block_told = True
                    closed = kind != "open" or any(
                        isinstance(t, int) and read_tag(self.stashed(t))[:2] == ("close", tag)
                        for t in tokens[at_token + 1:])
                    self.diags.error(pos, f"<{tag}> cannot stand inside a paragraph; put it on lines of its own" if closed
                                     else f"<{tag}> is never closed: end it with </{tag}> on a line of its own "
                                          "(its text is read as a paragraph until then)")
            elif kind == "void" or tag == "br":
                if kind != "close":
                    stack[-1][2].append(LineBreak())
            elif kind == "open":
                stack.append((tag, allowed_attrs(tag, attrs, pos, self.diags), [], pos))
            elif len(stack) > 1 and stack[-1][0] == tag:
                name, kept, kids, at = stack.pop()
                stack[-1][2].append(self._element(name, kept, tuple(kids), at))
            else:
                self.diags.error(pos, f"</{tag}> closes no open <{tag}>")
        while len(stack) > 1:
            name, _, kids, at = stack.pop()
            if name.startswith("!"):  # removed to the end of the text (and reported)
                continue
            self.diags.error(at, f"<{name}> is never closed")
            stack[-1][2].extend(kids)
        return stack[0][2]

    def _check_text(self, items: list[Inline]) -> list[Inline]:
        """Placeholders of raw HTML that Python-Markdown left where it could not set it aside."""
        for item in items:
            if isinstance(item, Text) and (m := _STRAY.search(item.text)):
                self.diags.error(self.loc.find(item.text[: m.start()][-30:], advance=False),
                                 "raw HTML here is not supported; write it in Markdown")
        return items

    def _element(self, tag: str, kept: dict[str, str], kids: tuple[Inline, ...], pos: SourcePos) -> Inline:
        at = Attrs(kept.get("id", ""), tuple(kept.get("class", "").split()), kept.get("lang", ""))
        if tag in ("em", "i"):
            return Emph(kids, at)
        if tag in ("strong", "b"):
            return Strong(kids, at)
        if tag == "code":
            return Code("".join(k.text for k in kids if isinstance(k, Text)))
        if tag == "a" and kept.get("href"):
            return Link(kept["href"], kids, kept.get("title", ""), pos)
        if tag in ("sup", "sub", "small", "abbr"):
            return Phrase(tag, kids, kept.get("title", ""))
        return Span(at, kids)

    def raw_block(self, index: int, pos: SourcePos) -> Block | None:
        """A block of raw HTML: parsed, then converted under the safe list."""
        raw = self.stashed(index)
        pos = self.loc.find(raw.strip()[:40], advance=False)
        self.loc.cursor = max(self.loc.cursor, self.loc.source.find(raw.strip()[:40]))
        raw = self._unmark(raw)
        if not raw.strip():
            return None
        import lxml.html  # here: most chapters have no raw HTML block, and lxml.html takes 20 ms to import

        try:
            elements = lxml.html.fragments_fromstring(raw)
        except (ValueError, lxml.etree.ParserError):
            self.diags.error(pos, "raw HTML that cannot be read")
            return None
        self.raw += 1
        try:
            blocks: list[Block] = []
            for item in elements:
                if isinstance(item, str):
                    if item.strip():
                        blocks.append(Para((Text(item.strip()),), pos))
                elif isinstance(item.tag, str) and item.tag in INLINE_TAGS:
                    blocks.append(Para(tuple(self.inline(item)), pos))
                else:
                    block = self.block(item)
                    if block is not None:
                        blocks.append(block)
        finally:
            self.raw -= 1
        if len(blocks) == 1:
            return blocks[0]
        return Div(Attrs(), tuple(blocks), pos) if blocks else None

    def written_attrs(self, el: etree.Element, in_raw: bool = False) -> None:
        """Attributes from an attribute list (`{: style=...}`) or a `<div markdown="1" ...>` are
        held to raw HTML's rules (handlers and unsafe URLs are errors, the rest dropped with a
        warning): Python-Markdown puts any of them on the element, and only id, class and lang
        are kept. Raw HTML itself was checked when it was read (but for a <pre>'s <code>)."""
        if (self.raw and not in_raw) or not el.attrib:
            return
        own = COMMON_ATTRS | TAG_ATTRS.get(el.tag, set()) | _MARKDOWN_OWN.get(el.tag, set())
        extra = {name: value for name, value in el.attrib.items() if name not in own}
        if not extra:
            return
        needle, source, at = f"{next(iter(extra))}=", self.loc.source, -1
        if el.tag == "div":  # the cursor stays before a <div markdown="1">: look from its tag on
            at = source.find(needle, max(source.find("<div", self.loc.cursor), self.loc.cursor))
        pos = self.loc.pos_of(at) if at >= 0 else self.loc.find(needle, advance=False)
        allowed_attrs(el.tag, extra, pos, self.diags)

    def _unmark(self, raw: str) -> str:
        """lxml reads CDATA and processing instructions as comments, which are left out without a
        word: a CDATA section keeps its text instead, and a processing instruction is an error, as
        either is in running text."""
        def one(m: re.Match[str]) -> str:
            found = m.group(0)
            if found.startswith("<!--"):
                return found
            pos = self.loc.find(found, advance=False)
            if found.startswith("<?"):
                self.diags.error(pos, f"raw HTML '{found[:40]}' is not understood here")
                return ""
            self.diags.warning(pos, _CDATA_KEPT)
            return html.escape(m.group(1), quote=False)

        return _MARKED.sub(one, raw) if "<!" in raw or "<?" in raw else raw

    def table(self, el: etree.Element, pos: SourcePos) -> Table:
        head: list[tuple[Cell, ...]] = []
        body: list[tuple[Cell, ...]] = []
        caption: tuple[Inline, ...] = ()

        def row(tr: etree.Element) -> tuple[Cell, ...]:
            cells = []
            for td in tr:
                if td.tag not in ("td", "th"):
                    continue
                kept = allowed_attrs(td.tag, dict(td.attrib), pos, self.diags)
                paras = [self.inlines(p) for p in td if p.tag == "p"]
                inlines = self.inlines(td) if not paras else tuple(
                    i for k, p in enumerate(paras) for i in ((LineBreak(),) if k else ()) + p)
                span = lambda name: int(kept[name]) if kept.get(name, "").isdigit() else 1  # noqa: E731
                cells.append(Cell(inlines, td.tag == "th", span("colspan"), span("rowspan"), kept.get("align", "")))
            return tuple(cells)

        self._stray_table_text(el, pos)
        for part in el:
            if part.tag == "caption":
                caption = self.inlines(part)
            elif part.tag == "thead":
                head += [row(tr) for tr in part if tr.tag == "tr"]
            elif part.tag in ("tbody", "tfoot"):
                body += [row(tr) for tr in part if tr.tag == "tr"]
            elif part.tag == "tr":
                body.append(row(part))
        # A header row of empty cells is a table without a header (pandoc's headerless pipe table,
        # `|   |   |` over `|---|---|`): empty headers tell a screen reader nothing.
        # An empty header cell elsewhere (the corner of a table with row heads) is a plain cell.
        head = [tuple(replace(c, header=False) if _empty(c) else c for c in r) for r in head if not all(map(_empty, r))]
        return Table(tuple(head), tuple(body), caption, pos)

    def _stray_table_text(self, el: etree.Element, pos: SourcePos) -> None:
        """Text in a table but in none of its cells (or its caption) has no place in a table and
        would be lost: most often a <table> never closed, whose block took the text after it."""
        def text_of(x: etree.Element) -> str:
            return "".join(x.itertext()) if isinstance(x.tag, str) else ""  # not a comment's

        stray = [el.text or ""]
        for part in el:
            stray.append(part.tail or "")
            if part.tag in ("thead", "tbody", "tfoot"):
                stray += [part.text or ""] + [tr.tail or "" for tr in part]
                stray += [text_of(x) for x in part if x.tag != "tr"]
                rows = [tr for tr in part if tr.tag == "tr"]
            else:
                rows = [part] if part.tag == "tr" else []
                if part.tag not in ("tr", "caption", "colgroup", "col"):
                    stray.append(text_of(part))
            for tr in rows:
                stray += [tr.text or ""] + [td.tail or "" for td in tr]
                stray += [text_of(td) for td in tr if td.tag not in ("td", "th")]
        words = " ".join(" ".join(stray).split())
        if words:
            at = self.loc.find(words.split()[0], advance=False)
            self.diags.error(at if at.line else pos,
                             f"text inside a <table> but in none of its cells would be lost ('{words[:60]}'): "
                             "put it in a cell, or end the table with </table> before it")


def stand_in(tag: str, attrs: Mapping[str, str]) -> list[Inline]:
    """What is left of an element removed from the text: a picture's alt text, set as a remote
    picture's is (pipeline.read.resources)."""
    return [Span(Attrs(classes=("missing-image",)), (Text(attrs["alt"]),))] if tag == "img" and attrs.get("alt") else []


def with_attrs(el: etree.Element, kept: dict[str, str]) -> etree.Element:
    """Drop the attributes the safe list refused before the element is converted."""
    for name in list(el.attrib):
        if name not in kept:
            del el.attrib[name]
    return el



"""A Python-Markdown block processor for Markdown-in-HTML divs inside block quotes and notes.

Part of the Markdown reading that parse.py sets up (one of the two modules that import
markdown, split from parse.py by the job: this one extends the parser, parse.py turns its tree
into the model).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor

from pipeline.rawhtml import read_tag

_NESTED_DIV = re.compile(r"""<div\b[^>]*\bmarkdown\s*=\s*["']?(?:1|block)["']?[^>]*>""")
_DIV_OPEN = re.compile(r"<div\b", re.IGNORECASE)
_DIV_CLOSE = re.compile(r"</div\s*>", re.IGNORECASE)


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
        first, _, rest = blocks[0].partition("\n")
        kind, tag, attrs = read_tag(first.strip())
        if kind != "open" or tag != "div":
            return False
        # the blocks up to the line that closes the div, counting divs opened inside it
        inner: list[str] = []
        depth, texts = 1, [rest, *blocks[1:]]
        for used, text in enumerate(texts):
            lines = text.split("\n")
            for n, line in enumerate(lines):
                depth += len(_DIV_OPEN.findall(line)) - len(_DIV_CLOSE.findall(line))
                if depth <= 0:
                    before = _DIV_CLOSE.split(line)
                    head = "\n".join([*lines[:n], "</div>".join(before[:-1]) if len(before) > 1 else ""])
                    after = "\n".join([before[-1], *lines[n + 1:]]).strip("\n")
                    inner.append(head)
                    del blocks[: used + 1]
                    if after.strip():
                        blocks.insert(0, after)
                    div = etree.SubElement(parent, "div", {k: v for k, v in attrs.items() if k != "markdown"})
                    self.parser.parseChunk(div, "\n\n".join(t for t in inner if t.strip()))
                    return None
            inner.append(text)
        return False  # never closed: left to the paragraph, which reports the stray tag

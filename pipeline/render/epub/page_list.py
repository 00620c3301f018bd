"""The print edition's page numbers in the EPUB: page break markers in the text and the page-list nav.

The markers go where pipeline.pagemap says each page begins, counted over the
chapter's XHTML as the print layout counted its text boxes: note asides and note
calls are skipped, as print sets them apart. A marker never splits a word: a page
that begins inside a word (hyphenated across the page turn) is marked before it,
so a screen reader reads the word whole; nor does it stand inside a heading, whose
name it would join.
"""

from __future__ import annotations

import re

from pipeline.pagemap import PageBreak, PageMap, counts
from pipeline.render.html import a, t

# Our own markup: tags, character references, and single characters. Attribute values are
# escaped (quote=True), so a '>' never appears inside a tag.
_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]", re.S)
_HEADING = re.compile(r"<h[1-6][\s>]")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'", "&nbsp;": "\u00a0"}


def _skipped(tag: str) -> bool:
    """Note text and note calls, which print sets apart from the running text."""
    return tag.startswith("<aside") or 'epub:type="noteref"' in tag


def _char(token: str) -> str:
    if not token.startswith("&"):
        return token
    if token.startswith("&#x"):
        return chr(int(token[3:-1], 16))
    if token.startswith("&#"):
        return chr(int(token[2:-1]))
    return _ENTITIES.get(token, "x")


def marker(label: str) -> str:
    return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{a(label)}" '
            f'aria-label="{a(label)}"></span>')


def _counted_positions(tokens: list[str]) -> list[int]:
    """Token index of each counted character of the running text."""
    positions: list[int] = []
    skip_depth, stack = 0, []  # open elements, and how many of them are skipped
    for i, tok in enumerate(tokens):
        if tok.startswith("</"):
            if stack and stack.pop():
                skip_depth -= 1
        elif tok.startswith("<"):
            if not tok.endswith("/>") and not tok.startswith(("<!", "<?")):
                skipped = _skipped(tok)
                stack.append(skipped)
                skip_depth += skipped
        elif not skip_depth and counts(_char(tok)):
            positions.append(i)
    return positions


def counted_text(markup: str) -> int:
    """Counted characters of the markup's running text (as the print layout counts its own)."""
    return len(_counted_positions(_TOKEN.findall(markup)))


def regions_that_differ(print_pages: PageMap, markup: dict[str, str]) -> list[str]:
    """Regions whose running text the print layout counted differently from the EPUB's markup
    (region -> markup): their markers would stand in the wrong places."""
    laid_out = dict(print_pages.lengths)
    return [region for region, text in markup.items() if laid_out.get(region, 0) != counted_text(text)]


def insert_page_breaks(markup: str, breaks: list[PageBreak]) -> str:
    """The markup with a page break marker before the counted character of each break's offset
    (moved back to the start of its word); a break past the end goes after the last character."""
    if not breaks:
        return markup
    tokens = _TOKEN.findall(markup)
    assert "".join(tokens) == markup
    positions = _counted_positions(tokens)
    insert_at: dict[int, list[str]] = {}
    for brk in breaks:
        if brk.offset < len(positions):
            at = positions[brk.offset]
            while at > 0 and not tokens[at - 1].startswith("<") and not _char(tokens[at - 1]).isspace():
                at -= 1  # back to the start of the word
            k = at  # and out of a heading it opens, so the page number is not read as part of its name
            while k > 0 and tokens[k - 1].startswith("<") and not tokens[k - 1].startswith("</") \
                    and not tokens[k - 1].endswith("/>"):
                k -= 1
                if _HEADING.match(tokens[k]):
                    at = k
        else:
            at = (positions[-1] + 1) if positions else len(tokens)
        insert_at.setdefault(at, []).append(marker(brk.label))
    return "".join("".join(insert_at.get(i, [])) + tok for i, tok in enumerate(tokens)) + "".join(insert_at.get(len(tokens), []))


def page_list_nav(pages: PageMap, file_of_region: dict[str, str]) -> str:
    """The page-list nav (hidden: reading systems offer it as 'go to page')."""
    items = "".join(f'<li><a href="{a(file_of_region[b.region])}#page-{a(b.label)}">{t(b.label)}</a></li>\n'
                    for b in pages.breaks)
    return (f'<nav id="page-list" epub:type="page-list" role="doc-pagelist" aria-label="Pages of the print edition" '
            f'hidden="hidden">\n<h2>Pages</h2>\n<ol>\n{items}</ol>\n</nav>')

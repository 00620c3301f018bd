"""Raw HTML in a manuscript: a documented safe list, everything else refused.

Elements that can run code or pull in other documents never reach an output: they are removed,
with what they hold, and a warning at their line (an error under --strict), so that a pasted
web page still makes a book and the editor a list of what was left out. So are event-handler
attributes and javascript:, file:, data: or vbscript: URLs. Other attributes outside the list
are dropped with a warning. Other elements outside the list are errors.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pipeline.diagnostics import Collector, SourcePos

BLOCK_TAGS = {"div", "p", "blockquote", "hr", "pre", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
              "h1", "h2", "h3", "h4", "h5", "h6",
              "ul", "ol", "li"}
INLINE_TAGS = {"span", "sup", "sub", "abbr", "small", "br", "em", "i", "strong", "b", "a", "code"}
SAFE_TAGS = BLOCK_TAGS | INLINE_TAGS
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "link", "meta", "base", "form", "input",
                  "button", "textarea", "select", "frame", "frameset", "applet", "svg", "math", "template",
                  "audio", "video", "source", "img"}
COMMON_ATTRS = {"class", "id", "lang"}
TAG_ATTRS = {"abbr": {"title"}, "th": {"colspan", "rowspan", "align"}, "td": {"colspan", "rowspan", "align"},
             "a": {"href", "title"}, "ol": {"start"}}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
             "track", "wbr"}  # no closing tag: nothing inside them to remove
_UNSAFE_URL = re.compile(r"^(javascript|file|data|vbscript):", re.IGNORECASE)
_SKIPPED = str.maketrans("", "", "\t\n\r")  # what a browser skips anywhere in a URL (java\tscript: runs)
_LEADING = "".join(map(chr, range(0x21)))  # and before it: controls and spaces
UNSAFE_SCHEMES = "javascript:, vbscript:, file: and data:"


def unsafe_url(url: str) -> bool:
    """A URL that could run code or reach the reader's own files."""
    return bool(_UNSAFE_URL.match(url.translate(_SKIPPED).lstrip(_LEADING)))
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")


def allowed_attrs(tag: str, attrs: dict[str, str], pos: SourcePos, diags: Collector) -> dict[str, str]:
    """The attributes kept for an element; reports what is refused or dropped."""
    kept: dict[str, str] = {}
    for name, value in attrs.items():
        name = name.lower()
        if name.startswith("on"):
            diags.warning(pos, f"<{tag} {name}=...>: event-handler attribute removed (it would run code)")
        elif unsafe_url(value or ""):
            diags.warning(pos, f"<{tag} {name}=\"{(value or '')[:30]}\">: attribute removed ({UNSAFE_SCHEMES} "
                               "URLs could run code or reach the reader's files)")
        elif name == "style" and tag in ("th", "td") and _ALIGN.search(value or ""):
            kept["align"] = _ALIGN.search(value).group(1)  # what Markdown's pipe tables write
        elif name in COMMON_ATTRS or name in TAG_ATTRS.get(tag, set()):
            kept[name] = value or ""
        else:
            diags.warning(pos, f"<{tag} {name}=...>: attribute dropped (allowed: {', '.join(sorted(COMMON_ATTRS | TAG_ATTRS.get(tag, set())))})")
    return kept


def check_tag(tag: str, pos: SourcePos, diags: Collector) -> bool:
    """True if the element may be converted; reports it otherwise (removed, or an error)."""
    if tag in SAFE_TAGS:
        return True
    if tag == "img":
        diags.warning(pos, "<img> removed (its alt text stands in): write pictures as ![alt](file), with a file "
                           "in the manuscript folder")
    elif tag in DANGEROUS_TAGS:
        diags.warning(pos, f"<{tag}> removed, with all it holds: it could run code or load other pages")
    else:
        diags.error(pos, f"<{tag}> is not in the safe list of HTML elements ({', '.join(sorted(SAFE_TAGS))})")
    return False


class _TagReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(("open", tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(("void", tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("close", tag, {}))

    def handle_comment(self, data: str) -> None:
        self.tags.append(("comment", "", {}))


def read_tag(raw: str) -> tuple[str, str, dict[str, str]]:
    """One inline tag as Python-Markdown stashed it: ('open'|'close'|'void'|'comment'|'other', tag, attrs)."""
    reader = _TagReader()
    reader.feed(raw)
    reader.close()
    if len(reader.tags) != 1:
        return ("other", "", {})
    kind, tag, attrs = reader.tags[0]
    return ("void" if tag in ("br", "hr") else kind, tag, attrs)

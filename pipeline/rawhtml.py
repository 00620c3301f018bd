"""Raw HTML in a manuscript: a documented safe list, everything else refused.

Elements that can run code or pull in other documents are errors and never
reach an output; so are event-handler attributes and javascript:, file:,
data: or vbscript: URLs. Other attributes outside the list are dropped with a
warning. Elements outside the list are errors.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pipeline.diagnostics import Collector, SourcePos

BLOCK_TAGS = {"div", "p", "blockquote", "hr", "pre", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
              "ul", "ol", "li"}
INLINE_TAGS = {"span", "sup", "sub", "abbr", "small", "br", "em", "i", "strong", "b", "a", "code"}
SAFE_TAGS = BLOCK_TAGS | INLINE_TAGS
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "link", "meta", "base", "form", "input",
                  "button", "textarea", "select", "frame", "frameset", "applet", "svg", "math", "template",
                  "audio", "video", "source", "img"}
COMMON_ATTRS = {"class", "id", "lang"}
TAG_ATTRS = {"abbr": {"title"}, "th": {"colspan", "rowspan", "align"}, "td": {"colspan", "rowspan", "align"},
             "a": {"href", "title"}, "ol": {"start"}}
UNSAFE_URL = re.compile(r"^\s*(javascript|file|data|vbscript):", re.IGNORECASE)
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")


def allowed_attrs(tag: str, attrs: dict[str, str], pos: SourcePos, diags: Collector) -> dict[str, str]:
    """The attributes kept for an element; reports what is refused or dropped."""
    kept: dict[str, str] = {}
    for name, value in attrs.items():
        name = name.lower()
        if name.startswith("on"):
            diags.error(pos, f"<{tag} {name}=...>: event-handler attributes are not allowed")
        elif UNSAFE_URL.match(value or ""):
            diags.error(pos, f"<{tag} {name}=\"{(value or '')[:30]}\">: javascript:, file:, data: and vbscript: URLs are not allowed")
        elif name == "style" and tag in ("th", "td") and _ALIGN.search(value or ""):
            kept["align"] = _ALIGN.search(value).group(1)  # what Markdown's pipe tables write
        elif name in COMMON_ATTRS or name in TAG_ATTRS.get(tag, set()):
            kept[name] = value or ""
        else:
            diags.warning(pos, f"<{tag} {name}=...>: attribute dropped (allowed: {', '.join(sorted(COMMON_ATTRS | TAG_ATTRS.get(tag, set())))})")
    return kept


def check_tag(tag: str, pos: SourcePos, diags: Collector) -> bool:
    """True if the element may be converted; reports it otherwise."""
    if tag in SAFE_TAGS:
        return True
    if tag in DANGEROUS_TAGS:
        diags.error(pos, f"<{tag}> is not allowed in a manuscript" + (" (write images as ![alt](file))" if tag == "img" else ""))
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

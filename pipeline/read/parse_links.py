"""Links as the parser reads them, the parts that need no Python-Markdown: the attributes of a
bracketed span, where a reference link stands in the text, and the book's link references.

A reference definition (`[label]: address "title"`) in any chapter file serves the whole book:
each chapter is parsed with the definitions of all of them (its own first, as Python-Markdown
keeps them), and one that is used but defined nowhere is a warning at its use.
"""

from __future__ import annotations

import re

from pipeline.read.suggest import did_you_mean

References = dict[str, tuple[str, str]]  # label (lower case) -> (address, title)

# One attribute of a bracketed span: #id, .class or key=value.
ATTR = re.compile(r"""([#.])([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|\S+)""")
_ATTRS = re.compile(rf"""\s*(?:(?:{ATTR.pattern})(?:\s+|$))*""")
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.MULTILINE | re.DOTALL)
_PLACEHOLDER = "\x02"  # Python-Markdown's stand-in for code and escapes, which the source does not hold


def span_attrs(inside: str) -> tuple[dict[str, str], str]:
    """The attributes written inside `{...}`, and '' or the first word that is none (pandoc then
    keeps the whole `[text]{...}` as text, and so does the parser, with a warning)."""
    if not _ATTRS.fullmatch(inside):
        return {}, next((w for w in inside.split() if not ATTR.fullmatch(w)), inside.strip())
    attrs: dict[str, str] = {}
    classes = []
    for sigil, name, key, value in ATTR.findall(inside):
        if sigil == "#":
            attrs["id"] = name
        elif sigil == ".":
            classes.append(name)
        elif key:
            attrs[key] = value.strip("\"'")
    if classes:
        attrs["class"] = " ".join(classes)
    return attrs, ""


def kept_as_text(written: str, word: str) -> str:
    return (f"{written[:60]}: '{word}' is not an attribute ({{#id}}, {{.class}} or {{key=value}}), so the "
            "braces are kept as text; write \\{ to mean them as text")


def use_needle(used: str) -> str:
    """What to look for in the source to find a reference use: `[text][label]` as written, or
    from its last '[' when the text held code or escapes."""
    return used if _PLACEHOLDER not in used else used[used.rfind("["):]


def undefined(label: str, known: References) -> str:
    hint = did_you_mean(label, known, "[{}]")
    return (f"reference [{label}] is not defined in any chapter, so it is printed as written"
            + (hint or f"; add a line '[{label}]: address' to a chapter"))


def book_references(bodies: list[str], pattern: re.Pattern[str]) -> References:
    """The definitions in all chapters, found by Python-Markdown's own `pattern` (fenced code
    apart; `[^x]:` is a note's). Where two chapters define a label, the first chapter's serves
    the others (within a chapter, as in Python-Markdown, the last definition counts)."""
    found: References = {}
    for body in bodies:
        own: References = {}
        for m in pattern.finditer(_FENCED.sub("", body)):
            label = m.group(1).strip().lower()
            if label and not label.startswith("^"):
                own[label] = (m.group(2).lstrip("<").rstrip(">"), m.group(5) or m.group(6) or "")
        found = own | found
    return found

"""Typography on text nodes only, a block at a time, never in code.

Quotes are decided with the whole block's text as context, so a quote that
opens in one inline and closes in another pairs correctly. Every rule maps
its own output to itself, so the pass is idempotent.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.model import Chapter, ChapterMeta, Correction, Document, Inline, Note, Text
from pipeline.walk import map_chapters, map_inline_seqs, map_text_runs

NBSP = "\u00a0"
_OPENING_CONTEXT = set(" \t\n\u00a0([{\u2014\u2013-/\u2018\u201c") 
# (sign, pattern, replacement). The sign is a pattern that every match contains and that starts
# with a literal character, which the regex engine finds far faster than it tries the pattern,
# with its lookbehinds and classes, at every position: a run without the sign is left as it is.
_RULES: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    (re.compile("-"), re.compile(r"---"), "\u2014"),
    (re.compile("-"), re.compile(r"--"), "\u2013"),
    # Number ranges (1935-39, pp. 94-95), but not a chain such as an ISBN or a date: 978-0-14-044913-6.
    (re.compile(r"-\d"), re.compile(r"(?<![\d\-\u2013])(\d+)-(?=\d+(?![\d\-\u2013]))"), "\\1\u2013"),
    (re.compile(r"-\s"), re.compile(r"(?<=\s)-(?=\s)"), "\u2013"),  # a spaced hyphen is a spaced dash
    (re.compile(r"\."), re.compile(r"\.\s?\.\s?\."), "\u2026"),
    # Lines must not break inside these: p. 29, No. 33, Vol. 20, E. H. Carr.
    (re.compile(r"\.[ \t\n]+\d"), re.compile(r"\b(pp?|[Nn]o|[Vv]ol|[Cc]h|[Ff]ig)\.[ \t\n]+(?=\d)"), r"\1." + NBSP),
    (re.compile(r"\.(?<=[A-Z]\.)[ \t\n]+[A-Z]"), re.compile(r"(?<![\w.])((?:[A-Z]\.)+)[ \t\n]+(?=[A-Z])"), r"\1" + NBSP),
)
_QUOTES = re.compile("[\"']")


# Words that begin with an elided letter take an apostrophe, not an opening quote: 'tis, rock 'n' roll.
_ELISION = re.compile(r"(tis|twas|twere|twill|em|cause|til|n)\b", re.IGNORECASE)


def _quote(prev: str, nxt: str, char: str, after: str = "") -> str:
    opening = prev == "" or prev in _OPENING_CONTEXT
    if char == '"':
        return "\u201c" if opening and not nxt.isspace() and nxt != "" else "\u201d"
    # A single quote between letters (don't) or before a digit after a space ('30s) is an apostrophe.
    if prev.isalnum() or (opening and nxt.isdigit()) or _ELISION.match(after):
        return "\u2019"
    return "\u2018" if opening and nxt != "" and not nxt.isspace() else "\u2019"


def smarten_runs(texts: list[str]) -> list[str]:
    """Curly quotes using context across runs, then dashes, ellipses and no-break spaces per run."""
    joined = "".join(texts)
    chars = list(joined)
    for m in _QUOTES.finditer(joined):  # each quote is decided by the text as written around it
        i = m.start()
        chars[i] = _quote(joined[i - 1] if i else "", joined[i + 1 : i + 2], m.group(), joined[i + 1 : i + 8])
    curled = "".join(chars)  # one character for one: the runs keep their lengths
    out, at = [], 0
    for text in texts:
        run = curled[at : at + len(text)]
        at += len(text)
        for sign, pattern, repl in _RULES:
            if sign.search(run):
                run = pattern.sub(repl, run)
        out.append(run)
    return out


def smarten(text: str) -> str:
    return smarten_runs([text])[0]


def _no_space_before_calls(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """A note call sits against the word or punctuation before it, so no line can break there."""
    out = list(items)
    for i in range(1, len(out)):
        if isinstance(out[i], Note) and isinstance(out[i - 1], Text):
            out[i - 1] = replace(out[i - 1], text=out[i - 1].text.rstrip())
    return tuple(out)


def _inlines(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
    return map_text_runs(_no_space_before_calls(items), smarten_runs)


def _meta(meta: ChapterMeta) -> ChapterMeta:
    fix = lambda c: replace(c, was=smarten(c.was), now=smarten(c.now))  # noqa: E731
    corrections: tuple[Correction, ...] = tuple(fix(c) for c in meta.corrections)
    return replace(
        meta,
        title=smarten(meta.title),
        subtitle=smarten(meta.subtitle),
        publication=_inlines(meta.publication),
        source=_inlines(meta.source),
        rights=smarten(meta.rights),
        corrections=corrections,
    )


def typography_chapter(ch: Chapter) -> Chapter:
    return replace(ch, meta=_meta(ch.meta), blocks=map_inline_seqs(ch.blocks, _inlines))


def typography_book(doc: Document) -> Document:
    """The book's own metadata; the chapters are typography_chapter's."""
    meta = doc.meta
    return replace(doc, meta=replace(meta, title=smarten(meta.title), subtitle=smarten(meta.subtitle),
                                     description=smarten(meta.description), rights=smarten(meta.rights),
                                     note_on_text=_inlines(meta.note_on_text)))


def typography(doc: Document) -> Document:
    return typography_book(map_chapters(doc, typography_chapter))

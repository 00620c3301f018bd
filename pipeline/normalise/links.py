"""Links inside the book: `other.md#some-id`, `other.md` and `#some-id` become '#target-id',
checked to exist; each renderer then points them at the right file. External links stay."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote

from pipeline.chapter_index import all_ids, chapter_index
from pipeline.diagnostics import Collector
from pipeline.model import Document, Inline, Link
from pipeline.normalise.front_matter import map_meta_texts
from pipeline.walk import map_inline_seqs, replace_changed

_EXTERNAL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:|//)")
_UNSAFE = ("javascript:", "file:", "data:", "vbscript:")


def resolve_links(doc: Document, diags: Collector) -> Document:
    ids = all_ids(doc)
    files = {PurePosixPath(ch.pos.path).name: ch.id for ch in doc.chapters}

    def target(link: Link, chapter_id: str) -> str:
        url = link.url.strip()
        if url.lower().startswith(_UNSAFE):
            diags.error(link.pos, f"link '{url[:40]}' uses a URL scheme that is not allowed")
            return "#"
        if _EXTERNAL.match(url):
            return url
        file, _, fragment = unquote(url).partition("#")
        chapter = files.get(PurePosixPath(file).name) if file else chapter_id
        if chapter is None:
            diags.error(link.pos, f"link to '{file}': no chapter file of that name in the manuscript")
            return url
        wanted = fragment or chapter
        if wanted not in ids:
            diags.error(link.pos, f"link to '{url}': no heading or span has the id '{wanted}'")
            return url
        return f"#{wanted}"

    def fix(items: tuple[Inline, ...], cid: str) -> tuple[Inline, ...]:
        return _deep(items, lambda seq: tuple(replace_changed(i, url=target(i, cid)) if isinstance(i, Link) else i
                                              for i in seq))

    chapters = []
    for ch in doc.chapters:
        if not chapter_index(ch).links:  # nothing to resolve: the chapter as it is (and its index known)
            chapters.append(ch)
            continue
        chapters.append(replace_changed(ch, blocks=map_inline_seqs(ch.blocks, lambda seq, cid=ch.id: fix(seq, cid))))
    # Links in the front matter's Markdown reach the outputs too: the same checks, at the key's line.
    return map_meta_texts(replace(doc, chapters=tuple(chapters)), fix)


def _deep(items: tuple[Inline, ...], fix) -> tuple[Inline, ...]:  # type: ignore[no-untyped-def]
    """Apply fix to a sequence and to the sequences nested in its spans and emphasis."""
    out = []
    for item in fix(items):
        if hasattr(item, "inlines") and not isinstance(item, Link):
            item = replace_changed(item, inlines=_deep(item.inlines, fix))
        out.append(item)
    return tuple(out)

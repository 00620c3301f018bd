"""Links inside the book: `other.md#some-id`, `other.md` and `#some-id` become '#target-id',
checked to exist; each renderer then points them at the right file. External links stay.

A link that cannot work in a book loses its address and keeps its text, with a warning: one
that could run code ({UNSAFE}), a site-relative one (`/about`), one to a file that is not a
chapter (`images/map.png`), a bare relative one that names nothing in the book (`foo`, a web
page's link to its site). A link to a chapter file (`x.md`) or an id that does not exist, or
to a name nearly that of a chapter file, is an error, with the suggestion.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote

from pipeline.chapter_index import all_ids, chapter_index
from pipeline.diagnostics import Collector
from pipeline.model import Document, Inline, Link
from pipeline.normalise.front_matter import map_meta_texts
from pipeline.read.rawhtml import UNSAFE_SCHEMES, unsafe_url
from pipeline.read.resources import MEDIA_TYPES
from pipeline.read.suggest import did_you_mean
from pipeline.walk import map_inline_seqs, plain_text, replace_changed

__doc__ = __doc__.replace("{UNSAFE}", UNSAFE_SCHEMES)

_EXTERNAL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:|//)")
_CHAPTER_SUFFIXES = ("", ".md", ".markdown")  # what names a chapter file, or was meant to


def resolve_links(doc: Document, diags: Collector) -> Document:
    ids = all_ids(doc)
    files = {PurePosixPath(ch.pos.path).name: ch.id for ch in doc.chapters}

    def target(link: Link, chapter_id: str) -> str | None:
        """The link's new address, or None to keep only its text."""
        url = link.url.strip()
        if unsafe_url(url):
            diags.warning(link.pos, f"link '{url[:40]}' removed, its text kept: {UNSAFE_SCHEMES} addresses could "
                                    "run code or reach the reader's files")
            return None
        if _EXTERNAL.match(url):
            return url
        if url.startswith("/"):
            diags.warning(link.pos, f"link to '{url[:60]}' is site-relative: it has no meaning in a book, so the "
                                    "link is left out and its text kept (write the full address, https://...)")
            return None
        file, _, fragment = unquote(url).partition("#")
        chapter = files.get(PurePosixPath(file).name) if file else chapter_id
        if chapter is None and PurePosixPath(file).suffix.lower() not in _CHAPTER_SUFFIXES:
            show = (f" (to show the picture, write ![{plain_text(link.inlines)}]({url}))"
                    if PurePosixPath(file).suffix.lower() in MEDIA_TYPES else "")
            diags.warning(link.pos, f"link to '{file}': the book can link only to its chapters, so the link is "
                                    f"left out and its text kept{show}")
            return None
        if chapter is None:
            name = PurePosixPath(file).name
            hint = (did_you_mean(name, files) or (f"; did you mean '{file}.md'?" if f"{name}.md" in files else "")
                    or (did_you_mean(f"{name}.md", files) if not PurePosixPath(file).suffix else ""))
            if hint or PurePosixPath(file).suffix:
                diags.error(link.pos, f"link to '{file}': no chapter file of that name in the manuscript{hint}")
                return url
            # A bare relative address like nothing in the book ('foo', 'url'): a web page's link to
            # a page of its site, which a book does not have. Its text stays, as for '/about'.
            diags.warning(link.pos, f"link to '{file[:60]}': no chapter or file of that name, so the link is left "
                                    "out and its text kept (to link to a chapter, name its file: 'chapter.md')")
            return None
        wanted = fragment or chapter
        if wanted not in ids:
            prefix = f"{file}#" if file else "#"
            diags.error(link.pos, f"link to '{url}': no heading or span has the id '{wanted}'"
                                  + did_you_mean(wanted, ids, f"'{prefix}{{}}'"))
            return url
        return f"#{wanted}"

    def resolved(link: Link, cid: str) -> tuple[Inline, ...]:
        url = target(link, cid)
        return link.inlines if url is None else (replace_changed(link, url=url),)

    def fix(items: tuple[Inline, ...], cid: str) -> tuple[Inline, ...]:
        return _deep(items, lambda seq: tuple(new for i in seq
                                              for new in (resolved(i, cid) if isinstance(i, Link) else (i,))))

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

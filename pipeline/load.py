"""Manuscript folder -> Document: sources, metadata and Markdown, problems collected."""

from __future__ import annotations

from pathlib import Path

from pipeline.diagnostics import Collector, SourcePos
from pipeline.meta import book_meta, chapter_meta, slugify
from pipeline.model import Chapter, Document
from pipeline.normalise import normalise
from pipeline.parse import parse_body, parse_inline
from pipeline.resources import ImageResolver
from pipeline.sources import RawChapter, read_manuscript


def _check_corrections(raw: RawChapter, chapter: Chapter, diags: Collector) -> None:
    """Each listed correction must be visible in the text as corrected."""
    for c in chapter.meta.corrections:
        if c.now not in raw.body:
            diags.error(c.pos, f"correction '{c.was}' -> '{c.now}': '{c.now}' does not occur in the text")


def _check_cover(root: Path, name: object, pos: SourcePos, diags: Collector) -> None:
    """cover-image, checked by `check` as well as `build`: a PNG inside the manuscript folder."""
    if not isinstance(name, str) or not name:
        return
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        diags.error(pos, f"cover-image '{name}' lies outside the manuscript folder")
    elif not path.is_file():
        diags.error(pos, f"cover-image '{name}' not found")
    elif path.suffix.lower() != ".png":
        diags.error(pos, f"cover-image '{name}' must be a PNG file (at least 1600 x 2560 pixels)")


def load(root: Path, diags: Collector) -> Document | None:
    """Read and parse; returns None only when nothing could be read at all."""
    raw = read_manuscript(root, diags)
    if raw is None:
        return None
    titles = [str(rc.front.data.get("title", "")) for rc in raw.chapters]
    inline = lambda text, pos: parse_inline(text, pos, diags)  # noqa: E731
    meta = book_meta(raw.book, titles, inline, diags)
    _check_cover(root, raw.book.data.get("cover-image"), raw.book.at("cover-image"), diags)
    images = ImageResolver(root, diags)
    chapters: list[Chapter] = []
    ids: set[str] = set()
    for rc in raw.chapters:
        cm = chapter_meta(rc.front, meta, inline, diags)
        image = lambda src, alt, title, pos, path=rc.path: images(src, alt, title, path, pos)  # noqa: E731
        blocks = parse_body(rc.body, rc.rel, rc.body_line, diags, image)
        cid = slugify(rc.path.stem)
        if cid in ids:
            diags.error(SourcePos(rc.rel, 1, 1), f"two chapter files give the id '{cid}'; rename one")
        ids.add(cid)
        chapter = Chapter(id=cid, meta=cm, blocks=blocks, pos=SourcePos(rc.rel, 1, 1))
        _check_corrections(rc, chapter, diags)
        chapters.append(chapter)
    return Document(meta=meta, chapters=tuple(chapters))


def load_normalised(root: Path, diags: Collector) -> Document | None:
    doc = load(root, diags)
    return normalise(doc, diags) if doc is not None else None

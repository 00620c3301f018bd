"""Manuscript folder -> Document: sources, metadata and Markdown, problems collected."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from pipeline.read.bookless import lend_first_front
from pipeline.cache.store import Cache, digest, entry_key
from pipeline.cache.entries import ParsedChapter
from pipeline.chapter_index import block_index, remember
from pipeline.read.chapter_size import check_chapter_sizes
from pipeline.diagnostics import Collector, Diagnostic, SourcePos
from pipeline.read.files import Refused, read_inside, read_regular, tree_files
from pipeline.cache.fingerprint import mark
from pipeline.read.meta import book_meta, chapter_meta, slugify
from pipeline.model import BookMeta, Chapter, Document
from pipeline.normalise import DOCUMENT_PASSES, normalise, normalise_chapter
from pipeline.read.parse import book_references, parse_body, parse_inline
from pipeline.read.parse_links import References
from pipeline.read.raster import check_cover
from pipeline.read.resources import MEDIA_TYPES, ImageResolver
from pipeline.read.sources import BOOK_FILE, RawChapter, RawManuscript, read_manuscript


PARALLEL_CHARS = 500_000  # below about 80,000 words, starting processes costs more than it saves


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
    elif not path.exists():
        diags.error(pos, f"cover-image '{name}' not found")
    elif path.suffix.lower() != ".png":
        diags.error(pos, f"cover-image '{name}' must be a PNG file (at least 1600 x 2560 pixels)")
    else:
        try:
            data = read_inside(path, root)
        except (Refused, OSError) as exc:
            diags.error(pos, f"cover-image '{name}' {exc if isinstance(exc, Refused) else 'cannot be read: ' + str(exc.strerror)}")
            return
        check_cover(data, path.suffix, f"cover-image '{name}'", pos, diags)


def _assets_digest(root: Path, chapters: set[Path], out: Path | None) -> str:
    """What a chapter's images can depend on: the names of the files in the manuscript folder
    (hidden ones and their folders, like the build cache, excepted, and the output folder when
    it is inside: `pipeline build` writes ./build) and the bytes of the images."""
    parts = []
    for rel, real in tree_files(root, frozenset([out.resolve()]) if out is not None else frozenset()):
        if root / rel in chapters:
            continue
        data = b""
        if real is not None and real.suffix.lower() in MEDIA_TYPES:
            try:
                data = read_regular(real)
            except (Refused, OSError):  # too big, or gone: the image's own check reports it
                data = b"\0unread"
        parts.append(digest(rel, data))
    return digest(*parts)


def _cached_chapter(cache: Cache | None, entry: ParsedChapter | None) -> tuple[Chapter, list[Diagnostic], list[object]] | None:
    """A chapter kept by an earlier build. The cache hands back only entries this user's builds
    wrote (each is authenticated); one that no longer unpickles (made by other code) is a miss."""
    hit = cache.get(entry) if entry is not None and cache is not None else None
    if hit is None:
        return None
    try:
        chapter, found, indexes = pickle.loads(hit)
    except Exception:  # noqa: BLE001 - any failure to rebuild the objects is a miss
        return None
    return chapter, found, indexes


@dataclass(frozen=True)
class ReadBook:
    """The manuscript read, its chapters not yet parsed: what the build needs to start the
    cover (the metadata) before the chapters are parsed."""
    raw: RawManuscript
    titles: tuple[str, ...]
    meta: BookMeta


def read_book(root: Path, diags: Collector, cache: Cache | None = None) -> ReadBook | None:
    """book.yaml and the chapters' front matter read, no chapter parsed. None when nothing could
    be read at all or a chapter is too big to lay out (chapter_size: the error says to split it)."""
    raw = read_manuscript(root, diags, cache)
    if raw is None or not check_chapter_sizes(raw.chapters, diags):
        return None
    raw = lend_first_front(raw)  # no book.yaml: the first chapter's front matter is the book's
    titles = tuple(t if isinstance(t := rc.front.data.get("title", ""), str) else "" for rc in raw.chapters)
    inline = lambda text, pos: parse_inline(text, pos, diags)  # noqa: E731
    meta = book_meta(raw.book, list(titles), inline, diags, [rc.front for rc in raw.chapters])
    _check_cover(raw.root, raw.book.data.get("cover-image"), raw.book.at("cover-image"), diags)
    return ReadBook(raw, titles, meta)


def load(root: Path, diags: Collector, cache: Cache | None = None, chapter_passes: bool = False,
         jobs: int = 1, out: Path | None = None, read: ReadBook | None = None) -> Document | None:
    """Read and parse; returns None only when nothing could be read at all or a chapter is too
    big to lay out (chapter_size). With chapter_passes, each chapter also goes through the
    one-chapter normalisation passes, and with a cache that result is kept per chapter, keyed
    by everything it was made from. With jobs > 1, chapters not in the cache are parsed in
    that many processes when the book is large enough to gain.
    `root` is a manuscript folder or a single .md file; `out`, the output folder, is never an
    input; `read`: read_book's result, when the caller has read the book already."""
    read = read or read_book(root, diags, cache)
    if read is None:
        return None
    raw, titles, meta = read.raw, list(read.titles), read.meta
    root = raw.root  # a single .md file's folder: its images are named from there
    references = book_references([rc.body for rc in raw.chapters])  # `[label]: address` in any chapter
    context = ""
    if cache is not None and cache.folder is not None and chapter_passes:
        book = repr(raw.book) if raw.book_from else read_inside(root / BOOK_FILE, root)  # every chapter depends on it
        context = digest(str(root.resolve()), book, repr(titles),
                         _assets_digest(root, {rc.path for rc in raw.chapters}, out), repr(sorted(references.items())))
    entries = [ParsedChapter(context, rc.rel, read_inside(rc.path, root)) if context else None for rc in raw.chapters]
    cached = [_cached_chapter(cache, entry) for entry in entries]
    todo = [rc for rc, hit in zip(raw.chapters, cached) if hit is None]
    parsed: dict[Path, tuple[Chapter, list[Diagnostic]]] = {}
    if jobs > 1 and len(todo) > 1 and sum(len(rc.body) for rc in todo) > PARALLEL_CHARS:
        from concurrent.futures import ProcessPoolExecutor  # not imported by a build that needs no workers
        from multiprocessing import get_context

        with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=get_context("spawn")) as pool:
            results = pool.map(_chapter, *zip(*((root, rc, meta, chapter_passes, references) for rc in todo)))
            parsed = dict(zip((rc.path for rc in todo), results))
    chapters: list[Chapter] = []
    ids: set[str] = set()
    for rc, entry, hit in zip(raw.chapters, entries, cached):
        if hit is not None:
            chapter, found, indexes = hit
            remember(chapter.blocks, indexes)  # type: ignore[arg-type]
        else:
            chapter, found = parsed.get(rc.path) or _chapter(root, rc, meta, chapter_passes, references)
            if entry is not None and cache is not None:
                indexes = [block_index(b) for b in chapter.blocks]
                cache.put(entry, pickle.dumps((chapter, found, indexes), protocol=pickle.HIGHEST_PROTOCOL))
        if entry is not None:
            mark(chapter.blocks, entry_key(entry))  # its blocks' fingerprints: what they were made from
        diags.extend(found)
        if chapter.id in ids:
            diags.error(SourcePos(rc.rel, 1, 1), f"two chapter files give the id '{chapter.id}'; rename one")
        ids.add(chapter.id)
        chapters.append(chapter)
    return Document(meta=meta, chapters=tuple(chapters))


def _chapter(root: Path, rc: RawChapter, meta: BookMeta, chapter_passes: bool,
             references: References) -> tuple[Chapter, list[Diagnostic]]:
    """One chapter file -> Chapter, with the problems found in it."""
    diags = Collector()
    images = ImageResolver(root, diags)
    inline = lambda text, pos: parse_inline(text, pos, diags)  # noqa: E731
    cm = chapter_meta(rc.front, meta, inline, diags)
    image = lambda src, alt, title, pos, path=rc.path: images(src, alt, title, path, pos)  # noqa: E731
    blocks = parse_body(rc.body, rc.rel, rc.body_line, diags, image, references)
    chapter = Chapter(id=slugify(rc.path.stem), meta=cm, blocks=blocks, pos=SourcePos(rc.rel, 1, 1))
    _check_corrections(rc, chapter, diags)
    return (normalise_chapter(chapter) if chapter_passes else chapter), diags.items


def load_normalised(root: Path, diags: Collector, cache: Cache | None = None, jobs: int = 1,
                    out: Path | None = None, read: ReadBook | None = None) -> Document | None:
    doc = load(root, diags, cache, chapter_passes=True, jobs=jobs, out=out, read=read)
    return normalise(doc, diags, DOCUMENT_PASSES) if doc is not None else None

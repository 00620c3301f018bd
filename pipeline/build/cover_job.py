"""The typographic EPUB cover, drawn in another process while the chapters are read.

The cover depends only on the book's metadata, which is known as soon as book.yaml is read;
most of the rest of a clean EPUB build is parsing the chapters. Drawn alongside, the cover's
1.5-2 s (WeasyPrint's import, one page laid out, the PNG encoded) come off the wall-clock time
of a clean build on a machine with more than one core. The bytes are the same as drawn in the
build's own process: the same function with the same arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.cache.store import Cache, digest, tree_digest
from pipeline.cache.entries import Cover
from pipeline.fonts import font_files
from pipeline.model import BookMeta

CoverArgs = tuple[str, str | None, list[str], str | None]


def cover_args(meta: BookMeta) -> CoverArgs:
    """What the typographic cover shows: title, subtitle, authors, publisher."""
    return meta.title, meta.subtitle or None, [c.name for c in meta.authors], meta.publisher or None


def cover_entry(args: CoverArgs, styles_dir: Path) -> Cover:
    """Everything that draws the cover, for the build cache."""
    title, subtitle, authors, publisher = args
    return Cover(title, subtitle or "", tuple(authors), publisher or "", tree_digest(styles_dir),
                 tuple(digest(f.read_bytes()) for f in font_files()))


def _draw(args: CoverArgs, styles_dir: Path) -> bytes:
    """In the worker: WeasyPrint is imported there, not in the build's process."""
    from pipeline.render.cover.ebook import render_cover_png

    return render_cover_png(*args, styles_dir)


class CoverJob:
    """The cover being drawn in a worker process for `args`; `take` waits for its PNG."""

    def __init__(self, args: CoverArgs, styles_dir: Path) -> None:
        from multiprocessing import get_context  # here: a build that finds its cover in the cache needs no worker

        self.args = args
        self._pool: Any = get_context("spawn").Pool(1)
        self._png = self._pool.apply_async(_draw, (args, styles_dir))

    def take(self, args: CoverArgs) -> bytes | None:
        """The PNG if it was drawn for these arguments (None: draw it for them instead)."""
        try:
            return self._png.get() if args == self.args else None
        finally:
            self.close()

    def close(self) -> None:
        """Stops the worker, done or not (a build that stops on manuscript errors needs no cover)."""
        self._pool.terminate()
        self._pool.join()


def start_cover_job(meta: BookMeta, styles_dir: Path, cache: Cache) -> CoverJob | None:
    """A job for the typographic cover of `meta` unless the book names its own cover image or
    the cache holds it."""
    from pipeline.model import Document
    from pipeline.normalise.typography import typography_book

    if meta.cover_image:
        return None
    # The metadata as the document passes will leave it (curly quotes in the title): the pass
    # itself, on a document of no chapters. _cover draws afresh if the words still differ.
    args = cover_args(typography_book(Document(meta=meta)).meta)
    if cache.get(cover_entry(args, styles_dir)) is not None:
        return None
    return CoverJob(args, styles_dir)

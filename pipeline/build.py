"""Load -> normalise -> both renderers -> atomic writes. The one module naming both renderers."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from pipeline.build_cache import CachedOutput, OutputCache
from pipeline.cache import Cache, digest, pipeline_version, tree_digest
from pipeline.diagnostics import Collector, Diagnostic, ManuscriptError, Severity, SourcePos
from pipeline.fonts import font_files
from pipeline.model import Document
from pipeline.sources import display_path

# The loaders and renderers (Markdown, ebooklib, WeasyPrint) are imported where used, so a
# rebuild that the cache answers starts in a fraction of a second.

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    epub: Path
    pdf: Path
    pages: int
    warnings: tuple[Diagnostic, ...]


def _cover(doc: Document, root: Path, styles_dir: Path, cache: Cache) -> bytes:
    """The cover image named in book.yaml (checked when loading), else the typographic cover
    (cached by everything that draws it: about two seconds saved on every other build)."""
    if doc.meta.cover_image:
        return (root / doc.meta.cover_image).read_bytes()
    m = doc.meta
    args = (m.title, m.subtitle or None, [c.name for c in m.authors], m.publisher or None)
    key = digest(pipeline_version(), repr(args), tree_digest(styles_dir), *(f.read_bytes() for f in font_files()))
    png = cache.get("cover", key)
    if png is None:
        from pipeline.render.cover import render_cover_png  # WeasyPrint: a second to import

        png = render_cover_png(*args, styles_dir)
        cache.put("cover", key, png)
    return png


def _epub(doc: Document, root: Path, styles_dir: Path, cache_dir: Path | None) -> bytes:
    """The EPUB's bytes; a top-level function so that `-j` can run it in another process."""
    from pipeline.render.epub import render_epub

    cache = Cache(cache_dir)
    return render_epub(doc, styles_dir, _cover(doc, root, styles_dir, cache), cover_alt(doc))


def cover_alt(doc: Document) -> str:
    m = doc.meta
    authors = " and ".join(c.name for c in m.authors)
    return f"Cover: {m.title}{', ' + m.subtitle if m.subtitle else ''}{', by ' + authors if authors else ''}"


def write_atomically(outputs: dict[Path, bytes]) -> None:
    """All files are written to temporaries first and renamed into place only when all exist,
    so a failed or killed build leaves the previous build as it was."""
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a build that was killed
                stale.unlink(missing_ok=True)
            if _holds(target, data):  # already these bytes: leave the file (and its date) alone
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            temps.append((Path(tmp), target))
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def _from_cache(outputs: OutputCache, kinds: list[str], strict: bool) -> dict[str, CachedOutput] | None:
    """Every requested output as the last build with the same inputs made it, or None."""
    found = {kind: outputs.get(kind) for kind in kinds}
    if not all(found.values()):
        return None
    hits = {k: v for k, v in found.items() if v is not None}
    load = next(iter(hits.values())).load_diagnostics
    if strict and load:
        raise ManuscriptError([Diagnostic(Severity.ERROR, d.pos, d.message) for d in load])
    return hits


def build(root: Path, out: Path, styles_dir: Path = STYLES_DIR, progress: Progress = lambda s: None,
          strict: bool = False, only: str = "", jobs: int = 1, use_cache: bool = True) -> BuildResult:
    """Raises ManuscriptError (with every problem found) before anything is written."""
    cache = Cache.beside(out) if use_cache else Cache(None)
    kinds = [kind for kind in ("epub", "pdf") if only in ("", kind)]
    outputs = OutputCache(cache, root, styles_dir, font_files(), out)
    hits = _from_cache(outputs, kinds, strict)
    if hits is not None:
        progress("nothing changed: outputs from the cache")
        slug = next(iter(hits.values())).slug
        targets = {out / f"{slug}.{kind}": hit.data for kind, hit in hits.items()}
        write_atomically(targets)
        diagnostics = next(iter(hits.values())).load_diagnostics + tuple(d for h in hits.values() for d in h.own_diagnostics)
        pdf_hit = hits.get("pdf")
        return BuildResult(out / f"{slug}.epub", out / f"{slug}.pdf", pdf_hit.pages if pdf_hit else 0, diagnostics)

    from pipeline.load import load_normalised

    diags = Collector()
    progress("reading manuscript")
    doc = load_normalised(root, diags, cache, jobs)
    if strict:
        diags.promote_warnings()
    diags.raise_if_errors()
    assert doc is not None
    load_diags = tuple(diags.items)
    epub_path, pdf_path = out / f"{doc.meta.slug}.epub", out / f"{doc.meta.slug}.pdf"
    files: dict[Path, bytes] = {}
    pages = 0
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn")) if jobs > 1 and len(kinds) == 2 else None
    try:
        epub_job: Future[bytes] | None = None
        if "epub" in kinds:
            progress("writing EPUB")
            if pool is not None:  # -j: the EPUB in another process while this one lays out the PDF
                epub_job = pool.submit(_epub, doc, root, styles_dir, cache.folder)
            else:
                files[epub_path] = _epub(doc, root, styles_dir, cache.folder)
        if "pdf" in kinds:
            from pipeline.render.pdf import render_pdf

            progress("laying out PDF")
            printed = render_pdf(doc, styles_dir, cache, jobs, progress)
            for message in printed.warnings:
                diags.warning(SourcePos(display_path(styles_dir / "print.css")), f"layout: {message}")
            for pos, char in printed.missing_glyphs:
                diags.warning(pos, f"'{char}' (U+{ord(char):04X}) is not in the book's font, EB Garamond: "
                                   "the PDF would show an empty box; replace it or choose another character")
            files[pdf_path] = printed.pdf
            pages = printed.pages
            outputs.put("pdf", CachedOutput(doc.meta.slug, printed.pdf, pages, load_diags,
                                            tuple(diags.items[len(load_diags):])))
        if epub_job is not None:
            files[epub_path] = epub_job.result()
    finally:
        if pool is not None:
            pool.shutdown()
    if epub_path in files:
        outputs.put("epub", CachedOutput(doc.meta.slug, files[epub_path], 0, load_diags, ()))
    progress("writing files")
    write_atomically(files)
    return BuildResult(epub_path, pdf_path, pages, tuple(diags.items))


def _holds(path: Path, data: bytes) -> bool:
    """The file already has exactly these bytes."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False

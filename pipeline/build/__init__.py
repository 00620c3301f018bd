"""Load -> normalise -> both renderers -> atomic writes. The one module naming both renderers.

A build whose inputs and settings are those of an earlier one writes that build's bytes from
the cache (build_cache) without loading the renderers, which take about a second to import.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pipeline.build.whole import BuildCache, CachedBuild
from pipeline.build.plan import STYLES_DIR, BuildPlan, Outputs
from pipeline.cache.store import Cache, digest, entry_key
from pipeline.diagnostics import Collector, Diagnostic, SourcePos
from pipeline.read.files import read_inside
from pipeline.fonts import font_files
from pipeline.build.gc_pause import gc_paused
from pipeline.read.bookless import manuscript_folder

if TYPE_CHECKING:
    from pipeline.build.cover_job import CoverJob
    from pipeline.model import Chapter, Document
    from pipeline.render.html import HtmlOptions

__all__ = ["STYLES_DIR", "BuildPlan", "BuildResult", "CannotWrite", "Outputs", "build", "write_atomically"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    epub: Path
    pdf: Path
    pages: int
    warnings: tuple[Diagnostic, ...]
    preflight: tuple[str, ...] = ()  # the preflight report's summary lines
    cover: Path | None = None  # <slug>-cover.pdf, built for print profiles


def _cover(doc: Document, root: Path, styles_dir: Path, cache: Cache, job: CoverJob | None) -> bytes:
    """The cover image named in book.yaml (checked when loading), else the typographic cover:
    drawn by `job` while the chapters were read, or taken from the cache (it is kept by
    everything that draws it: about two seconds saved on every other build), or drawn here."""
    if doc.meta.cover_image:
        return read_inside(root / doc.meta.cover_image, root)  # checked when loading
    from pipeline.build.cover_job import cover_args, cover_entry

    args = cover_args(doc.meta)
    entry = cover_entry(args, styles_dir)
    drawn = job.take(args) if job else None
    png = drawn or cache.get(entry)
    if png is None:
        from pipeline.render.cover.ebook import render_cover_png  # WeasyPrint

        png = drawn = render_cover_png(*args, styles_dir)
    if drawn:
        cache.put(entry, png)
    return png


def _remembered_deflate(cache: Cache) -> Callable[[bytes], bytes]:
    """The EPUB's files compressed as before when their bytes are (after an edit, all but one
    chapter's)."""
    from pipeline.cache.entries import Deflated
    from pipeline.render.epub.container import deflate

    return lambda data: cache.get_or_make(Deflated(digest(data)), lambda: deflate(data))


def _remembered_sections(doc: Document, cache: Cache) -> Callable[[Chapter, HtmlOptions], str]:
    """Each EPUB chapter's markup, kept by the chapter's fingerprint and the options (and, for a
    chapter with links, by every id of the book, which decides the files they point at): after
    an edit, only the edited chapter is rendered again; within a build, each chapter once (the
    page-list check and the EPUB ask for the same markup)."""
    from pipeline.cache.entries import ChapterMarkup
    from pipeline.chapter_index import all_ids, chapter_index
    from pipeline.cache.fingerprint import chapter_fingerprint
    from pipeline.render.html import chapter_section

    targets = digest(repr(sorted(all_ids(doc).items())))
    made: dict[str, str] = {}  # by entry key: the options' functions are made anew for each use

    def section(ch: Chapter, opts: HtmlOptions) -> str:
        entry = ChapterMarkup(chapter_fingerprint(ch), opts, targets if chapter_index(ch).links else "")
        if (key := entry_key(entry)) not in made:
            made[key] = cache.get_or_make(entry, lambda: chapter_section(ch, opts).encode("utf-8")).decode("utf-8")
        return made[key]

    return section


def cover_alt(doc: Document) -> str:
    m = doc.meta
    authors = " and ".join(c.name for c in m.authors)
    return f"Cover: {m.title}{', ' + m.subtitle if m.subtitle else ''}{', by ' + authors if authors else ''}"


class CannotWrite(Exception):
    """The output folder cannot take the files (read-only, not a folder, disk full): the
    environment's problem, not the manuscript's. The message names the path and the cause."""


def _check_writable(out: Path) -> None:
    """Before any work: OUT must be a folder, or creatable, and writable."""
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise CannotWrite(f"{probe}: not a folder, so the output folder {out} cannot be made there; choose another -o")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CannotWrite(f"{probe}: permission denied (read-only?); choose another output folder with -o")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the output folder while files are replaced in it: two builds into
    one folder write one after the other, and each only ever finds its own temporaries (any
    other was left by a build that was killed)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for the other build's few renames
        yield
    finally:
        os.close(fd)  # releases the lock


def write_atomically(outputs: dict[Path, bytes]) -> None:
    """All files are written to temporaries first and renamed into place only when all exist,
    so a failed or killed build leaves the previous build as it was."""
    folders = sorted({target.parent for target in outputs})
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        with ExitStack() as locks:
            for folder in folders:
                locks.enter_context(_locked(folder))
            _write_locked(outputs)
    except OSError as exc:
        where = exc.filename or (folders[0] if folders else "")
        raise CannotWrite(f"{where}: {exc.strerror or exc}; the previous build is untouched") from None


def _write_locked(outputs: dict[Path, bytes]) -> None:
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in outputs.items():
            for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a build that was killed
                stale.unlink(missing_ok=True)
            if _holds(target, data):  # already these bytes: leave the file (and its date) alone
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps.append((Path(tmp), target))  # before writing: a full disk leaves nothing behind
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def _holds(path: Path, data: bytes) -> bool:
    """The file already has exactly these bytes."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _drop_stale_cover(result: BuildResult, plan: BuildPlan) -> None:
    """A PDF built for the screen after one built for a printer: the printer's cover no longer
    belongs to the PDF beside it."""
    if plan.pdf and result.cover is None:
        (result.pdf.parent / f"{result.pdf.stem}-cover.pdf").unlink(missing_ok=True)


def build(plan: BuildPlan, progress: Progress = lambda s: None) -> BuildResult:
    """Build what the plan asks for into plan.out; progress hears each stage's name.
    Raises ManuscriptError (with every problem found) before anything is written."""
    out = plan.out
    _check_writable(out)
    folder = manuscript_folder(plan.manuscript)  # DIR, or a single .md file's folder
    cache = Cache.for_manuscript(folder) if plan.use_cache else Cache(None)
    whole = BuildCache(cache, folder, plan.styles_dir, font_files(), out, plan.settings())
    if (hit := whole.get()) is not None:
        progress("nothing changed: outputs from the cache")
        write_atomically({out / name: data for name, data in hit.files.items()})
        result = BuildResult(out / hit.epub, out / hit.pdf, hit.pages, hit.diagnostics, hit.preflight,
                             out / hit.cover if hit.cover else None)
        _drop_stale_cover(result, plan)
        return result
    # An EPUB alone is the model and text all through: the collector stays paused until the
    # model has been freed (by reference counting) on the way out, so it never walks it.
    with gc_paused() if not plan.pdf else nullcontext():
        result, files = _build(plan, progress, cache)
    progress("writing files")
    write_atomically(files)
    _drop_stale_cover(result, plan)
    whole.put(CachedBuild({p.name: data for p, data in files.items()}, result.epub.name, result.pdf.name,
                          result.cover.name if result.cover else "", result.pages, result.warnings, result.preflight))
    return result


def _build(plan: BuildPlan, progress: Progress, cache: Cache) -> tuple[BuildResult, dict[Path, bytes]]:
    # The renderers are imported where they are used: a cached build loads neither, and an
    # EPUB-only build does not pay for WeasyPrint's import (about a second).
    from pipeline.load import load_normalised, read_book

    diags = Collector()
    progress("reading manuscript")
    cover_job: CoverJob | None = None
    try:
        with gc_paused():
            read = read_book(plan.manuscript, diags, cache)
            if read is not None and plan.epub and not diags.has_errors:
                # The EPUB's cover is drawn in a worker while the chapters are parsed.
                from pipeline.build.cover_job import start_cover_job

                cover_job = start_cover_job(read.meta, plan.styles_dir, cache)
            doc = load_normalised(plan.manuscript, diags, cache, plan.jobs or 1, out=plan.out, read=read) \
                if read is not None else None
        if plan.strict:
            diags.promote_warnings()
        diags.raise_if_errors()
        assert doc is not None
        return _render(doc, diags, plan, progress, cache, cover_job)
    finally:
        if cover_job is not None:
            cover_job.close()


def _render(doc: Document, diags: Collector, plan: BuildPlan, progress: Progress, cache: Cache,
            cover_job: CoverJob | None) -> tuple[BuildResult, dict[Path, bytes]]:
    from pipeline.pagemap import PageMap
    from pipeline.print_profiles import PROFILES
    from pipeline.render.epub.book import page_list_mismatches, render_epub

    root, out, styles_dir = manuscript_folder(plan.manuscript), plan.out, plan.styles_dir
    epub_path, pdf_path = out / f"{doc.meta.slug}.epub", out / f"{doc.meta.slug}.pdf"
    outputs: dict[Path, bytes] = {}
    pages = 0
    summary: tuple[str, ...] = ()
    cover_path = None
    # The EPUB's page list comes from the print layout, so the PDF is laid out first. --only epub
    # skips the layout (it is most of a build's time): that EPUB has no page list and claims none.
    printed = None
    if plan.pdf:
        # Print profiles: bleed, gutter and PDF/X (press), the cover sheet, the preflight report.
        from pipeline.check.preflight import preflight
        from pipeline.render.pdf.layout import render_pdf
        from pipeline.render.pdf.printer import press_options
        from pipeline.render.cover.wrap import render_print_cover

        press = PROFILES[plan.profile or doc.meta.print_profile]
        progress(f"laying out PDF ({press.name})")
        # Every PDF, proof or printer's, is laid out a chapter at a time (cached; -j lays chapters
        # out in parallel) and merged; a printer's boxes, marks and PDF/X are edits of the merge.
        printed = render_pdf(doc, styles_dir, press_options(press), cache=cache, jobs=plan.jobs, progress=progress)
    if plan.epub:
        progress("rendering cover")
        cover = _cover(doc, root, styles_dir, cache, cover_job)
        progress("writing EPUB")
        page_map = printed.page_map if printed else PageMap((), "")
        section = _remembered_sections(doc, cache)
        with gc_paused():
            if page_map.breaks and (differ := page_list_mismatches(doc, page_map, section)):
                # Markers would stand in the wrong places: better none (and no page claims).
                where = next((ch.pos for ch in doc.chapters if ch.id in differ), doc.meta.pos)
                diags.warning(where, "the EPUB is built without the print edition's page list: the print layout "
                                     "counts this text differently (a bug in the pipeline; please report it)")
                page_map = PageMap((), "")
            outputs[epub_path] = render_epub(doc, styles_dir, cover, cover_alt(doc), page_map,
                                             _remembered_deflate(cache), section)
    if printed:
        for message in printed.warnings:
            diags.warning(SourcePos(str((styles_dir / "print.css").resolve())), f"layout: {message}")
        for pos, char in printed.missing_glyphs:
            diags.warning(pos, f"'{char}' (U+{ord(char):04X}) is not in the book's font, EB Garamond: "
                               "the PDF would show an empty box; replace it or choose another character")
        outputs[pdf_path] = printed.pdf
        pages = printed.pages
        # -- print: preflight report after every PDF, cover sheet for print profiles --
        report = preflight(doc, printed.pdf, printed.facts, press, printed.sections, cache)
        for problem in report.problems:
            if problem.check == "text_completeness" and press.for_print:
                diags.error(problem.pos, problem.text)  # a printer's file must not lose a word
            elif problem.check != "missing_glyphs":  # already reported above, at the paragraph's line
                diags.warning(problem.pos, problem.text)
        diags.raise_if_errors()
        if press.for_print:
            from pipeline.check.cover import cover_problems, with_cover

            cover_path = out / f"{doc.meta.slug}-cover.pdf"
            outputs[cover_path] = render_print_cover(doc.meta, pages, press, styles_dir)
            # The cover's boxes and bleed, as the interior's: a white bleed is a rejected file.
            found = cover_problems(doc, outputs[cover_path], pages, press, cover_path.name)
            for problem in found:
                diags.warning(problem.pos, problem.text)
            report = with_cover(report, found)
        outputs[out / f"{doc.meta.slug}-preflight.json"] = report.to_json()
        summary = tuple(report.summary())
    return BuildResult(epub_path, pdf_path, pages, tuple(diags.items), summary, cover_path), outputs

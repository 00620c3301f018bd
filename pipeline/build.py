"""Load -> normalise -> both renderers -> atomic writes. The one module naming both renderers."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.diagnostics import Collector, Diagnostic, SourcePos
from pipeline.load import load_normalised
from pipeline.model import Document
from pipeline.pagemap import PageMap
from pipeline.render.cover import render_cover_png
from pipeline.render.epub import page_list_mismatches, render_epub
from pipeline.render.pdf import render_pdf
from pipeline.sources import display_path
# print profiles: bleed, gutter and PDF/X (press), the cover sheet, and the preflight report
from pipeline.preflight import preflight
from pipeline.print_profiles import PROFILES
from pipeline.render.press import press_options
from pipeline.render.print_cover import render_print_cover

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    epub: Path
    pdf: Path
    pages: int
    warnings: tuple[Diagnostic, ...]
    preflight: tuple[str, ...] = ()  # the preflight report's summary lines
    cover: Path | None = None  # <slug>-cover.pdf, built for print profiles


def _cover(doc: Document, root: Path, styles_dir: Path) -> bytes:
    """The cover image named in book.yaml (checked when loading), else the typographic cover."""
    if doc.meta.cover_image:
        return (root / doc.meta.cover_image).read_bytes()
    m = doc.meta
    return render_cover_png(m.title, m.subtitle or None, [c.name for c in m.authors], m.publisher or None, styles_dir)


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


def build(root: Path, out: Path, styles_dir: Path = STYLES_DIR, progress: Progress = lambda s: None,
          strict: bool = False, only: str = "", profile: str = "") -> BuildResult:
    """profile: a print profile overriding book.yaml's `print:` ("" keeps the book's)."""
    # Raises ManuscriptError (with every problem found) before anything is written.
    diags = Collector()
    progress("reading manuscript")
    doc = load_normalised(root, diags)
    if strict:
        diags.promote_warnings()
    diags.raise_if_errors()
    assert doc is not None
    epub_path, pdf_path = out / f"{doc.meta.slug}.epub", out / f"{doc.meta.slug}.pdf"
    outputs: dict[Path, bytes] = {}
    pages = 0
    summary: tuple[str, ...] = ()
    cover_path = None
    # The EPUB's page list comes from the print layout, so the PDF is laid out first. --only epub
    # skips the layout (it is most of a build's time): that EPUB has no page list and claims none.
    printed = None
    if only in ("", "pdf"):
        press = PROFILES[profile or doc.meta.print_profile]
        progress(f"laying out PDF ({press.name})")
        printed = render_pdf(doc, styles_dir, press_options(press))
    if only in ("", "epub"):
        progress("rendering cover")
        cover = _cover(doc, root, styles_dir)
        progress("writing EPUB")
        page_map = printed.page_map if printed else PageMap((), "")
        if page_map.breaks and (differ := page_list_mismatches(doc, page_map)):
            # Markers would stand in the wrong places: better none (and no page claims).
            where = next((ch.pos for ch in doc.chapters if ch.id in differ), doc.meta.pos)
            diags.warning(where, "the EPUB is built without the print edition's page list: the print layout "
                                 "counts this text differently (a bug in the pipeline; please report it)")
            page_map = PageMap((), "")
        outputs[epub_path] = render_epub(doc, styles_dir, cover, cover_alt(doc), page_map)
    if printed:
        for message in printed.warnings:
            diags.warning(SourcePos(display_path(styles_dir / "print.css")), f"layout: {message}")
        for pos, char in printed.missing_glyphs:
            diags.warning(pos, f"'{char}' (U+{ord(char):04X}) is not in the book's font, EB Garamond: "
                               "the PDF would show an empty box; replace it or choose another character")
        outputs[pdf_path] = printed.pdf
        pages = printed.pages
        # -- print: preflight report after every PDF, cover sheet for print profiles --
        report = preflight(doc, printed.pdf, printed.layout, press)
        for problem in report.problems:
            if problem.check != "missing_glyphs":  # already reported above, at the paragraph's line
                diags.warning(problem.pos, problem.text)
        outputs[out / f"{doc.meta.slug}-preflight.json"] = report.to_json()
        summary = tuple(report.summary())
        if press.for_print:
            cover_path = out / f"{doc.meta.slug}-cover.pdf"
            outputs[cover_path] = render_print_cover(doc.meta, pages, press, styles_dir)
    progress("writing files")
    write_atomically(outputs)
    return BuildResult(epub_path, pdf_path, pages, tuple(diags.items), summary, cover_path)

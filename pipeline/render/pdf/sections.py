"""The print book laid out a section at a time, each section cached, then merged into one PDF.

Every chapter opens on a right-hand page, so a chapter laid out alone, starting at its own
folio (`@page :nth(1 of body) { counter-reset: page N }`), gives the same pages as the whole
book laid out at once: notes are numbered by the model and reset per chapter, running heads
come from the chapter's own title and the book's. The front matter is laid out last, its
contents page reading each opener's folio from the map of the laid-out sections. Links that
cross sections are written as `pipeline-xref:ID` and become internal links when merged.

A section's layout is cached by its HTML, the stylesheets, fonts, images and its first
folio; its page count by the same minus the folio, since margin boxes never move the text.
So after an edit only the changed chapter is laid out again, and the chapters after it only
if its page count changed (they then get new folios, but their page counts are known, so
with -j they are laid out in parallel). On a clean build with -j every chapter is laid out
at once from folio 1, and numbered from its real folio when the page counts before it are
in (lay_out_in_turn, renumber.renumber).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, nullcontext
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pipeline.cache.store import Cache, digest
from pipeline.cache.entries import PdfPages, PdfSection
from pipeline.render.pdf.facts import LayoutFacts

XREF = "pipeline-xref:"
MAX_LAYOUTS = 4  # a layout, then up to three more to keep footnotes with their calls
# A book with more print HTML than this is laid out in worker processes even without -j:
# WeasyPrint's memory then goes back to the system every few chapters, and before the merge.
WORKER_CHARS = 300_000  # about 40,000 words
AUTO_JOBS = 4  # workers at most when the build does not say (-j): each holds a chapter's layout
SECTIONS_PER_WORKER = 12
_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')


@dataclass(frozen=True)
class Setup:
    """What every section's layout shares; plain data, so worker processes can receive it."""

    head: str  # <!DOCTYPE> .. <body ...>
    tail: str
    base_css: str  # @font-face rules and the page size from the trim
    print_css: str  # path of styles/print.css
    fetch_roots: tuple[str, ...]  # the folders and files WeasyPrint may read
    identifier: bytes
    pdf_variant: str  # "pdf/ua-1" or a printer's PDF/X: every section is identified as the merged book is
    press_css: str = ""  # a printer profile's CSS after print.css: bleed, CMYK colour
    render_options: tuple[tuple[str, Any], ...] = ()  # WeasyPrint's render options (a PDF/X's output intent)


@dataclass(frozen=True)
class Section:
    name: str  # "front", or the id of the section's first chapter
    body: str  # markup inside <body>, cross-section links already rewritten
    first_folio: int  # the folio of its first page; 0 for the (roman-numbered) front matter


@dataclass(frozen=True)
class Layout:
    pdf: bytes
    pages: int
    anchors: tuple[tuple[str, int], ...]  # (id, 0-based page within the section)
    warnings: tuple[str, ...]
    fixes: str = ""  # the page breaks that keep notes with their calls (CSS), found by laying out
    facts: LayoutFacts = LayoutFacts((), (), ())  # each page as plain data: page map, preflight


def own_ids(markup: str) -> set[str]:
    return set(_ID.findall(markup))


def cross_links(markup: str, ids: set[str], pages: dict[str, int] | None = None) -> str:
    """Links to ids outside this section become pipeline-xref: links (resolved when merged);
    given `pages`, links to a page number (the contents) also carry it as data-page."""
    def fix(m: re.Match[str]) -> str:
        target = m.group(1)
        if target in ids:
            return m.group(0)
        page = f' data-page="{pages[target]}"' if pages and target in pages else ""
        return f'href="{XREF}{target}"{page}'
    return _HREF.sub(fix, markup)


def section_css(section: Section) -> str:
    if section.first_folio:
        return f"@page :nth(1 of body) {{ counter-reset: page {section.first_folio}; }}\n"
    # The front matter alone: contents entries show the folio the map gives them.
    return 'nav.contents a[data-page]::after { content: leader(" . ") attr(data-page); }\n'


class LogCapture(logging.Handler):
    """WeasyPrint's warnings during one layout (the whole-book renderer uses it too)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def lay_out(setup: Setup, section: Section, known_fixes: str | None = None) -> Layout:
    """One section through WeasyPrint, laid out again (this section only) while a note sits
    on another page than its call; runs in this process or in a worker. `known_fixes`, from an
    earlier layout of the same content at another folio, saves the layouts that found them."""
    return _lay_out(setup, section, known_fixes)[1]


def _lay_out(setup: Setup, section: Section, known_fixes: str | None,
             first_folio: Callable[[int], int] | None = None) -> tuple[Section, Layout]:
    """lay_out; given `first_folio` (page count -> first folio), the section is laid out from a
    provisional folio and numbered from the one first_folio gives once its page count is known."""
    import weasyprint

    from pipeline.fetcher import LocalFetcher
    from pipeline.render.pdf import renumber
    from pipeline.render.pdf import note_split
    from pipeline.render.pdf import patches
    from pipeline.render.pdf.note_pages import break_rules, find_displaced
    from pipeline.render.pdf.facts import layout_facts

    fetcher = LocalFetcher([Path(p) for p in setup.fetch_roots])
    capture = LogCapture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    source = setup.head + section.body + setup.tail
    fixes = known_fixes or ""
    # WeasyPrint as this pipeline lays out (see that module), its font files removed after.
    with patches.applied(), ExitStack() as font_configs:
        try:
            # Known fixes are where an earlier search ended: one layout gives what that search gave,
            # even when it stopped at MAX_LAYOUTS with a note still displaced.
            for _ in range(1 if known_fixes is not None else MAX_LAYOUTS):
                # @font-face rules only take effect through a FontConfiguration shared with the render.
                fonts = font_configs.enter_context(patches.font_configuration())
                profiles: dict[str, Any] = {}  # @color-profile rules (a CMYK output intent), as fonts
                stylesheets = [
                    weasyprint.CSS(string=setup.base_css, url_fetcher=fetcher, font_config=fonts),
                    weasyprint.CSS(filename=setup.print_css, url_fetcher=fetcher, font_config=fonts),
                    *([weasyprint.CSS(string=setup.press_css, url_fetcher=fetcher, font_config=fonts,
                                      color_profiles=profiles)] if setup.press_css else []),
                    weasyprint.CSS(string=section_css(section) + (fixes or "/* no fixes */"), font_config=fonts),
                ]
                html = weasyprint.HTML(string=note_split.apply(source, fixes), base_url=str(Path(setup.print_css).parent) + "/",
                                       url_fetcher=fetcher)
                options = dict(setup.render_options)
                with renumber.keeping_state() if first_folio is not None else nullcontext():
                    document = html.render(stylesheets=stylesheets, font_config=fonts, color_profiles=profiles, **options)
                displaced = find_displaced(document.pages)
                new = [rule for rule in break_rules(displaced) if rule not in fixes]
                cut = note_split.plan(document.pages, fixes)  # long notes first: breaks they make needless stay out
                if cut == fixes and not new:
                    break
                fixes = cut if cut != fixes else "\n".join([fixes, *new]).strip()
            if first_folio is not None:
                folio = first_folio(len(document.pages))
                renumber.renumber(document.pages, folio - section.first_folio)
                section = Section(section.name, section.body, folio)
            # No finisher: page labels and link descriptions are the merged book's (merge.py).
            pdf = document.write_pdf(pdf_variant=setup.pdf_variant, pdf_tags=True, pdf_identifier=setup.identifier)
        finally:
            logger.removeHandler(capture)
    anchors = tuple((name, i) for i, page in enumerate(document.pages) for name in page.anchors)
    # A character the font lacks is reported against the manuscript, not as WeasyPrint's message.
    warnings = tuple(m for m in capture.messages if ".notdef" not in m)
    return section, Layout(pdf, len(document.pages), anchors, warnings, fixes, layout_facts(document.pages, displaced))


def _pack(layout: Layout) -> bytes:
    head = json.dumps({"pages": layout.pages, "anchors": layout.anchors, "warnings": layout.warnings,
                       "fixes": layout.fixes, "facts": layout.facts.to_json()}).encode()
    return len(head).to_bytes(8, "little") + head + layout.pdf


def _unpack(blob: bytes) -> Layout:
    size = int.from_bytes(blob[:8], "little")
    meta = json.loads(blob[8:8 + size])
    return Layout(blob[8 + size:], meta["pages"], tuple((a, i) for a, i in meta["anchors"]),
                  tuple(meta["warnings"]), meta["fixes"],
                  LayoutFacts.from_json(meta["facts"]))


class SectionCache:
    """Layouts by (content, first folio); page counts by content alone."""

    def __init__(self, cache: Cache, context: str) -> None:
        self.cache, self.context = cache, context

    def layout(self, section: Section) -> Layout | None:
        blob = self.cache.get(PdfSection(self.context, section.body, section.first_folio))
        return _unpack(blob) if blob is not None else None

    def pages(self, body: str) -> int | None:
        data = self.cache.get_json(PdfPages(self.context, body))
        return int(data["pages"]) if isinstance(data, dict) else None

    def fixes(self, body: str) -> str | None:
        """The page breaks an earlier layout of this content found (None: not laid out before)."""
        data = self.cache.get_json(PdfPages(self.context, body))
        return str(data["fixes"]) if isinstance(data, dict) else None

    def store(self, section: Section, layout: Layout) -> None:
        self.cache.put(PdfSection(self.context, section.body, section.first_folio), _pack(layout))
        self.cache.put_json(PdfPages(self.context, section.body), {"pages": layout.pages, "fixes": layout.fixes})


def context_key(setup: Setup, files: list[Path]) -> str:
    """Everything besides a section's own HTML that reaches its pages: the setup, and the bytes
    of print.css and of `files` (the images, fonts and tool files the layout reads)."""
    files = [Path(setup.print_css), *sorted(files)]
    return digest(setup.head, setup.tail, setup.base_css, repr(setup.identifier), setup.pdf_variant,
                  *([setup.press_css, repr(setup.render_options)] if setup.press_css or setup.render_options else []),
                  *(digest(str(p), p.read_bytes()) for p in files))


def next_folio(folio: int, pages: int) -> int:
    """Each section ends with a blank page when needed so that the next opens on a right-hand page."""
    return folio + pages + pages % 2


Progress = Callable[[str], None]


class _Workers:
    """Worker processes for layouts, replaced by fresh ones once they have taken about
    SECTIONS_PER_WORKER sections each, so that WeasyPrint's memory goes back to the system.
    Not ProcessPoolExecutor's max_tasks_per_child: in Python 3.11 a pool that retires its
    workers can be left with none and wait for ever (CPython gh-115634; seen with -j 2 on a
    30-chapter book)."""

    def __init__(self, jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> None:
        self.jobs, self.initializer, self.initargs = jobs, initializer, initargs
        self._pool: ProcessPoolExecutor | None = None
        self._left = 0  # sections the current workers may still take

    def run(self, calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> Iterator[Any]:
        """Each call's result, in order; all of a pool's calls are submitted at once."""
        start = 0
        while start < len(calls):
            if self._left == 0:
                self.close()
                self._pool = ProcessPoolExecutor(self.jobs, mp_context=get_context("spawn"),
                                                 initializer=self.initializer, initargs=self.initargs)
                self._left = self.jobs * SECTIONS_PER_WORKER
            batch = calls[start:start + self._left]
            self._left -= len(batch)
            start += len(batch)
            futures: list[Future[Any]] = [self._pool.submit(fn, *args) for fn, args in batch]  # type: ignore[union-attr]
            for future in futures:
                yield future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


# The page counts of the sections, shared with worker processes laying out in turn (see
# lay_out_in_turn): -1 while unknown; the last slot, set to 1, tells waiting workers to give up.
_counts: Any = None


def _share_counts(counts: Any) -> None:
    global _counts
    _counts = counts


def lay_out_in_turn(setup: Setup, name: str, body: str, known_fixes: str | None, index: int) -> tuple[Section, Layout]:
    """A section whose page count is not known, in a worker: laid out from folio 1 while the
    sections before it are laid out in other workers, then numbered from its real first folio
    once their page counts are in (renumber.renumber: the pages themselves do not change)."""
    def first_folio(pages: int) -> int:
        _counts[index] = pages
        while True:
            with _counts.get_lock():
                before, abort = _counts[:index], _counts[-1]
            if abort:
                raise RuntimeError("another section's layout failed")
            if -1 not in before:
                break
            time.sleep(0.02)
        folio = 1
        for count in before:
            folio = next_folio(folio, count)
        return folio

    try:
        return _lay_out(setup, Section(name, body, 1), known_fixes, first_folio)
    except BaseException:
        _counts[-1] = 1  # the sections after this one would wait for its page count for ever
        raise


_laid_in_process = 0  # sections this process has laid out itself


def _lay_out_here(setup: Setup, section: Section, known_fixes: str | None) -> Layout:
    global _laid_in_process
    _laid_in_process += 1
    return lay_out(setup, section, known_fixes)


def lay_out_body(setup: Setup, bodies: list[tuple[str, str]], store: SectionCache, jobs: int,
                 progress: Progress) -> list[tuple[Section, Layout]]:
    """Lays out (or takes from the cache) each body section at its folio, in order. With jobs > 1,
    sections go to worker processes: those whose page count is not known (a clean build) all at
    once, laid out in turn; those whose folio is known (the page counts before them are cached)
    at their folio. jobs 0: a large book in a worker a core (up to AUTO_JOBS), a small one here."""
    done: dict[int, tuple[Section, Layout]] = {}
    workers: _Workers | None = None
    large = sum(len(body) for _, body in bodies) > WORKER_CHARS
    jobs = jobs or (min(os.cpu_count() or 1, AUTO_JOBS) if large else 1)
    cached_pages = [store.pages(body) for _, body in bodies]
    laid_in_turn: dict[int, tuple[Section, Layout]] = {}
    laid_here = False  # whether this build has laid out a section yet
    try:
        if jobs > 1 and cached_pages.count(None) > 1:
            counts = get_context("spawn").Array("q", [-1 if n is None else n for n in cached_pages] + [0])
            workers = _Workers(jobs, _share_counts, (counts,))
            unknown = [i for i, pages in enumerate(cached_pages) if pages is None]
            calls = [(lay_out_in_turn, (setup, *bodies[i], store.fixes(bodies[i][1]), i)) for i in unknown]
            try:
                for i, (section, layout) in zip(unknown, workers.run(calls)):
                    progress(f"laying out PDF: {section.name} ({layout.pages} pages)")
                    store.store(section, layout)
                    laid_in_turn[i] = (section, layout)
                    cached_pages[i] = layout.pages
            except BaseException:
                counts[-1] = 1
                raise
            laid_here = bool(laid_in_turn)
        start = 0
        while start < len(bodies):
            # The run of sections whose folios are known: up to and including the first whose page count is not.
            run: list[Section] = []
            predicted: dict[int, int] = {}
            folio = 1 if start == 0 else next_folio(done[start - 1][0].first_folio, done[start - 1][1].pages)
            for i, (name, body) in enumerate(bodies[start:], start):
                run.append(Section(name, body, folio))
                pages = cached_pages[i]
                if pages is None:
                    break
                predicted[i] = pages
                folio = next_folio(folio, pages)
            todo: list[tuple[int, Section]] = []
            for i, section in enumerate(run, start):
                cached = laid_in_turn[i][1] if i in laid_in_turn and laid_in_turn[i][0] == section else store.layout(section)
                if cached is not None:
                    done[i] = (section, cached)
                else:
                    todo.append((i, section))
            # One section, the first this build lays out (an edit's), is laid out here: a worker's
            # start costs more than its layout, and one section's memory is a worker's bound. A
            # process lays out no more sections than a worker would (WeasyPrint keeps about 3 MB
            # of each: a preview server would grow with every edit), then leaves them to workers.
            alone = len(todo) == 1 and not laid_here and _laid_in_process < SECTIONS_PER_WORKER
            if workers is None and todo and not alone and (large or (jobs > 1 and len(todo) > 1)):
                workers = _Workers(jobs)
            laid_here = laid_here or bool(todo)
            results: Iterator[Layout]
            if workers is not None:
                results = workers.run([(lay_out, (setup, s, store.fixes(s.body))) for _, s in todo])
            else:
                results = (_lay_out_here(setup, s, store.fixes(s.body)) for _, s in todo)
            for (i, section), layout in zip(todo, results):
                progress(f"laying out PDF: {section.name} ({layout.pages} pages)")
                store.store(section, layout)
                done[i] = (section, layout)
                cached_pages[i] = layout.pages
            end = start + len(run)
            # A predicted page count that proved wrong (a stale cache) puts every later folio off: redo those.
            wrong = next((i for i in range(start, end) if i in predicted and done[i][1].pages != predicted[i]), None)
            if wrong is not None:
                for i in range(wrong + 1, end):
                    done.pop(i, None)
                end = wrong + 1
            start = end
    finally:
        if workers is not None:
            workers.close()
    return [done[i] for i in range(len(bodies))]

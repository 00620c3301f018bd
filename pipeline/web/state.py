"""What the server shows: the last good build and, when the latest build failed, its
diagnostics. Rebuilds go through the public pipeline.build.build(); readers get one immutable
snapshot per request and can wait for the next one (the live preview's event stream)."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.read.bookless import manuscript_folder
from pipeline.diagnostics import Collector, ManuscriptError, Severity
from pipeline.web.pages import PageImages, prune
from pipeline.web.snapshot import Book, read_build

PAGES_FOLDER = ".pages"  # page-image cache, inside the output folder


@dataclass(frozen=True)
class State:
    version: int  # goes up with every change, so clients know when to refresh
    book: Book | None  # the last good build
    images: PageImages | None
    errors: tuple[str, ...] = ()  # PATH:LINE:COL lines of the latest build, if it failed
    error_count: int = 0  # how many of them are errors (the rest are the build's warnings)
    warnings: tuple[str, ...] = ()
    building: str = ""  # the stage of a build in progress, else ""
    status: str = ""  # one line for the live-status bar
    seconds: float = 0.0  # how long the latest build took


def _source_files(folders: tuple[Path, ...], skip: Path) -> Iterator[Path]:
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_relative_to(skip) and not path.name.startswith("."):
                yield path


def manuscript_slug(root: Path) -> str | None:
    """The slug the build names its files by (from the metadata alone: no chapter is parsed);
    None when the manuscript cannot be read."""
    from pipeline.load import read_book

    read = read_book(root, Collector())
    return read.meta.slug if read is not None else None


def up_to_date(root: Path, styles_dir: Path, out: Path, slug: str) -> bool:
    """Both files exist and are newer than every manuscript and style file."""
    built = [out / f"{slug}.epub", out / f"{slug}.pdf"]
    if not all(p.is_file() for p in built):
        return False
    oldest = min(p.stat().st_mtime for p in built)
    return all(p.stat().st_mtime <= oldest for p in _source_files((root, styles_dir), out.resolve()))


class BookState:
    """Holds the current State; `rebuild` replaces it, `wait` blocks until it changes."""

    def __init__(self, root: Path, out: Path, styles_dir: Path, log: Callable[[str], None] = lambda s: None) -> None:
        self.root, self.out, self.styles_dir, self.log = root, out, styles_dir, log
        self._state = State(0, None, None)
        self._changed = threading.Condition()
        self._build_lock = threading.Lock()  # one build at a time
        self.closed = False
        self._ahead: list[threading.Thread] = []

    def current(self) -> State:
        return self._state

    def _set(self, **changes: object) -> State:
        with self._changed:
            self._state = replace(self._state, version=self._state.version + 1, **changes)  # type: ignore[arg-type]
            self._changed.notify_all()
            return self._state

    def wait(self, version: int, timeout: float) -> State:
        """The state once its version differs from `version`, or the same one after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.version != version or self.closed, timeout)
            return self._state

    def close(self) -> None:
        """End the event streams and stop rendering ahead (PDFium must be idle at exit:
        a thread still inside it while the interpreter shuts down crashes the process)."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        if self._state.images is not None:
            self._state.images.close()
        for thread in self._ahead:
            thread.join(30)

    def load_existing(self, slug: str) -> bool:
        """Show what is already in OUT, without building."""
        try:
            book = read_build(self.out, slug)
            built = time.strftime("%d %b, %H:%M:%S", time.localtime(book.pdf.mtime))
            self._show(book, seconds=0.0, warnings=(), status=f"Build of {built} · {book.pages} pages · watching")
            return True
        except (OSError, ValueError, KeyError):
            return False

    def _show(self, book: Book, seconds: float, warnings: tuple[str, ...], status: str = "") -> None:
        images = PageImages(book, self.out / PAGES_FOLDER)
        previous = self._state.images
        self._set(book=book, images=images, errors=(), error_count=0, warnings=warnings, building="", seconds=seconds,
                  status=status or f"Built {time.strftime('%H:%M:%S')} in {seconds:.1f} s · {book.pages} pages")
        # Render the spread images ahead, so that turning pages is instant; zoom images on demand.
        ahead = threading.Thread(target=self._render_ahead, args=(images,), name="render-ahead", daemon=True)
        self._ahead = [t for t in self._ahead if t.is_alive()] + [ahead]
        ahead.start()
        prune(self.out / PAGES_FOLDER, keep=book.build_id)
        if previous is not None and previous is not images:
            previous.close()

    def _render_ahead(self, images: PageImages) -> None:
        try:
            images.render_all(("s",))
        except Exception:  # the images are also rendered on request; a failure here is not fatal
            pass

    def rebuild(self) -> State:
        """Build now; on failure keep the last good build and record the diagnostics. Never raises
        for a manuscript problem or a pipeline bug: the server must keep running."""
        from pipeline.build import BuildPlan, build  # WeasyPrint is heavy: import only when building

        with self._build_lock:
            self._set(building="reading manuscript", status="Rebuilding…")
            started = time.monotonic()
            try:
                result = build(BuildPlan(self.root, self.out, styles_dir=self.styles_dir),
                               progress=lambda stage: self._set(building=stage, status=f"Rebuilding: {stage}…"))
                book = read_build(self.out, result.pdf.stem)
            except ManuscriptError as exc:
                folder = manuscript_folder(self.root)
                lines = tuple(d.shown(folder) for d in exc.diagnostics)
                errors = sum(d.severity is Severity.ERROR for d in exc.diagnostics)
                self.log("\n".join(lines) + f"\n{errors} error(s): the page shows them beside the last good build; "
                                             "fix them and save")
                return self._set(errors=lines, error_count=errors, building="", seconds=time.monotonic() - started,
                                 status=f"Build failed at {time.strftime('%H:%M:%S')}: {errors} error(s)")
            except Exception as exc:  # a pipeline bug: show it, keep serving the last good build
                trace = traceback.format_exc()
                self.log(trace)
                line = f"internal error in the pipeline: {type(exc).__name__}: {exc} (please report it)"
                return self._set(errors=(line,), error_count=1, building="", seconds=time.monotonic() - started,
                                 status=f"Build failed at {time.strftime('%H:%M:%S')}: internal error")
            seconds = time.monotonic() - started
            folder = manuscript_folder(self.root)
            warnings = tuple(d.shown(folder) for d in result.warnings)
            if warnings:
                self.log("\n".join(warnings))
            self._show(book, seconds, warnings)
            self.log(f"built {result.epub} and {result.pdf} in {seconds:.1f} s ({book.pages} pages)")
            return self._state

"""Page images of a built PDF, cached on disk per build: CACHE/<build-id>/<size>-<NNN>.png.
Two sizes: 's' for the spread view and 'z' for the zoomed single page. Pages without colour
are stored as 8-bit grey PNGs: smaller than WebP or JPEG for type, sharp, and fast to encode."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops

from pipeline.web.snapshot import PDFIUM_LOCK, Book

# Rendered width in pixels: a spread page is shown at up to ~440 CSS px and a zoomed page at
# up to ~800, so both stay sharp on screens with two device pixels per CSS pixel.
WIDTHS = {"s": 880, "z": 1600}
KEEP_BUILDS = 4  # image folders of older builds beyond this are removed
IMAGE_NAME = re.compile(r"^([sz])-(\d{3,5})\.png$")


class ImagesClosed(Exception):
    """The page image is not cached and its build is no longer the current one."""


def _grey_if_colourless(image: Image.Image) -> Image.Image:
    # Checked on a quarter-size copy: averaging keeps any colour, and it is 16 times less work.
    red, green, blue = image.convert("RGB").reduce(4).split()
    if ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None:
        return image.convert("L")
    return image


def image_name(size: str, page: int) -> str:
    return f"{size}-{page:03d}.png"


class PageImages:
    """The page images of one build, rendered on first request (or all ahead) and kept."""

    def __init__(self, book: Book, cache_root: Path) -> None:
        self.book = book
        self.folder = cache_root / book.build_id
        self._pdf: pdfium.PdfDocument | None = None
        self.closed = False

    def path(self, size: str, page: int) -> Path:
        """The image file for 1-based `page`, rendering it if needed. KeyError/IndexError if
        there is no such size or page."""
        width = WIDTHS[size]
        if not 1 <= page <= self.book.pages:
            raise IndexError(page)
        target = self.folder / image_name(size, page)
        if target.is_file():
            return target
        with PDFIUM_LOCK:
            if target.is_file():  # another thread rendered it while this one waited
                return target
            if self.closed:  # replaced by a newer build, or shutting down: render nothing more
                raise ImagesClosed(self.book.build_id)
            if self._pdf is None:
                self._pdf = pdfium.PdfDocument(self.book.pdf.data)
            pdf_page = self._pdf[page - 1]
            image = pdf_page.render(scale=width / pdf_page.get_width()).to_pil()
            pdf_page.close()
        buffer = io.BytesIO()
        _grey_if_colourless(image).save(buffer, "PNG")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # readers never see half an image
        return target

    def render_all(self, sizes: tuple[str, ...] = ("s", "z")) -> None:
        """Render every page not yet cached; stops early once closed."""
        for size in sizes:
            for page in range(1, self.book.pages + 1):
                if self.closed:
                    return
                self.path(size, page)

    def close(self) -> None:
        """Release the PDF, once a page being rendered is done; pages already on disk are still
        served, no new page is rendered (PDFium must be idle when the process exits)."""
        self.closed = True
        with PDFIUM_LOCK:
            if self._pdf is not None:
                self._pdf.close()
                self._pdf = None


def prune(cache_root: Path, keep: str) -> None:
    """Remove image folders of old builds, keeping `keep` and the most recent others."""
    if not cache_root.is_dir():
        return
    folders = sorted((p for p in cache_root.iterdir() if p.is_dir() and p.name != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[KEEP_BUILDS - 1:]:
        shutil.rmtree(old, ignore_errors=True)

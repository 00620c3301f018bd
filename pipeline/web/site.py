"""The book's page as a static site: index.html, the two files, the cover, every page image
and the assets, all linked by relative URLs so it works from any static host and from file://.
The site folder is replaced as a whole, and only if it is one this command wrote."""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from pipeline.web.bookpage import ASSETS, STATIC, cover_name, page_url, render_page
from pipeline.web.pages import PageImages
from pipeline.web.snapshot import Book

MARKER = ".pipeline-site"  # says "this folder was written by `pipeline site`, safe to replace"


class NotASiteFolder(Exception):
    """The output folder exists and holds something else: it is never deleted."""


def write_site(book: Book, images: PageImages, target: Path) -> int:
    """Write the site into `target`; returns the number of files written."""
    if target.exists() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise NotASiteFolder(f"{target} exists and was not written by 'pipeline site'; "
                             "choose an empty or new folder with -o")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        files: dict[str, bytes] = {
            "index.html": render_page(book, links=STATIC).encode("utf-8"),
            f"files/{book.epub.name}": book.epub.data,
            f"files/{book.pdf.name}": book.pdf.data,
            cover_name(book): book.cover,
            MARKER: b"written by 'python -m pipeline site'; the whole folder is replaced on the next run\n",
        }
        assets = resources.files("pipeline.web") / "assets"
        for name in ASSETS:
            files[f"assets/{name}"] = (assets / name).read_bytes()
        # PDFium renders one page at a time, but PNG encoding runs in parallel with it.
        wanted = [(size, page) for size in ("s", "z") for page in range(1, book.pages + 1)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            paths = list(pool.map(lambda sp: images.path(*sp), wanted))
        for (size, page), path in zip(wanted, paths):
            files[page_url(book, size, page)] = path.read_bytes()
        for rel, data in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for folder in [staging, *staging.rglob("*")]:
            os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return len(files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

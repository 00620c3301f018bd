"""The book's page as a static site: index.html, the two files, the cover, every page image
and the assets, all linked by relative URLs so it works from any static host and from file://.
The site folder is replaced as a whole, and only if it is one this command wrote."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from pipeline.web.bookpage import ASSETS, STATIC, cover_name, page_url, render_page
from pipeline.web.pages import PageImages
from pipeline.web.snapshot import Book

MARKER = ".pipeline-site"  # says "this folder was written by `pipeline site`, safe to replace"


class NotASiteFolder(Exception):
    """The output path exists and is not a folder this command wrote: it is never touched."""


def _refusal(path: Path, target: Path) -> str | None:
    """Why `path` (named `target` to the user) must not be replaced, or None when it is absent,
    empty or a site of ours. lstat throughout: no symbolic link is followed, folder or marker."""
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None  # nothing there; a file on the way is reported by mkdir
    if stat.S_ISLNK(mode):
        return (f"{target} is a symbolic link; 'pipeline site' replaces only a real folder it wrote, "
                "never a link or what it points to: give the folder itself, or a new one, with -o")
    if not stat.S_ISDIR(mode):
        return f"{target} exists and is not a folder; it is left alone: choose a new folder with -o"
    try:
        ours = stat.S_ISREG((path / MARKER).lstat().st_mode)
    except FileNotFoundError:
        ours = not any(path.iterdir())  # an empty folder holds nothing to lose
    if not ours:
        return (f"{target} exists and was not written by 'pipeline site' (it has no {MARKER} file), "
                "so it is never replaced: choose an empty or new folder with -o")
    return None


def write_site(book: Book, images: PageImages, target: Path) -> int:
    """Write the site into `target`; returns the number of files written. Raises NotASiteFolder,
    having touched nothing, if `target` is anything but absent, empty or a site written here."""
    if (why := _refusal(target, target)) is not None:
        raise NotASiteFolder(why)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # mkdir's word for "a file is in the way"
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", exc.filename) from None
    # Every folder this creates has a fresh name from mkdtemp, so it can never be the user's,
    # and only those are ever deleted: the new site before it moves in, the old one after.
    staging: Path | None = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    trash: Path | None = None
    done = False
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
        if os.path.lexists(target):
            trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old = trash / "site"
            os.rename(target, old)
            try:  # checked again on what was moved: the path may have been swapped since
                if (why := _refusal(old, target)) is not None:
                    raise NotASiteFolder(why)
                os.rename(staging, target)
            except BaseException:
                os.rename(old, target)  # put back: a failed run changes nothing
                raise
        else:
            os.rename(staging, target)
        staging, done = None, True
        return len(files)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if trash is not None and done:
            shutil.rmtree(trash, ignore_errors=True)  # rmtree never follows a link inside it
        elif trash is not None:
            with contextlib.suppress(OSError):
                trash.rmdir()  # empty once the old site is back; if not, it is kept, never deleted

"""Reading the files a manuscript folder holds, and nothing else.

A manuscript comes from anyone, so every file the pipeline reads from it goes through here:
only regular files (a FIFO would block the build, /dev/zero would fill memory), only inside
the folder once links are followed (a link to /etc/passwd is not a chapter), and each
within a size limit. Files are opened non-blocking and checked again once open, so a file
swapped for a FIFO between the check and the open cannot block either.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024


class Refused(Exception):
    """A file the pipeline will not read; the message says why, for an editor."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def resolve_inside(path: Path, root: Path) -> Path:
    """The real path of `path`, which must lie inside `root` (links followed) and be a regular
    file; Refused otherwise, FileNotFoundError if it does not exist."""
    real = path.resolve(strict=True)
    if not real.is_relative_to(root.resolve()):
        raise Refused("is a link to a file outside the manuscript folder; copy the file into the folder")
    mode = os.stat(real).st_mode
    if not stat.S_ISREG(mode):
        raise Refused(f"is {_kind(mode)}, not a file; only regular files are read")
    return real


def is_readable_inside(path: Path, root: Path) -> bool:
    try:
        resolve_inside(path, root)
    except (Refused, OSError):
        return False
    return True


def read_inside(path: Path, root: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file inside `root`, at most `limit` of them (Refused beyond)."""
    real = resolve_inside(path, root)
    return read_regular(real, limit)


def read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (not followed if it is a link), at most `limit`."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"is {_kind(info.st_mode)}, not a file; only regular files are read")
        if info.st_size > limit:
            raise Refused(too_big(info.st_size, limit))
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                raise Refused(too_big(size, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def too_big(size: int, limit: int) -> str:
    return f"is {size / 2**20:.0f} MB; the limit is {limit // 2**20} MB per file"


def tree_files(folder: Path, skip: frozenset[Path] = frozenset()) -> Iterator[tuple[str, Path | None]]:
    """(relative path, real path) of every file under `folder`, sorted, hidden files, compiled
    Python and the folders in `skip` excepted. Links to folders are not followed (os.walk's
    default); the real path is None for what is never read: links that lead outside `folder`,
    FIFOs, devices."""
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__"
                             and (here / d).resolve() not in skip)
        files = [n for n in filenames if not n.startswith(".") and not n.endswith(".pyc")]
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(folder).as_posix()
            try:
                yield rel, resolve_inside(path, root)
            except (Refused, OSError):
                yield rel, None

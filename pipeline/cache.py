"""The build cache: outputs and intermediate results, keyed by a hash of everything that can change them.

A key covers the manuscript folder (every file, so images and book.yaml too), the styles
folder, the font files, the pipeline's own code, the installed versions of its dependencies,
the Python version and the environment settings that reach the output (SOURCE_DATE_EPOCH).
An entry is only ever read back whole: entries are written to a temporary file and renamed.

The cache lives beside the output folder (`OUT/../.pipeline-cache/`), not in it, so OUT
holds nothing but the books. PIPELINE_CACHE=0 in the environment turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CACHE_DIR_NAME = ".pipeline-cache"
_CHECK = 32  # bytes of SHA-256 before each cache entry
# Entries of one kind kept, the most recently used first: enough for every chapter of several
# large books. Pruning waits for a tenth more, so that it runs once in many writes.
KEEP_PER_KIND = 2000
KEEP = {"output": 16, "build": 64, "cover": 16,  # whole books and covers: the last few are enough
        "section": 1000, "deflate": 1000}  # an EPUB's chapters (markup, compressed): a few books' worth
PACKAGE_DIR = Path(__file__).resolve().parent
_ENV_SETTINGS = ("SOURCE_DATE_EPOCH",)


def enabled() -> bool:
    return os.environ.get("PIPELINE_CACHE", "1") not in ("0", "no", "off", "false")


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _tree_files(folder: Path, skip: frozenset[Path]) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__"
                             and Path(dirpath, d).resolve() not in skip)
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith(".pyc"):
                yield Path(dirpath) / name


def tree_digest(folder: Path, skip: Iterable[Path] = ()) -> str:
    """Every (relative path, bytes) pair under folder; hidden files, compiled Python and the
    folders in `skip` (an output folder inside the manuscript folder) excepted."""
    h = hashlib.sha256()
    for path in _tree_files(folder, frozenset(p.resolve() for p in skip)):
        rel = path.relative_to(folder).as_posix().encode()
        data = path.read_bytes()
        h.update(len(rel).to_bytes(8, "little") + rel + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


@functools.cache
def pipeline_version() -> str:
    """The pipeline's own code and the installed distributions (their names carry their versions)."""
    h = hashlib.sha256(sys.version.encode())
    h.update(tree_digest(PACKAGE_DIR).encode())
    for entry in sys.path:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.endswith(".dist-info"))
        except OSError:
            continue
        h.update("\n".join(names).encode())
    return h.hexdigest()


def inputs_key(root: Path, styles_dir: Path, fonts: Iterable[Path], settings: str = "",
               out: Path | None = None) -> str:
    """The hash of everything a build reads: sources, styles, fonts, code, dependencies, settings."""
    env = "\n".join(f"{k}={os.environ.get(k, '')}" for k in _ENV_SETTINGS)
    font_part = "".join(digest(p.name, p.read_bytes()) for p in sorted(fonts))
    skip = [out] if out is not None else []
    return digest(pipeline_version(), tree_digest(root, skip), tree_digest(styles_dir), font_part, env, settings)


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


class Cache:
    """Content-addressed blobs by kind: `get(kind, key)`, `put(kind, key, data)`. Each file
    starts with the SHA-256 of the rest: an entry damaged on disk (cut short by a full disk, say)
    is a miss, never a wrong chapter or a broken EPUB."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder  # None: a cache that never hits and stores nothing

    @classmethod
    def beside(cls, out: Path) -> "Cache":
        return cls(out.resolve().parent / CACHE_DIR_NAME if enabled() else None)

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key

    def get(self, kind: str, key: str) -> bytes | None:
        if self.folder is None:
            return None
        try:
            path = self._path(kind, key)
            stored = path.read_bytes()
            data = stored[_CHECK:]
            if hashlib.sha256(data).digest() != stored[:_CHECK]:
                path.unlink(missing_ok=True)
                return None
            os.utime(path)  # most recently used: kept longest
            return data
        except OSError:
            return None

    def put(self, kind: str, key: str, data: bytes) -> None:
        if self.folder is None:
            return
        try:
            write_atomically(self._path(kind, key), hashlib.sha256(data).digest() + data)
            self._prune(kind)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower

    def get_or_make(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The entry, or make()'s bytes, kept for next time."""
        data = self.get(kind, key)
        if data is None:
            data = make()
            self.put(kind, key, data)
        return data

    def get_json(self, kind: str, key: str) -> object | None:
        data = self.get(kind, key)
        return json.loads(data) if data is not None else None

    def put_json(self, kind: str, key: str, value: object) -> None:
        self.put(kind, key, json.dumps(value, sort_keys=True).encode())

    def _prune(self, kind: str) -> None:
        entries = [p for p in (self.folder / kind).iterdir() if not p.name.startswith(".")]  # type: ignore[operator]
        keep = KEEP.get(kind, KEEP_PER_KIND)
        if len(entries) <= keep + keep // 10:
            return
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)

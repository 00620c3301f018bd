"""The build cache: outputs and intermediate results, keyed by a hash of everything that can change them.

A key covers the manuscript folder (every file, so images and book.yaml too), the styles
folder, the font files, the pipeline's own code, the installed versions of its dependencies,
the Python version and the environment settings that reach the output (SOURCE_DATE_EPOCH).
An entry is only ever read back whole: entries are written to a temporary file and renamed.

The cache lives in the user's own cache folder ($PIPELINE_CACHE_DIR, else
$XDG_CACHE_HOME/pipeline, else ~/.cache/pipeline), never in a manuscript folder, and every
entry carries an HMAC made with a secret key kept there (mode 0600): some entries are
pickles, and a pickle runs code when it is loaded, so only bytes this user's own builds
wrote are ever unpickled. A manuscript that ships a planted cache entry cannot forge one.
PIPELINE_CACHE=0 in the environment turns the cache off.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from pipeline.cache.entries import Entry
from pipeline.read.files import Refused, read_regular, tree_files

_CHECK = 32  # bytes of HMAC-SHA-256 before each cache entry
_KEY_FILE = ".key"
# Entries of one kind kept, the most recently used first: enough for every chapter of several
# large books. Pruning waits for a tenth more, so that it runs once in many writes.
KEEP_PER_KIND = 2000
KEEP = {"output": 16, "build": 64, "cover": 16,  # whole books and covers: the last few are enough
        "section": 1000, "deflate": 1000}  # an EPUB's chapters (markup, compressed): a few books' worth
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the pipeline package, whose code is in every key
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


def tree_digest(folder: Path, skip: Iterable[Path] = ()) -> str:
    """Every (relative path, bytes) pair under folder; hidden files, compiled Python and the
    folders in `skip` (an output folder inside the manuscript folder) excepted. What is never
    read (a link out of the folder, a FIFO, a file over the size limit) counts by its name
    alone: the build reports it, and nothing outside the folder is opened to hash it."""
    h = hashlib.sha256()
    for rel, real in tree_files(folder, frozenset(p.resolve() for p in skip)):
        name = rel.encode()
        try:
            data = read_regular(real) if real is not None else b"\0unread"
        except (Refused, OSError):  # the build itself reports it, if the book uses the file
            data = b"\0unread"
        h.update(len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little"))
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


def _tagged(tag: bytes, data: bytes) -> bytes:
    return tag + len(data).to_bytes(8, "little") + data


def _canonical(value: object) -> bytes:
    """One unambiguous byte form for each input an entry declares (see entries.py)."""
    if isinstance(value, bytes):
        return _tagged(b"b", value)
    if isinstance(value, str):
        return _tagged(b"s", value.encode("utf-8"))
    if value is None or isinstance(value, (bool, int, float)):
        return _tagged(b"n", repr(value).encode())
    if isinstance(value, enum.Enum):
        return _canonical(f"{type(value).__qualname__}.{value.name}")
    if isinstance(value, Path):
        return _canonical(value.as_posix())
    if isinstance(value, (tuple, list)):
        return _tagged(b"t", b"".join(_canonical(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return _tagged(b"d", _canonical(type(value).__qualname__)
                       + b"".join(_canonical(f.name) + _canonical(getattr(value, f.name)) for f in fields))
    if callable(value):  # an option that computes: by its name (what it reads is a field beside it)
        return _canonical(f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}")
    raise TypeError(f"a cache entry's input must be text, bytes, a number, a tuple or a dataclass, not {type(value).__name__}")


def entry_key(entry: Entry) -> str:
    """The key of an entry: its kind, every field, and the pipeline's version."""
    if not (isinstance(entry, Entry) and dataclasses.is_dataclass(entry) and entry.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"the cache holds the entries of pipeline.cache.entries only, not {entry!r}")
    return digest(pipeline_version(), entry.KIND, _canonical(entry))


def user_cache_dir() -> Path:
    if folder := os.environ.get("PIPELINE_CACHE_DIR"):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pipeline"


def _secret(folder: Path) -> bytes | None:
    """The cache's HMAC key, made on first use; None (no cache) if the key file is not this
    user's alone, or the folder can be written by others."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / _KEY_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        except FileExistsError:
            pass
        info, key_info = os.stat(folder), os.lstat(path)
        mine = os.getuid()
        if info.st_uid == mine and info.st_mode & 0o022:  # made by something else with a loose umask
            os.chmod(folder, 0o700)
            info = os.stat(folder)
        if (info.st_uid != mine or info.st_mode & 0o022 or not stat.S_ISREG(key_info.st_mode)
                or key_info.st_uid != mine or key_info.st_mode & 0o077):
            return None
        key = read_regular(path, 64)
        return key if len(key) == 32 else None
    except OSError:
        return None


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
    """Blobs by entry (pipeline.cache.entries): `get(entry)`, `put(entry, data)`, the key made
    from the entry's declared inputs. Each file starts with an HMAC of its kind, key and bytes:
    an entry damaged on disk (cut short by a full disk, say), moved from another key or not
    written by this user's builds is a miss, never a wrong chapter, a broken EPUB or code run."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder  # None: a cache that never hits and stores nothing
        self._key = _secret(folder) if folder is not None else None
        if self._key is None:
            self.folder = None

    @classmethod
    def for_manuscript(cls, root: Path) -> "Cache":
        """The user's cache, unless it is turned off or would lie inside the manuscript folder
        (PIPELINE_CACHE_DIR pointing there): a manuscript's own files are never a cache."""
        if not enabled():
            return cls(None)
        folder = user_cache_dir().resolve()
        return cls(None if folder.is_relative_to(root.resolve()) else folder)

    def _mac(self, kind: str, key: str, data: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, digest(kind, key, data).encode(), hashlib.sha256).digest()

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key

    def path_of(self, entry: Entry) -> Path:
        """Where the entry's file is (for the tests that damage or plant one)."""
        return self._path(entry.KIND, entry_key(entry))

    def get(self, entry: Entry) -> bytes | None:
        return self._read(entry.KIND, entry_key(entry)) if self.folder is not None else None

    def _read(self, kind: str, key: str) -> bytes | None:
        try:
            path = self._path(kind, key)
            stored = read_regular(path, 2**31)
            data = stored[_CHECK:]
            if not hmac.compare_digest(self._mac(kind, key, data), stored[:_CHECK]):
                path.unlink(missing_ok=True)
                return None
            os.utime(path)  # most recently used: kept longest
            return data
        except (OSError, Refused):
            return None

    def put(self, entry: Entry, data: bytes) -> None:
        if self.folder is None:
            return
        kind, key = entry.KIND, entry_key(entry)
        try:
            write_atomically(self._path(kind, key), self._mac(kind, key, data) + data)
            self._prune(kind)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower

    def get_or_make(self, entry: Entry, make: Callable[[], bytes]) -> bytes:
        """The entry, or make()'s bytes, kept for next time."""
        data = self.get(entry)
        if data is None:
            data = make()
            self.put(entry, data)
        return data

    def get_json(self, entry: Entry) -> object | None:
        data = self.get(entry)
        try:
            return json.loads(data) if data is not None else None
        except ValueError:  # UnicodeDecodeError included: an entry of an older format is a miss
            return None

    def put_json(self, entry: Entry, value: object) -> None:
        self.put(entry, json.dumps(value, sort_keys=True).encode())

    def _prune(self, kind: str) -> None:
        entries = [p for p in (self.folder / kind).iterdir() if not p.name.startswith(".")]  # type: ignore[operator]
        keep = KEEP.get(kind, KEEP_PER_KIND)
        if len(entries) <= keep + keep // 10:
            return
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)

"""A digest of a chapter as the renderers receive it, without hashing the whole chapter.

A block read from the cache (or parsed and then stored there) is the same function of its
chapter's cache key (load.py: the chapter file's bytes and everything else it was made
from) whatever the build: it is marked with that key and its place. A block made after that,
by a whole-book pass (a heading given its id, a link resolved), is a new object without a
mark, and is digested from its pickled bytes: only those few are hashed after an edit.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import replace

from pipeline.model import Block, Chapter
from pipeline.cache.remembered import Remembered

_MARKS: Remembered[str] = Remembered()


def mark(blocks: tuple[Block, ...], chapter_key: str) -> None:
    for n, block in enumerate(blocks):
        _MARKS.put(block, f"{chapter_key}:{n}")


def _block(block: Block) -> str:
    return _MARKS.get(block) or hashlib.sha256(pickle.dumps(block, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def chapter_fingerprint(ch: Chapter) -> str:
    """Equal fingerprints: equal chapters (id, metadata, position and every block)."""
    h = hashlib.sha256(pickle.dumps(replace(ch, blocks=()), protocol=pickle.HIGHEST_PROTOCOL))
    for block in ch.blocks:
        h.update(_block(block).encode() + b"\n")
    return h.hexdigest()

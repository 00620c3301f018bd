"""Python's cyclic garbage collector, paused while the model is read and the EPUB written.

The model is frozen dataclasses in tuples: it holds no reference cycles, and every object of
it is freed by reference counting. But reading a large book makes hundreds of thousands of
objects, and each few hundred set off a collection that walks the young ones, and in time
all of them: about a fifth of the time of an EPUB rebuild after an edit. The pause ends
(and collection resumes, finding any cycles made meanwhile) when the block is left, however
it is left; the PDF's layout, whose boxes do hold cycles, runs with the collector on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

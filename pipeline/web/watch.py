"""Watch the manuscript and styles folders and rebuild after a save: changes are debounced
(an editor's save is often several writes), and a change during a build queues one more build."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import DefaultFilter, watch

DEBOUNCE_MS = 1200  # the longest a burst of writes is gathered for
QUIET_MS = 150  # a burst ends after this long without a change


def source_filter(skip: Path) -> DefaultFilter:
    """Editor droppings (swap, backup and lock files, vim's 4913 probe) and the output folder
    are not sources."""
    return DefaultFilter(ignore_paths=[skip.resolve()],
                         ignore_entity_patterns=(*DefaultFilter.ignore_entity_patterns, r"^#.*#$", r"^4913$"))


class Rebuilder:
    """Runs `rebuild` in its own thread whenever the watched folders change."""

    def __init__(self, folders: list[Path], skip: Path, rebuild: Callable[[], object]) -> None:
        self.folders, self.skip, self.rebuild = folders, skip, rebuild
        self.stop = threading.Event()
        self._dirty = threading.Event()
        self._threads = [threading.Thread(target=self._watch, name="watch", daemon=True),
                         threading.Thread(target=self._build, name="rebuild", daemon=True)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def close(self) -> None:
        self.stop.set()
        self._dirty.set()

    def _watch(self) -> None:
        for _changes in watch(*self.folders, watch_filter=source_filter(self.skip), debounce=DEBOUNCE_MS,
                              step=QUIET_MS, stop_event=self.stop, yield_on_timeout=False, raise_interrupt=False):
            self._dirty.set()

    def _build(self) -> None:
        while True:
            self._dirty.wait()
            if self.stop.is_set():
                return
            self._dirty.clear()  # a save during the build sets it again: one more build follows
            self.rebuild()

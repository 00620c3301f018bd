"""Values remembered for model nodes by identity, for as long as each node lives.

By identity, because the model's frozen dataclasses compare (and hash) by value: hashing a
chapter would cost as much as the walk it saves. A weak reference's callback forgets the
entry when its node is freed, so a long-running server does not keep old books alive.
"""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

V = TypeVar("V")


class Remembered(Generic[V]):
    def __init__(self) -> None:
        self._known: dict[int, tuple[V, weakref.ref[object]]] = {}

    def get(self, node: object) -> V | None:
        known = self._known.get(id(node))
        return known[0] if known is not None and known[1]() is node else None

    def put(self, node: object, value: V) -> V:
        key = id(node)
        self._known[key] = (value, weakref.ref(node, lambda _, key=key: self._known.pop(key, None)))
        return value

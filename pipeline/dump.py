"""A readable, stable dump of the document tree, for debugging and golden tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipeline.diagnostics import SourcePos
from pipeline.model import NO_ATTRS, Attrs


def _scalar(value: Any) -> str:
    if isinstance(value, Attrs):
        parts = ([f"#{value.id}"] if value.id else []) + [f".{c}" for c in value.classes]
        return "{" + " ".join(parts + ([f"lang={value.lang}"] if value.lang else [])) + "}"
    if isinstance(value, SourcePos):
        return f"@{value.line}:{value.col}"
    return repr(value)


def dump(node: Any, positions: bool = False, indent: int = 0) -> str:
    pad = "  " * indent
    if not dataclasses.is_dataclass(node):
        return pad + _scalar(node)
    inline, nested = [], []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if (isinstance(value, SourcePos) and not positions) or value == NO_ATTRS or value in ("", 0, ()):
            continue
        if isinstance(value, tuple) and value and (dataclasses.is_dataclass(value[0]) or isinstance(value[0], tuple)):
            nested.append((f.name, value))
        elif dataclasses.is_dataclass(value) and not isinstance(value, (Attrs, SourcePos)):
            nested.append((f.name, (value,)))
        else:
            inline.append(f"{f.name}={_scalar(value)}")
    lines = [f"{pad}{type(node).__name__}" + (f" {' '.join(inline)}" if inline else "")]
    for name, children in nested:
        lines.append(f"{pad}  .{name}")
        for child in children:
            if isinstance(child, tuple):  # list items: a tuple of blocks each
                lines.append(f"{pad}    -")
                lines.extend(dump(c, positions, indent + 3) for c in child)
            else:
                lines.append(dump(child, positions, indent + 2))
    return "\n".join(lines)

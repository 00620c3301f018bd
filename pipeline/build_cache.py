"""Whole outputs from the cache: a rebuild with nothing changed writes the bytes of the last build.

Each output kind (epub, pdf) has a manifest keyed by the hash of every input (cache.inputs_key)
and the kind; it names the output's bytes (stored by their own hash) and keeps the build's
diagnostics, so a cached build reports exactly the warnings the real one did.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import Cache, digest, inputs_key
from pipeline.diagnostics import Diagnostic, Severity, SourcePos


@dataclass(frozen=True)
class CachedOutput:
    slug: str
    data: bytes
    pages: int
    load_diagnostics: tuple[Diagnostic, ...]  # reading and checking the manuscript
    own_diagnostics: tuple[Diagnostic, ...]  # rendering this output


def _to_json(diags: tuple[Diagnostic, ...]) -> list[list[object]]:
    return [[d.severity.value, d.pos.path, d.pos.line, d.pos.col, d.message] for d in diags]


def _from_json(items: list[list[object]]) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(Severity(s), SourcePos(str(p), int(line), int(col)), str(m))  # type: ignore[call-overload]
                 for s, p, line, col, m in items)


class OutputCache:
    def __init__(self, cache: Cache, root: Path, styles_dir: Path, fonts: list[Path], out: Path) -> None:
        self.cache = cache
        self.key = inputs_key(root, styles_dir, fonts, out=out) if cache.folder is not None else ""

    def get(self, kind: str) -> CachedOutput | None:
        if not self.key:
            return None
        manifest = self.cache.get_json("build", digest(self.key, kind))
        if not isinstance(manifest, dict):
            return None
        data = self.cache.get("output", manifest["blob"])
        if data is None or digest(data) != manifest["blob"]:
            return None
        return CachedOutput(manifest["slug"], data, manifest["pages"], _from_json(manifest["load"]),
                            _from_json(manifest["own"]))

    def put(self, kind: str, output: CachedOutput) -> None:
        if not self.key:
            return
        blob = digest(output.data)
        self.cache.put("output", blob, output.data)
        self.cache.put_json("build", digest(self.key, kind), {
            "slug": output.slug, "blob": blob, "pages": output.pages,
            "load": _to_json(output.load_diagnostics), "own": _to_json(output.own_diagnostics)})

"""Whole builds from the cache: a rebuild with nothing changed writes the bytes of the last build.

An entry is keyed by the hash of every input (cache.inputs_key) and the build's settings
(--only, --profile, --strict). It names each output file's bytes (stored by their own hash)
and keeps the build's diagnostics and preflight summary, so a cached build reports exactly
what the real one did.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.cache.store import Cache, digest, inputs_key
from pipeline.cache.entries import OutputFile, WholeBuild
from pipeline.diagnostics import Diagnostic, Severity, SourcePos


@dataclass(frozen=True)
class CachedBuild:
    files: dict[str, bytes]  # output file name -> bytes
    epub: str  # the names BuildResult reports (the EPUB and PDF are named even when not built)
    pdf: str
    cover: str  # "" unless a print profile built a cover
    pages: int
    diagnostics: tuple[Diagnostic, ...]
    preflight: tuple[str, ...]


def _to_json(diags: tuple[Diagnostic, ...]) -> list[list[object]]:
    return [[d.severity.value, d.pos.path, d.pos.line, d.pos.col, d.message] for d in diags]


def _from_json(items: list[list[object]]) -> tuple[Diagnostic, ...]:
    return tuple(Diagnostic(Severity(s), SourcePos(str(p), int(line), int(col)), str(m))  # type: ignore[call-overload]
                 for s, p, line, col, m in items)


class BuildCache:
    def __init__(self, cache: Cache, root: Path, styles_dir: Path, fonts: list[Path], out: Path, settings: str) -> None:
        self.cache = cache
        self.key = inputs_key(root, styles_dir, fonts, settings, out=out) if cache.folder is not None else ""

    def get(self) -> CachedBuild | None:
        if not self.key:
            return None
        manifest = self.cache.get_json(WholeBuild(self.key))
        if not isinstance(manifest, dict):
            return None
        try:
            files: dict[str, bytes] = {}
            for name, blob in manifest["files"].items():
                data = self.cache.get(OutputFile(blob))
                if data is None or digest(data) != blob or Path(name).name != name:  # pruned or damaged
                    return None
                files[name] = data
            return CachedBuild(files, manifest["epub"], manifest["pdf"], manifest["cover"], manifest["pages"],
                               _from_json(manifest["diagnostics"]), tuple(manifest["preflight"]))
        except (KeyError, TypeError, ValueError, AttributeError):  # a manifest of another shape: build afresh
            return None

    def put(self, build: CachedBuild) -> None:
        if not self.key:
            return
        blobs = {}
        for name, data in build.files.items():
            blobs[name] = digest(data)
            self.cache.put(OutputFile(blobs[name]), data)
        self.cache.put_json(WholeBuild(self.key), {
            "files": blobs, "epub": build.epub, "pdf": build.pdf, "cover": build.cover, "pages": build.pages,
            "diagnostics": _to_json(build.diagnostics), "preflight": list(build.preflight)})

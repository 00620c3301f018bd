"""Shared fixtures: real builds, read back by the tests."""

from __future__ import annotations

import http.server
import io
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from pipeline.cli import main
from pipeline.read.meta import slugify

ROOT = Path(__file__).resolve().parent.parent
MANUSCRIPT = ROOT / "manuscript"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Builds in the tests run afresh (and so do the builds of the processes they start): a cache hit
# would skip the very code a test exercises, or replaces with a fault. tests/test_cache.py turns
# the cache on for its own builds.
os.environ["PIPELINE_CACHE"] = "0"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--save-golden-files", action="store_true", help="rewrite tests/golden/* from the current output")


@pytest.fixture(autouse=True)
def own_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's build cache (when a test turns it on) is its own, in its temporary folder,
    never the user's ~/.cache/pipeline."""
    monkeypatch.setenv("PIPELINE_CACHE_DIR", str(tmp_path / ".pipeline-cache"))


@pytest.fixture
def save_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--save-golden-files"))


@dataclass(frozen=True)
class Built:
    source: Path
    out: Path
    epub: Path
    pdf: Path


def build_into(source: Path, out: Path, slug: str) -> Built:
    assert main(["build", str(source), "-o", str(out)]) == 0
    return Built(source, out, out / f"{slug}.epub", out / f"{slug}.pdf")


@pytest.fixture(scope="session")
def anthology(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real book, built once per test session."""
    return build_into(MANUSCRIPT, tmp_path_factory.mktemp("anthology"), "the-darker-the-night-the-brighter-the-star")


@pytest.fixture(scope="session")
def tiny_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_into(FIXTURES / "tiny", tmp_path_factory.mktemp("tiny"), slugify("A Tiny Book"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A writable copy of the tiny manuscript, for tests that break it."""
    dest = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", dest)
    return dest


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that serves a small red PNG at any path and records
    every request: the proof that a build fetched nothing is an empty list."""
    requests: list[str] = []
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, "PNG")
    body = buffer.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests
    finally:
        server.shutdown()
        server.server_close()


# -- the EPUB's typographic cover, drawn once per set of words --------------------------------
# With the cache off, every EPUB build of the suite drew its cover again in a spawned worker
# (an interpreter, WeasyPrint's import, a page laid out: 1.5-2 s of CPU each, most of the
# suite's time). It depends only on its words, the styles and the fonts (cover_entry, the
# cache's key for it), so a test process draws each cover once, with the real code, and gives
# it to every later build, as the build cache would. tests/test_cover.py tests the worker itself.
_COVERS: dict[object, bytes] = {}


class _CoverDrawnOnce:
    def __init__(self, args: tuple, styles_dir: Path) -> None:  # type: ignore[type-arg]
        from pipeline.build import cover_job

        self.args, self.styles_dir = args, styles_dir
        self.key = cover_job.cover_entry(args, styles_dir)

    def take(self, args: tuple) -> bytes | None:  # type: ignore[type-arg]
        from pipeline.build import cover_job

        if args != self.args:
            return None
        if self.key not in _COVERS:
            _COVERS[self.key] = cover_job._draw(args, self.styles_dir)
        return _COVERS[self.key]

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def covers_drawn_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.module.__name__ != "test_cover":
        from pipeline.build import cover_job

        monkeypatch.setattr(cover_job, "CoverJob", _CoverDrawnOnce)

"""Fixtures for the web tests: the book's server on a free loopback port, a headless Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.build import STYLES_DIR
from pipeline.web.server import BookServer
from pipeline.web.state import BookState
from pipeline.web.watch import Rebuilder

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package; `make test` installs it


@dataclass
class Served:
    url: str
    state: BookState
    server: BookServer
    out: Path
    source: Path


def start_server(state: BookState, live: bool = False, max_connections: int = 32) -> tuple[BookServer, threading.Thread]:
    server = BookServer("127.0.0.1", 0, state, live=live, max_connections=max_connections)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return server, thread


def stop_server(server: BookServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def served_tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The tiny book built once and served (not live)."""
    source = Path(__file__).resolve().parent / "fixtures" / "tiny"
    out = tmp_path_factory.mktemp("served")
    state = BookState(source, out, STYLES_DIR)
    assert not state.rebuild().errors
    server, thread = start_server(state)
    try:
        yield Served(server.url, state, server, out, source)
    finally:
        state.close()
        stop_server(server, thread)


@pytest.fixture
def live_tiny(tmp_path: Path) -> Iterator[Served]:
    """A writable copy of the tiny manuscript, served by `preview`: watched and rebuilt."""
    source = tmp_path / "tiny"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "tiny", source)
    out = tmp_path / "out"
    state = BookState(source, out, STYLES_DIR)
    assert not state.rebuild().errors
    server, thread = start_server(state, live=True)
    rebuilder = Rebuilder([source, STYLES_DIR], out, state.rebuild)
    rebuilder.start()
    try:
        yield Served(server.url, state, server, out, source)
    finally:
        rebuilder.close()
        state.close()
        stop_server(server, thread)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield chromium
        finally:
            chromium.close()

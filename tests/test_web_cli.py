"""The web commands as a user runs them: `serve` and `preview` as processes, `site` through main()."""

from __future__ import annotations

import contextlib
import html.parser
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.web.bookpage import spreads

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
SLUG = "a-tiny-book"


class _Refs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [v for k, v in attrs if k in ("href", "src", "data-zoom") and v]


def test_spreads_are_facing_pages() -> None:
    assert spreads(1) == [(1,)]
    assert spreads(2) == [(1,), (2,)]
    assert spreads(5) == [(1,), (2, 3), (4, 5)]
    assert spreads(6) == [(1,), (2, 3), (4, 5), (6,)]


def test_site_is_self_contained_with_relative_links(tmp_path: Path) -> None:
    out, site = tmp_path / "build", tmp_path / "site"
    assert main(["site", str(TINY), "--build-dir", str(out), "-o", str(site)]) == 0
    parser = _Refs()
    parser.feed((site / "index.html").read_text())
    local = [r.split("#")[0] for r in parser.refs if not r.startswith("#")]
    assert local and all(not re.match(r"^(/|[a-z]+:)", r) for r in local), local  # relative only: works from file://
    for ref in set(local):
        assert (site / ref).is_file(), ref
    pages = len(list((site / "pages").glob("*/s-*.png")))
    assert pages == len(list((site / "pages").glob("*/z-*.png"))) > 0
    assert (site / "files" / f"{SLUG}.epub").read_bytes() == (out / f"{SLUG}.epub").read_bytes()
    assert "data-live" not in (site / "index.html").read_text()  # no server to listen to
    # a second run replaces its own site
    (site / "files" / "stale.txt").write_text("old")
    assert main(["site", str(TINY), "--build-dir", str(out), "-o", str(site)]) == 0
    assert not (site / "files" / "stale.txt").exists()


def test_site_never_replaces_a_foreign_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    assert main(["site", str(TINY), "--build-dir", str(tmp_path / "build"), "-o", str(target)]) == 2
    assert (target / "notes.txt").read_text() == "keep me" and sorted(os.listdir(target)) == ["notes.txt"]
    assert "was not written by 'pipeline site'" in capsys.readouterr().err


def test_site_of_a_broken_manuscript_reports_positions(tiny: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "first.md").write_text((tiny / "first.md").read_text().replace("[^a]", "[^nowhere]", 1))
    assert main(["site", str(tiny), "--build-dir", str(tmp_path / "b"), "-o", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"first\.md:\d+:\d+: error: footnote \[\^nowhere\]", err) and "Traceback" not in err
    assert not (tmp_path / "s").exists()


@contextlib.contextmanager
def running(command: str, source: Path, out: Path) -> Iterator[tuple[str, list[str]]]:
    """The command as a process; yields its URL and, once it has stopped on Ctrl-C, its stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", command, str(source), "-o", str(out), "--port", "0"],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if match := re.search(r"at (http://127\.0\.0\.1:\d+/)", line):
                break
        else:
            raise AssertionError(f"{command} did not start: {''.join(lines)}")
        yield match[1], lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, rest = proc.communicate(timeout=30)  # a server that ignores Ctrl-C fails the test, never hangs it
            lines.append(rest)
            lines.append(f"exit {proc.returncode}")
        finally:
            proc.kill()
            proc.stderr.close()


@pytest.mark.parametrize("command", ["serve", "preview"])
def test_command_serves_and_stops_on_ctrl_c(command: str, tiny: Path, tmp_path: Path) -> None:
    with running(command, tiny, tmp_path / "out") as (url, stderr):
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"<h1>A Tiny Book</h1>" in response.read()
        with urllib.request.urlopen(url + f"files/{SLUG}.pdf", timeout=10) as response:
            assert response.read() == (tmp_path / "out" / f"{SLUG}.pdf").read_bytes()
    assert stderr[-1] == "exit 0" and "Traceback" not in "".join(stderr)


def test_serve_uses_an_up_to_date_build_without_rebuilding(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", str(tiny), "-o", str(out), "-q"]) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    with running("serve", tiny, out) as (url, _):
        urllib.request.urlopen(url, timeout=10).close()
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == before


def test_serve_refuses_a_port_in_use(tiny: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "pipeline", "serve", str(tiny), "-o", str(tmp_path / "o"),
                               "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_of_a_broken_manuscript_fails_like_build(tiny: Path, tmp_path: Path) -> None:
    (tiny / "second.md").write_text((tiny / "second.md").read_text().replace("title:", "title: [", 1))
    done = subprocess.run([sys.executable, "-m", "pipeline", "serve", str(tiny), "-o", str(tmp_path / "o"),
                           "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert re.search(r"second\.md:\d+:\d+: error: ", done.stderr) and "use 'preview'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o" / f"{SLUG}.pdf").exists()

"""Running a build as a hostile manuscript's victim would: in its own process, with every file
it opens recorded by a Python audit hook, bounded in time so that a hang fails the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

# Records the path of every `open` audit event (builtins.open, os.open, io.open: every file
# Python code opens) and writes them, once, as the process exits.
_AUDITED = """
import atexit, json, os, sys
opened, log = [], sys.argv.pop(1)
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.append(os.fsdecode(args[0]))
sys.addaudithook(hook)
def save():
    sys.addaudithook(lambda *a: None)
    data = json.dumps(opened)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data.encode()); os.close(fd)
atexit.register(save)
from pipeline.cli import main
code = main(sys.argv[1:])
sys.stdout.flush(); sys.stderr.flush()
save()
os._exit(code)
"""


@dataclass(frozen=True)
class Run:
    code: int
    stderr: str
    opened: tuple[str, ...]  # every path the build's Python code opened

    def opened_any(self, *paths: Path | str) -> list[str]:
        """The recorded opens that are, or resolve to, one of `paths`."""
        wanted = {os.path.realpath(p) for p in paths} | {str(p) for p in paths}
        return [p for p in self.opened if p in wanted or os.path.realpath(p) in wanted]


def run_build(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 240,
              preexec=None) -> Run:  # type: ignore[no-untyped-def]
    """`python -m pipeline ARGS` with the audit hook; `timeout` is a safety net for a hang
    (the test fails), never a wait."""
    log = Path(tempfile.gettempdir()) / f"opened-{os.urandom(6).hex()}.json"
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-c", _AUDITED, str(log), *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)
    try:
        opened = tuple(json.loads(log.read_text())) if log.exists() else ()
    finally:
        log.unlink(missing_ok=True)
    return Run(proc.returncode, proc.stderr, opened)

"""One command timed as the machine saw it: wall time, CPU time of the process and every process
it started and waited for, and the peak of the memory of all of them at once.

The old benchmark read `ru_maxrss` from wait4: the largest single process. A build with worker
processes holds several at once, so the memory a machine needs for it is their sum; here the
process tree is sampled (psutil) every SAMPLE_S while the command runs and the largest sum kept.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_S = 0.02  # between two samples of the process tree's memory (not a wait on an event: a sampling rate)


@dataclass(frozen=True)
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system: the process and the children it waited for (pool workers, pandoc's, typst's threads)
    peak_mb: float  # the largest sum of the resident memory of the process and its descendants


class _TreeMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.wait(SAMPLE_S):
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                        pass
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                return
            self.peak = max(self.peak, total)


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    memory = _TreeMemory(proc.pid)
    memory.start()
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    memory.done.set()
    memory.join()
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"benchmark step failed ({code}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    # ru_maxrss (KiB) of the one process, if the tree was never sampled (a command shorter than SAMPLE_S)
    peak = max(memory.peak / 2**20, usage.ru_maxrss / 1024)
    return Run(round(seconds, 3), round(usage.ru_utime + usage.ru_stime, 3), round(peak, 1))

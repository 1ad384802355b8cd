"""Peak resident memory of the product's processes while a benchmark runs.

A background thread walks each role's process tree (the gunicorn master and its workers; an RQ worker
and the work horse it forks per job) every `interval_s` and keeps, per role, the largest `VmHWM` seen —
the kernel's own high-water mark of a process's resident set, so a peak between two samples is not
missed while the process lives. A horse that grows and exits between two samples is the only blind spot,
and a job that matters here runs for seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [pid, *(c.pid for c in root.children(recursive=True))]
    except psutil.Error:
        return []


class PeakMemory:
    """`with PeakMemory(product.pids) as mem: …` then `mem.peak_mb` -> {role: MB}."""

    def __init__(self, pids: Callable[[], dict[str, list[int]]], interval_s: float = 0.1):
        self.pids = pids
        self.interval_s = interval_s
        self.peak_kb: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def sample(self) -> None:
        for role, roots in self.pids().items():
            for root in roots:
                for pid in _tree(root):
                    self.peak_kb[role] = max(self.peak_kb.get(role, 0), _hwm_kb(pid))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    @property
    def peak_mb(self) -> dict[str, float]:
        return {role: round(kb / 1024, 1) for role, kb in sorted(self.peak_kb.items())}

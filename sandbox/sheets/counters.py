"""Counters of API calls per method (e.g. `spreadsheets.values.batchGet`), read by benchmarks.

`calls` counts every `/v4/*` request the emulator routed to a method, whatever its outcome; `errors`
counts those answered with an error status, by method and status. Admin calls are never counted.
"""

from __future__ import annotations

import threading
from collections import Counter


class CallCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def count(self, method_id: str) -> None:
        with self._lock:
            self._calls[method_id] += 1

    def error(self, method_id: str, status: int) -> None:
        with self._lock:
            self._errors[f"{method_id} {status}"] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "total": sum(self._calls.values()),
                "errors": dict(self._errors),
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._errors.clear()

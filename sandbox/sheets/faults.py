"""Fault knobs for tests and benchmarks: force the next N API responses to 429 / 500 / 503, and add
latency to every API call. Only `/v4/*` calls are affected (never `/_sandbox/*` or the certs).

A forced 429 carries Google's quota error body; 500 and 503 carry Google's INTERNAL / UNAVAILABLE
bodies. A forced fault answers before the call touches any state, so it never applies half a write.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

from sandbox.sheets.errors import ApiError
from sandbox.sheets.quotas import kind_of, quota_error

FAULT_STATUSES = (429, 500, 503)


@dataclass
class FaultSettings:
    status: int | None = None
    remaining: int = 0
    latency_ms: int = 0
    methods: list[str] = field(default_factory=list)  # empty = every method


def forced_error(status: int, method_id: str, project: str, user_limit: int) -> ApiError:
    if status == 429:
        return quota_error(kind_of(method_id), True, project, user_limit)
    if status == 503:
        return ApiError(503, "The service is currently unavailable.", "UNAVAILABLE")
    return ApiError(500, "Internal error encountered.", "INTERNAL")


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.settings = FaultSettings()

    def configure(
        self, status: int | None, count: int, latency_ms: int = 0, methods: list[str] | None = None
    ) -> FaultSettings:
        if status is not None and status not in FAULT_STATUSES:
            raise ValueError(f"status must be one of {FAULT_STATUSES}")
        with self._lock:
            self.settings = FaultSettings(
                status, max(count, 0) if status else 0, max(latency_ms, 0), methods or []
            )
            return self.settings

    def latency_s(self, method_id: str) -> float:
        s = self.settings
        if s.latency_ms and (not s.methods or method_id in s.methods):
            return s.latency_ms / 1000
        return 0.0

    def take(self, method_id: str) -> int | None:
        """The status to force for this call, if any (consumes one of the N)."""
        with self._lock:
            s = self.settings
            if s.status is None or s.remaining <= 0 or (s.methods and method_id not in s.methods):
                return None
            s.remaining -= 1
            return s.status

    def snapshot(self) -> dict:
        with self._lock:
            return asdict(self.settings)

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()

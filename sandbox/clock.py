"""A virtual clock for the emulators: real time plus an offset that tests move forward.

`advance(86400 * 90)` makes a 3-month token lapse testable in milliseconds. Each emulator owns one
clock; everything time-dependent in it (token expiry, rate-limit windows that should follow virtual
time, webhook retry schedules, `updated_at`) reads `clock.now()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify


class Clock:
    def __init__(self, offset_s: float = 0.0):
        self._offset = offset_s
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def snapshot(self) -> dict[str, float]:
        """What both emulators' admin APIs answer for their clock."""
        with self._lock:
            return {"now": time.time() + self._offset, "offset": self._offset}


def add_clock_routes(
    bp: Blueprint, clock: Callable[[], Clock], advance: Callable[[float], Any], body: Callable[[], dict]
) -> None:
    """`GET /clock` and `POST /clock/advance {seconds}` on an emulator's admin blueprint: both answer the
    clock's snapshot. `advance` is the emulator's own (amoCRM's also wakes its webhook thread)."""

    def advance_clock():
        advance(float(body().get("seconds", 0)))
        return jsonify(clock().snapshot())

    bp.add_url_rule("/clock", "clock", lambda: jsonify(clock().snapshot()), methods=["GET"])
    bp.add_url_rule("/clock/advance", "advance_clock", advance_clock, methods=["POST"])

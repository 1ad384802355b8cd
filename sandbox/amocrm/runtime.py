"""`Emulator`: everything one running amoCRM emulator owns, kept in `app.extensions["amocrm"]`.

One re-entrant lock guards all state: the app takes it around every request (see app.py) and the
webhook dispatcher takes it to pick and record deliveries, never while it waits on the network.
"""

from __future__ import annotations

import copy
import logging
import threading
from pathlib import Path

from flask import current_app

from sandbox.amocrm import seed
from sandbox.amocrm.delivery import Dispatcher
from sandbox.amocrm.faults import Knobs
from sandbox.amocrm.limits import Counters, RateLimiter
from sandbox.amocrm.state import Integration, State
from sandbox.clock import Clock

log = logging.getLogger(__name__)


class Emulator:
    """One emulator's state and machinery, served by `app.create_app(emulator)`.

    `state` defaults to the seed; `integration` is the start-up integration (the seed's, and what
    `/_sandbox/reset` restores); `knobs` are the defaults `reset` returns to. A `clock` passed in is used
    until the first reset, which starts a fresh one at real time (move time with `/_sandbox/clock/advance`).
    """

    def __init__(
        self,
        state: State | None = None,
        *,
        clock: Clock | None = None,
        integration: Integration | None = None,
        state_file: Path | None = None,
        knobs: Knobs | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.integration = integration or Integration(
            seed.DEFAULT_CLIENT_ID, seed.DEFAULT_CLIENT_SECRET, seed.DEFAULT_REDIRECT_URI
        )
        self.clock = clock or Clock(state.clock_offset if state else 0.0)
        self.state = state or seed.default_state(Integration(**vars(self.integration)), self.now())
        self.state_file = state_file
        self.default_knobs = knobs or Knobs()
        self.knobs = copy.deepcopy(self.default_knobs)
        self.limiter = RateLimiter()
        self.counters = Counters()
        self.dispatcher = Dispatcher(self)

    def now(self) -> int:
        """Virtual time in whole seconds: what every `created_at`, `updated_at` and `exp` is made of."""
        return int(self.clock.now())

    def reset(self) -> None:
        """Back to the default seed: fresh account, the start-up integration, default knobs, clock at
        real time, counters and limits cleared, undelivered webhooks forgotten."""
        with self.lock:
            self.clock = Clock()
            self.state = seed.default_state(Integration(**vars(self.integration)), self.now())
            self.knobs = copy.deepcopy(self.default_knobs)
            self.limiter.reset()
            self.counters.reset()
            self.dispatcher.reset()

    def advance(self, seconds: float) -> float:
        with self.lock:
            offset = self.clock.advance(seconds)
        self.dispatcher.wake()
        return offset

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            self.state.clock_offset = self.clock.offset
            self.state.save(self.state_file)
        log.info("amocrm sandbox: state saved to %s", self.state_file)

    def start(self) -> Emulator:
        self.dispatcher.start()
        return self

    def close(self) -> None:
        self.dispatcher.stop()
        self.save()


def current() -> Emulator:
    return current_app.extensions["amocrm"]

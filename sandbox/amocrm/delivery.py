"""Webhook delivery: a background thread that POSTs queued deliveries on the virtual clock.

Rules (reference §6.3): the first attempt goes out at once (plus the `webhook_delay` knob); the sender
waits `webhook_timeout` (2 s); any status in 100–299 is delivered, anything else (including a timeout
or refused connection, recorded as status 0) is a failure. Retries follow `webhook_retry_ladder`
(5 m, 15 m, 15 m, 1 h): attempts 2 and 3 after any failure, attempts 4 and 5 only after a 499 or 5xx.
A webhook with more than 100 failures in the last 2 hours, the latest one included, is disabled and its
pending deliveries are dropped; posting the same destination again re-enables it (the UI's "Save").

Due times are virtual, so `POST /_sandbox/clock/advance` makes retries happen now. The thread holds the
emulator lock only to pick and record deliveries, never while it waits on a receiver. The same thread
sends the OAuth "access revoked" GET hooks.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from sandbox.amocrm.runtime import Emulator

log = logging.getLogger(__name__)

USER_AGENT = "amoCRM-Webhooks/3.0"
DISABLE_WINDOW = 2 * 3600
DISABLE_AFTER = 100  # more than this many failures in the window disables the webhook
KEEP = 5000  # deliveries kept for inspection


@dataclass
class Delivery:
    id: int
    host: str
    webhook_id: int
    destination: str
    form: list[tuple[str, str]]
    created_at: float
    due_at: float
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    copies: int = 1  # the duplicate knob sends the first attempt twice
    state: str = "pending"  # pending | delivered | failed | dropped | disabled
    attempts: list[dict] = field(default_factory=list)
    in_flight: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "destination": self.destination,
            "request_id": self.request_id,
            "state": self.state,
            "created_at": self.created_at,
            "due_at": self.due_at,
            "attempts": self.attempts,
            "form": [list(p) for p in self.form],
        }


class Dispatcher:
    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._session.trust_env = False  # loopback receivers: never through an environment proxy
        self.reset()

    def reset(self) -> None:
        with self._emu.lock:
            self.generation = getattr(self, "generation", 0) + 1
            self.deliveries: deque[Delivery] = deque(maxlen=KEEP)
            self.failures: dict[tuple[str, int], deque[float]] = {}
            self.hook_calls: list[dict] = []
            self._jobs: deque[dict] = deque()
            self._seq = 0
            self._calling = False

    # ---- producers (called with the emulator lock held) -------------------------------------------
    def enqueue(self, host: str, webhook_id: int, destination: str, form: list[tuple[str, str]]) -> Delivery:
        knobs, now = self._emu.knobs, self._emu.clock.now()
        self._seq += 1
        d = Delivery(self._seq, host, webhook_id, destination, form, now, now + knobs.webhook_delay)
        if knobs.webhook_drop > 0:
            knobs.webhook_drop -= 1
            d.state = "dropped"
        elif knobs.webhook_duplicate > 0:
            knobs.webhook_duplicate -= 1
            d.copies = 2
        self.deliveries.append(d)
        self.wake()
        return d

    def call_hook(self, url: str, params: dict[str, str], user_agent: str) -> None:
        self._jobs.append({"url": url, "params": params, "user_agent": user_agent})
        self.wake()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # ---- the thread ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="amocrm-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self._step()
            except Exception:  # the thread must survive a bug in one delivery; log it loudly
                log.exception("amocrm webhooks: dispatcher step failed")
                worked = False
            if not worked:
                with self._cond:
                    self._cond.wait(0.05)

    def _step(self) -> bool:
        with self._emu.lock:
            generation = self.generation
            job = self._jobs.popleft() if self._jobs else None
            self._calling = job is not None
            due = [] if job else self._take_due()
            timeout = self._emu.knobs.webhook_timeout
        if job:
            self._call(job)
            return True
        for d, sent_at in due:
            codes = [self._post(d, timeout) for _ in range(d.copies)]
            d.copies = 1
            with self._emu.lock:
                if generation == self.generation:
                    self._record(d, codes[-1], sent_at)
        return bool(due)

    def _take_due(self) -> list[tuple[Delivery, float]]:
        # An attempt is dated when it is sent: the next one is due a ladder step after that, however
        # long the receiver took (and whatever the virtual clock did meanwhile).
        now = self._emu.clock.now()
        due = [d for d in self.deliveries if d.state == "pending" and not d.in_flight and d.due_at <= now]
        due.sort(key=lambda d: (d.due_at, d.id), reverse=self._emu.knobs.webhook_reorder)
        for d in due:
            d.in_flight = True
        return [(d, now) for d in due]

    def _post(self, d: Delivery, timeout: float) -> tuple[int, str | None]:
        headers = {"User-Agent": USER_AGENT, "X-Amocrm-Requestid": d.request_id, "Accept-Encoding": "gzip"}
        try:
            resp = self._session.post(d.destination, data=d.form, headers=headers, timeout=timeout)
            return resp.status_code, None
        except requests.RequestException as exc:
            return 0, type(exc).__name__

    def _record(self, d: Delivery, result: tuple[int, str | None], now: float) -> None:
        code, error = result
        d.in_flight = False
        d.attempts.append({"at": now, "status": code, "error": error})
        if d.state != "pending":
            return
        if 100 <= code <= 299:
            d.state = "delivered"
            return
        if self._count_failure(d, now):
            return
        ladder = self._emu.knobs.webhook_retry_ladder
        n = len(d.attempts)  # attempts made so far; the next one is n + 1
        retryable = n <= 2 or code == 499 or code >= 500
        if n <= len(ladder) and retryable:
            d.due_at = now + ladder[n - 1]
        else:
            d.state = "failed"

    def _count_failure(self, d: Delivery, now: float) -> bool:
        """Record a failure; True if it disabled the webhook."""
        window = self.failures.setdefault((d.host, d.webhook_id), deque())
        window.append(now)
        while window and window[0] <= now - DISABLE_WINDOW:
            window.popleft()
        if len(window) <= DISABLE_AFTER:
            return False
        account = self._emu.state.account(d.host)
        hook = account.webhooks.get(d.webhook_id) if account else None
        if hook is not None:
            hook["disabled"] = True
            log.info("amocrm webhooks: %s disabled after %d failures in 2 h", d.destination, len(window))
        for other in self.deliveries:
            if other.webhook_id == d.webhook_id and other.host == d.host and other.state == "pending":
                other.state = "disabled"
        return True

    def _call(self, job: dict) -> None:
        try:
            resp = self._session.get(
                job["url"], params=job["params"], headers={"User-Agent": job["user_agent"]}, timeout=2
            )
            job["status"] = resp.status_code
        except requests.RequestException as exc:
            job["status"], job["error"] = 0, type(exc).__name__
        with self._emu.lock:
            self.hook_calls.append(job)
            self._calling = False

    # ---- inspection ---------------------------------------------------------------------------------
    def idle(self) -> bool:
        """Nothing due now and nothing in flight (called with the emulator lock held)."""
        now = self._emu.clock.now()
        busy = any(d.in_flight or (d.state == "pending" and d.due_at <= now) for d in self.deliveries)
        return not busy and not self._jobs and not self._calling

    def reenable(self, host: str, webhook_id: int) -> None:
        self.failures.pop((host, webhook_id), None)

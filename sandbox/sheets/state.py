"""Everything the emulator remembers, behind one lock, and its JSON persistence (`--state FILE`).

One `SheetsState` per app: spreadsheets by id, access tokens, quota tracker, fault knobs, call
counters, the ID-token issuer (its key is persisted so tokens minted before a restart still verify),
the virtual clock and the CORS switch. Handlers run under `lock`; counters, quotas and faults have
their own small locks so a slow call never blocks them.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict
from pathlib import Path

from sandbox.clock import Clock
from sandbox.sheets.auth import DEFAULT_ANONYMOUS_PRINCIPAL, DEFAULT_PROJECT, AccessTokens
from sandbox.sheets.counters import CallCounters
from sandbox.sheets.faults import FaultInjector
from sandbox.sheets.identity import IdTokenIssuer
from sandbox.sheets.model import Principal, Spreadsheet
from sandbox.sheets.quotas import QuotaSettings, QuotaTracker


class SheetsState:
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        anonymous_principal: str = DEFAULT_ANONYMOUS_PRINCIPAL,
        project: str = DEFAULT_PROJECT,
        quotas: QuotaSettings | None = None,
        cors: bool = False,
        seed: int | None = None,
        issuer: IdTokenIssuer | None = None,
    ):
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.project = project
        self.anonymous_email = anonymous_principal
        self.default_quotas = quotas or QuotaSettings()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.tokens = AccessTokens(self.clock)
        self.quotas = QuotaTracker(self.clock, QuotaSettings(**asdict(self.default_quotas)))
        self.faults = FaultInjector()
        self.counters = CallCounters()
        self.issuer = issuer or IdTokenIssuer(self.clock)
        self.cors = self.default_cors = cors
        self.rng = random.Random(seed)

    @property
    def anonymous(self) -> Principal | None:
        """The principal of a call without credentials; None when anonymous calls are refused."""
        return Principal(self.anonymous_email, self.project) if self.anonymous_email else None

    def reset(self) -> None:
        """Forget spreadsheets, tokens, usage, faults and counters; restore the configured quotas and
        CORS switch. The clock only moves forward and the signing key stays (verifiers may cache it)."""
        with self.lock:
            self.spreadsheets.clear()
        self.tokens.reset()
        self.quotas.reset(QuotaSettings(**asdict(self.default_quotas)))
        self.faults.reset()
        self.counters.reset()
        self.cors = self.default_cors

    # --- persistence -------------------------------------------------------------------------------

    def to_json(self) -> dict:
        with self.lock:
            return {
                "version": 1,
                "spreadsheets": [ss.to_json() for ss in self.spreadsheets.values()],
                "tokens": self.tokens.to_json(),
                "quotas": asdict(self.quotas.settings),
                "clock_offset": self.clock.offset,
                "issuer_key": self.issuer.private_key_pem().decode(),
            }

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json()), encoding="utf-8")
        tmp.replace(path)  # never leave a half-written state file behind

    @classmethod
    def load(cls, path: Path, **kwargs) -> SheetsState:
        data = json.loads(path.read_text(encoding="utf-8"))
        clock = kwargs.pop("clock", None) or Clock(data.get("clock_offset", 0.0))
        issuer = IdTokenIssuer(clock, data["issuer_key"].encode()) if data.get("issuer_key") else None
        state = cls(clock=clock, issuer=issuer, **kwargs)
        for ss in data.get("spreadsheets", []):
            loaded = Spreadsheet.from_json(ss)
            state.spreadsheets[loaded.spreadsheet_id] = loaded
        state.tokens.load_json(data.get("tokens", {}))
        if data.get("quotas"):
            state.quotas.configure(**data["quotas"])
        return state

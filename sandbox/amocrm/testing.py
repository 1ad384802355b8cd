"""Start the amoCRM emulator in-process for tests, benchmarks and the demo.

    with running_amocrm() as amo:               # a free loopback port, its own webhook thread
        amo.admin.reset()
        tokens = amo.tokens()                   # the OAuth dance through the authorize page
        requests.get(amo.api() + "/leads", headers={"Authorization": "Bearer " + tokens["access_token"]})

`start_amocrm()` returns the same `RunningAmo` for session-scoped fixtures; call `.stop()` at the end.
`TEST_KNOBS` are what the fidelity suite sets after each reset (a high rate limit, so only the tests
about the limit meet the real 7 req/s).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask

from sandbox.amocrm import seed
from sandbox.amocrm.app import create_app
from sandbox.amocrm.client import AmoSandbox
from sandbox.amocrm.runtime import Emulator
from sandbox.serve import ServerThread

TEST_KNOBS: dict[str, Any] = {"rps": 1000.0}


@dataclass
class RunningAmo:
    app: Flask
    server: ServerThread
    admin: AmoSandbox

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def emulator(self) -> Emulator:
        return self.app.extensions["amocrm"]

    def base(self, host: str = seed.DEFAULT_HOST) -> str:
        """The account's base URL on the emulator: https://{host} in production."""
        return f"{self.url}/{host}"

    def api(self, host: str = seed.DEFAULT_HOST) -> str:
        return f"{self.base(host)}/api/v4"

    def reset(self, **knobs: Any) -> None:
        """Default seed, clock at real time, then `TEST_KNOBS` overridden by `knobs`."""
        self.admin.reset()
        self.admin.set_faults(**{**TEST_KNOBS, **knobs})

    def tokens(
        self,
        host: str = seed.DEFAULT_HOST,
        *,
        client_id: str = seed.DEFAULT_CLIENT_ID,
        client_secret: str = seed.DEFAULT_CLIENT_SECRET,
        redirect_uri: str = seed.DEFAULT_REDIRECT_URI,
        user_id: int | None = None,
    ) -> dict:
        """A token pair the way an integration gets one: authorize page → code → token endpoint."""
        code = self.admin.authorize(client_id, host, user_id=user_id)["code"]
        resp = self.admin.session.post(
            f"{self.base(host)}/oauth2/access_token",
            json={
                "client_id": client_id,
                "client_secret": client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
            },
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()

    def session(self, host: str = seed.DEFAULT_HOST, **token_kwargs: Any) -> requests.Session:
        """A requests session that carries a fresh Bearer token for `host`."""
        s = requests.Session()
        s.trust_env = False
        s.headers["Authorization"] = "Bearer " + self.tokens(host, **token_kwargs)["access_token"]
        return s

    def stop(self) -> None:
        self.server.stop()
        self.emulator.close()


def start_amocrm(host: str = "127.0.0.1", port: int = 0, **emulator_options: Any) -> RunningAmo:
    """`emulator_options` are `Emulator`'s (state, clock, integration, state_file, knobs)."""
    app = create_app(Emulator(**emulator_options))
    server = ServerThread(app, host, port).start()
    return RunningAmo(app, server, AmoSandbox(server.url))


@contextmanager
def running_amocrm(host: str = "127.0.0.1", port: int = 0, **emulator_options: Any) -> Iterator[RunningAmo]:
    amo = start_amocrm(host, port, **emulator_options)
    try:
        yield amo
    finally:
        amo.stop()

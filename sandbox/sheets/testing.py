"""Run the Sheets emulator inside a test process: `SheetsEmulator`, for fixtures in any test suite.

    from sandbox.sheets.testing import SheetsEmulator

    @pytest.fixture(scope="session")
    def sheets_emulator():
        with SheetsEmulator() as emulator:      # a real HTTP server on a free loopback port
            yield emulator

    @pytest.fixture
    def sheets(sheets_emulator):
        sheets_emulator.admin.reset()           # a clean emulator per test
        return sheets_emulator

`emulator.url`, `emulator.admin` (a `SheetsSandbox` admin client), `emulator.clock` (the virtual
clock, shared with the app), `emulator.service(token=None)` (a google-api-python-client Sheets resource
pointed at the emulator, anonymous or acting with a minted access token). Self-contained: needs only
the sandbox package, google-api-python-client and google-auth.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sandbox.clock import Clock
from sandbox.serve import ServerThread, Startable
from sandbox.sheets.client import SheetsSandbox


class SheetsEmulator(Startable):
    def __init__(self, **state_options: Any):
        """`state_options` are `SheetsState`'s (anonymous_principal, project, quotas, cors, …)."""
        from sandbox.sheets.app import create_app
        from sandbox.sheets.state import SheetsState

        self.clock: Clock = state_options.pop("clock", None) or Clock()
        self.app = create_app(SheetsState(clock=self.clock, **state_options))
        self.state = self.app.extensions["sheets_sandbox"]
        self._server: ServerThread | None = None
        self._admin: SheetsSandbox | None = None

    def start(self) -> SheetsEmulator:
        self._server = ServerThread(self.app).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        return self._server.url

    @property
    def admin(self) -> SheetsSandbox:
        if self._admin is None or self._admin.base_url != self.url:
            self._admin = SheetsSandbox(self.url)
        return self._admin

    def service(self, token: str | None = None) -> Any:
        """A Sheets v4 resource (static discovery) as the backend builds it; with `token`, it acts as the
        e-mail that token was minted for (`admin.mint_access_token(email)`)."""
        from google.auth.credentials import AnonymousCredentials
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build_from_document

        # What build("sheets", "v4", static_discovery=True) does, minus re-reading the 600 kB document
        # for every client a test makes.
        credentials = Credentials(token) if token else AnonymousCredentials()
        return build_from_document(
            _static_document(), credentials=credentials, client_options={"api_endpoint": self.url + "/"}
        )


@cache
def _static_document() -> str:
    from sandbox.sheets.discovery import document

    return json.dumps(document())

"""`AmoSandbox`: a small typed client of the emulator's `/_sandbox/` admin API, for tests, the demo and
benchmarks. It never calls `/api/v4` (that is what the product's own client and the PyPI client are
for), except `authorize`, which drives the HTML authorize page the way a browser would.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests


class SandboxError(RuntimeError):
    """The admin API refused a request; the message is its `error`."""


class AmoSandbox:
    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # the emulator is on loopback: never via an environment proxy

    # ---- plumbing -----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        resp = self.session.request(
            method, f"{self.base_url}/_sandbox{path}", json=json, params=params or None, timeout=self.timeout
        )
        if resp.status_code >= 400:
            try:
                detail = resp.json()
            except ValueError:
                detail = resp.text
            raise SandboxError(f"{method} {path}: {resp.status_code} {detail}")
        return resp.json()

    def api_base(self, host: str) -> str:
        """The account's base URL on the emulator (what `https://{host}` is in production)."""
        return f"{self.base_url}/{host}"

    # ---- lifecycle, clock, faults, limits, counters ----------------------------------------------------
    def reset(self) -> None:
        self._call("POST", "/reset")

    def save(self) -> str:
        return self._call("POST", "/save")["saved"]

    def now(self) -> float:
        return self._call("GET", "/clock")["now"]

    def advance(self, seconds: float) -> float:
        """Move the virtual clock forward; returns the new virtual now."""
        return self._call("POST", "/clock/advance", {"seconds": seconds})["now"]

    def faults(self) -> dict:
        return self._call("GET", "/faults")

    def set_faults(self, **knobs: Any) -> dict:
        """Any knob of `sandbox.amocrm.faults.Knobs`, e.g. `rps=7`, `html_errors=True`, `webhook_drop=1`."""
        return self._call("POST", "/faults", knobs)

    def force(self, *, status: int | None = None, delay: float | None = None, count: int = 1) -> dict:
        """The next `count` /api/v4 responses answer `status` (429/500/502/503/504) or wait `delay` s."""
        item: dict[str, Any] = {"count": count}
        item.update({"status": status} if status is not None else {"delay": delay})
        return self.set_faults(force=item)

    def clear_forced(self) -> dict:
        """Drop the forced responses no call has taken yet (of `force`)."""
        return self.set_faults(force=[])

    def reset_limits(self, host: str | None = None) -> None:
        """Lift the 403 ban and empty the rate windows (of one account, or all)."""
        self._call("POST", "/limits/reset", {"host": host} if host else {})

    def banned(self) -> list[str]:
        return self._call("GET", "/limits")["banned"]

    def counters(self) -> dict:
        """`{"total", "by_endpoint": {"GET /api/v4/leads": n}, "by_account", "by_status",
        "by_account_endpoint"}`: /api/v4 and /oauth2 calls only, never admin calls."""
        return self._call("GET", "/counters")

    def reset_counters(self) -> None:
        self._call("POST", "/counters/reset")

    # ---- accounts and configuration ----------------------------------------------------------------------
    def accounts(self) -> list[dict]:
        return self._call("GET", "/accounts")

    def account(self, host: str) -> dict:
        return self._call("GET", f"/accounts/{host}")

    def create_account(self, host: str, name: str | None = None, *, seed: bool = True) -> dict:
        return self._call("POST", "/accounts", {"host": host, "name": name, "seed": seed})

    def create_user(self, host: str, name: str, email: str | None = None, *, is_admin: bool = False) -> dict:
        return self._call(
            "POST", f"/accounts/{host}/users", {"name": name, "email": email, "is_admin": is_admin}
        )

    def create_pipeline(
        self, host: str, name: str, stages: list[str] | None = None, *, is_main: bool = False
    ) -> dict:
        return self._call(
            "POST", f"/accounts/{host}/pipelines", {"name": name, "stages": stages, "is_main": is_main}
        )

    def create_custom_field(
        self,
        host: str,
        entity: str,
        name: str,
        type_: str = "text",
        *,
        code: str | None = None,
        enums: list[str] | None = None,
    ) -> dict:
        payload = {"entity": entity, "name": name, "type": type_, "code": code, "enums": enums}
        return self._call("POST", f"/accounts/{host}/custom_fields", payload)

    # ---- integrations and grants -------------------------------------------------------------------------
    def integrations(self) -> list[dict]:
        return self._call("GET", "/integrations")

    def create_integration(self, **fields: Any) -> dict:
        """Fields: client_id, client_secret, redirect_uri, name, revoke_hook_url, duplicate_control,
        access_ttl, refresh_ttl (missing ids and secrets are generated)."""
        return self._call("POST", "/integrations", fields)

    def update_integration(self, client_id: str, **fields: Any) -> dict:
        return self._call("PATCH", f"/integrations/{client_id}", fields)

    def revoke(self, client_id: str, host: str) -> int:
        """Revoke the integration's grants in the account (and send the signed revoked-access hook)."""
        return self._call("POST", f"/integrations/{client_id}/revoke", {"host": host})["revoked_grants"]

    def issue_code(self, client_id: str, host: str, user_id: int | None = None) -> str:
        return self._call("POST", f"/integrations/{client_id}/codes", {"host": host, "user_id": user_id})[
            "code"
        ]

    def long_lived_token(self, client_id: str, host: str, ttl: int = 365 * 86_400) -> str:
        return self._call("POST", f"/integrations/{client_id}/long_lived_token", {"host": host, "ttl": ttl})[
            "access_token"
        ]

    def hook_calls(self) -> list[dict]:
        return self._call("GET", "/hook_calls")

    def authorize(
        self,
        client_id: str,
        host: str,
        *,
        state: str | None = None,
        deny: bool = False,
        user_id: int | None = None,
        mode: str | None = None,
    ) -> dict[str, str]:
        """Open the authorize page, pick `host`, press Allow (or Deny); returns the redirect's query."""
        params = {"client_id": client_id, **({"state": state} if state is not None else {})}
        params.update({"mode": mode} if mode else {})
        page = self.session.get(f"{self.base_url}/oauth", params=params, timeout=self.timeout)
        page.raise_for_status()
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        form = {name: html.unescape(value) for name, value in hidden}
        form.update({"account": host, "decision": "deny" if deny else "allow", "user_id": str(user_id or "")})
        resp = self.session.post(
            f"{self.base_url}/oauth", data=form, allow_redirects=False, timeout=self.timeout
        )
        if resp.status_code != 302:
            raise SandboxError(f"authorize: expected a redirect, got {resp.status_code}")
        return dict(parse_qsl(urlsplit(resp.headers["Location"]).query))

    # ---- what is in an account -------------------------------------------------------------------------
    def leads(self, host: str) -> list[dict]:
        return self._call("GET", f"/accounts/{host}/leads")

    def contacts(self, host: str) -> list[dict]:
        return self._call("GET", f"/accounts/{host}/contacts")

    def events(self, host: str) -> list[dict]:
        return self._call("GET", f"/accounts/{host}/events")

    def webhooks(self, host: str) -> list[dict]:
        return self._call("GET", f"/accounts/{host}/webhooks")

    def webhook_deliveries(self, host: str) -> list[dict]:
        return self._call("GET", f"/accounts/{host}/webhook_deliveries")

    def drain_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook delivery is due now or in flight."""
        resp = self.session.post(
            f"{self.base_url}/_sandbox/webhooks/drain", json={"timeout": timeout}, timeout=timeout + 5
        )
        return resp.status_code == 200

    # ---- manager actions (a person in the amoCRM UI) -----------------------------------------------------
    def _manager(self, method: str, host: str, path: str, user_id: int | None, **fields: Any) -> dict:
        payload = {k: v for k, v in fields.items() if v is not None}
        if user_id is not None:
            payload["user_id"] = user_id
        return self._call(method, f"/accounts/{host}/manager{path}", payload)

    def manager_create_lead(self, host: str, *, user_id: int | None = None, **fields: Any) -> dict:
        return self._manager("POST", host, "/leads", user_id, **fields)

    def manager_update_lead(
        self, host: str, lead_id: int, *, user_id: int | None = None, **fields: Any
    ) -> dict:
        return self._manager("PATCH", host, f"/leads/{lead_id}", user_id, **fields)

    def manager_set_status(
        self,
        host: str,
        lead_id: int,
        status_id: int,
        pipeline_id: int | None = None,
        *,
        user_id: int | None = None,
    ) -> dict:
        return self.manager_update_lead(
            host, lead_id, user_id=user_id, status_id=status_id, pipeline_id=pipeline_id
        )

    def manager_delete_lead(self, host: str, lead_id: int, *, user_id: int | None = None) -> dict:
        return self._manager("DELETE", host, f"/leads/{lead_id}", user_id)

    def manager_merge_leads(
        self, host: str, keep_id: int, merge_id: int, *, user_id: int | None = None
    ) -> dict:
        return self._manager("POST", host, f"/leads/{keep_id}/merge", user_id, merge_id=merge_id)

    def manager_create_contact(self, host: str, *, user_id: int | None = None, **fields: Any) -> dict:
        return self._manager("POST", host, "/contacts", user_id, **fields)

    def manager_update_contact(
        self, host: str, contact_id: int, *, user_id: int | None = None, **fields: Any
    ) -> dict:
        return self._manager("PATCH", host, f"/contacts/{contact_id}", user_id, **fields)

    def manager_delete_contact(self, host: str, contact_id: int, *, user_id: int | None = None) -> dict:
        return self._manager("DELETE", host, f"/contacts/{contact_id}", user_id)

"""`create_app()`: the amoCRM emulator as a Flask app, and the pipeline every account request passes.

Accounts are served by path: `https://acme.amocrm.ru/api/v4/leads` is `/acme.amocrm.ru/api/v4/leads`.
For `/<host>/api/v4/…` and `/<host>/oauth2/…` the pipeline runs, in this order:
  1. count the call (counters, per endpoint and account);
  2. a banned account gets the nginx 403 page;
  3. a forced response or delay from the fault knobs (`/api/v4`, or the token endpoint's own queue);
  4. the rate limit (`/oauth2` too with the `token_rate_limit` knob): 429, and the ban after
     `ban_after` consecutive 429s;
  5. the account must exist (404), and (`/api/v4` only) the Bearer token must open it (401).
The emulator lock is held from step 2 to the end of the request (released in teardown), except while a
forced delay sleeps. Changes a request made are published to webhooks only if it succeeded.
"""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.amocrm import changes, responses, tokens
from sandbox.amocrm.runtime import Emulator, current

TOO_MANY = "You have sent too many requests in a given amount of time. Please try again later."


def create_app(emulator: Emulator | None = None) -> Flask:
    """A ready app serving `emulator` (default: `Emulator()`, the seed); its background webhook thread
    is running. Stop it with `app.extensions["amocrm"].close()` (which also saves the state file)."""
    from sandbox.amocrm import (
        account,
        admin,
        complex,
        contacts,
        custom_fields,
        events,
        leads,
        links,
        manager,
        oauth,
        pipelines,
        view,
        webhooks,
    )

    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    emu = emulator or Emulator()
    app.extensions["amocrm"] = emu
    for module in (
        oauth,
        account,
        pipelines,
        custom_fields,
        complex,
        links,
        leads,
        contacts,
        events,
        webhooks,
        admin,
        manager,
        view,
    ):
        app.register_blueprint(module.bp)
    app.before_request(_pipeline)
    app.after_request(_after)
    app.teardown_request(_release)
    app.register_error_handler(responses.ApiError, lambda exc: exc.response)
    app.register_error_handler(HTTPException, _http_error)
    emu.start()
    return app


def _classify() -> tuple[str, str] | None:
    """(kind, host) for account requests: kind is "api" or "oauth2"; None for everything else."""
    parts = request.path.split("/")
    if len(parts) < 3 or "." not in parts[1]:
        return None
    if parts[2] == "api" and len(parts) > 3 and parts[3] == "v4":
        return "api", parts[1].lower()
    if parts[2] == "oauth2":
        return "oauth2", parts[1].lower()
    return None


_PARAM = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


def _endpoint() -> str:
    """`GET /api/v4/leads/{id}`: the counter key for this request."""
    rule = request.url_rule
    if rule is None:
        return f"{request.method} " + re.sub(r"/\d+", "/{id}", "/" + request.path.split("/", 2)[2])
    args = request.view_args or {}

    def name(m: re.Match) -> str:
        conv, param = m.group(1), m.group(2)
        return str(args.get(param)) if conv == "any" else "{id}"

    return f"{request.method} " + _PARAM.sub(name, rule.rule.replace("/<host>", "", 1))


def _lock(emu: Emulator) -> None:
    emu.lock.acquire()
    g.amo_locked = True


def _unlock(emu: Emulator) -> None:
    if g.pop("amo_locked", False):
        emu.lock.release()


# Admin endpoints that wait for the webhook thread must not hold the lock it needs.
UNLOCKED = {"amo_admin.drain_webhooks"}


def _pipeline() -> Response | None:
    emu = current()
    g.amo_kind = _classify()
    if request.endpoint in UNLOCKED:
        return None
    _lock(emu)
    if g.amo_kind is None:
        return None
    kind, host = g.amo_kind
    emu.counters.count(host, _endpoint())
    if host in emu.limiter.banned:
        return responses.html(403, responses.NGINX_403)
    forced = emu.knobs.next_forced(kind)
    if forced and forced[0] == "status":
        return _forced(emu, int(forced[1]))
    if forced and forced[0] == "delay":
        _unlock(emu)  # a slow amoCRM must not stall everyone else's requests
        time.sleep(forced[1])
        _lock(emu)
    if emu.knobs.rate_limit and (kind == "api" or emu.knobs.token_rate_limit):
        verdict = emu.limiter.admit(host, emu.clock.now(), emu.knobs.rps)
        if not verdict.allowed:
            if emu.limiter.strikes(host) >= emu.knobs.ban_after:
                emu.limiter.ban(host)
            return _too_many(emu, verdict.retry_after)
    account = emu.state.account(host)
    if account is None:
        return responses.problem(404, f"Account {host} not found")
    g.account = account
    if kind == "api":
        try:
            g.caller = tokens.authenticate(
                emu.state, request.headers.get("Authorization"), account, emu.now()
            )
        except tokens.Unauthorized as exc:
            return responses.problem(401, str(exc))
    return None


def _too_many(emu: Emulator, retry_after: int) -> Response:
    wait = emu.knobs.retry_after if emu.knobs.retry_after is not None else retry_after
    if emu.knobs.html_errors:  # the gateway's page: no JSON and no Retry-After header (reference §2.1)
        return responses.html(429, responses.nginx_page(429))
    # Kommo's documented 429 body carries `retry_after`; no source shows a Retry-After header with it,
    # so none is sent: a client must read the body (or back off on its own).
    return responses.problem(429, TOO_MANY, retry_after=wait)


def _forced(emu: Emulator, status: int) -> Response:
    if status == 429:
        return _too_many(emu, 1)
    if emu.knobs.html_errors:
        return responses.html(status, responses.nginx_page(status))
    return responses.problem(status, "Forced by the sandbox fault knobs", trace_id=uuid.uuid4().hex)


def _after(resp: Response) -> Response:
    emu = current()
    if g.get("amo_kind"):
        emu.counters.status(resp.status_code)
    changes.flush(emu, resp.status_code)
    return resp


def _release(_exc: BaseException | None) -> None:
    _unlock(current())


def _http_error(exc: HTTPException) -> Response:
    """Account paths answer errors as problem+json (404 is amoCRM's "Cannot GET …"); others as usual."""
    if g.get("amo_kind") is None:
        return exc.get_response()
    if exc.code == 404:
        return responses.problem(404, f"Cannot {request.method} {request.url}")
    return responses.problem(exc.code or 500, exc.description or "")

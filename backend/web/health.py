"""Liveness and readiness probes.

- `/healthz`: the process answers (Cloud Run liveness).
- `/readyz`: one public answer — 200 `{"status": "ready"}` when Redis answers and the queues are reachable,
  503 `{"status": "unavailable"}` otherwise — so a load balancer or probe stops sending traffic to an
  instance that cannot serve. Nothing about the deployment is shown to the internet.
- `/readyz/details`: for the operator, with `Authorization: Bearer <OPS_TOKEN>` (404 while OPS_TOKEN is
  unset): Redis latency, queue depths, registered workers, and Redis persistence as the service needs it
  (`store/redis.py`), including what could not be read where CONFIG is disabled.
"""

from __future__ import annotations

import hmac
import time

import redis
from flask import Blueprint, current_app, jsonify, request
from rq import Worker

from backend import queues
from backend.errors import NotFound
from backend.store.redis import persistence

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _checks(*, details: bool) -> dict[str, dict]:
    client = current_app.extensions["services"].redis
    checks: dict[str, dict] = {}
    started = time.perf_counter()
    try:
        client.ping()
        checks["redis"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        depth = {name: queues.queue(name, client).count for name in queues.ALL}
        checks["queue"] = {"ok": True}
        if details:
            checks["queue"].update(depth=depth, workers=Worker.count(connection=client))
            checks["persistence"] = {"ok": True, **persistence(client).to_json()}
    except redis.RedisError as exc:
        checks.setdefault("redis", {"ok": False, "error": type(exc).__name__})
        checks.setdefault("queue", {"ok": False, "error": "redis unavailable"})
    return checks


@bp.get("/readyz")
def readyz():
    ready = all(c["ok"] for c in _checks(details=False).values())
    response = jsonify(status="ready" if ready else "unavailable")
    response.status_code = 200 if ready else 503
    return response


@bp.get("/readyz/details")
def readyz_details():
    token = current_app.extensions["services"].settings.ops_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise NotFound("Not found.")
    checks = _checks(details=True)
    ready = all(c["ok"] for c in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response

"""Liveness and readiness probes.

`/healthz`: the process answers (Cloud Run liveness). `/readyz`: this instance can do its work —
settings parsed (or the app would not exist), Redis answers, the queues are reachable — as JSON,
503 when any check fails, so a load balancer stops sending traffic to an instance that cannot serve.
"""

from __future__ import annotations

import time

import redis
from flask import Blueprint, current_app, jsonify
from rq import Worker

from backend import queues

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    services = current_app.extensions["services"]
    checks: dict[str, dict] = {"settings": {"ok": True}}
    started = time.perf_counter()
    try:
        services.redis.ping()
        checks["redis"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except redis.RedisError as exc:
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    if checks["redis"]["ok"]:
        try:
            depth = {name: queues.queue(name, services.redis).count for name in queues.ALL}
            workers = Worker.count(connection=services.redis)
            checks["queue"] = {"ok": True, "depth": depth, "workers": workers}
        except redis.RedisError as exc:
            checks["queue"] = {"ok": False, "error": type(exc).__name__}
    else:
        checks["queue"] = {"ok": False, "error": "redis unavailable"}
    ready = all(c["ok"] for c in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response

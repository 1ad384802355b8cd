"""One tenant floods, another is not stalled — over the real processes with Google's real Sheets quota
(60 reads and 60 writes a minute for the service account, which every tenant shares).

Mallory's add-on loops, from 24 clients at once, on her own connection's mapping screen (3 Sheets
reads each when uncached), its suggestion, her state and Sync now. Meanwhile Bob's sidebar asks for its
state, amoCRM delivers webhooks of Bob's account and Bob presses Sync now. Each of Bob's answers must
come within 1 s at the 95th percentile — before, web threads slept on the shared Sheets limiter and
Bob's state call took 41 s. Mallory gets answers too: from the cache, or 429 with Retry-After.

The latencies are recorded for docs/reliability.md (`bench/figures.py`); the only bound asserted is the
issue's own: p95 under 1 s, over a hundred requests or more of each kind.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter

import pytest
import requests

from bench import figures
from bench.product import Limits, Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant
from bench.webhooks import hook_body

FLOOD_CLIENTS = 24
FLOOD_S = 40.0
MAX_FLOOD_S = 180.0  # a loaded machine answers fewer probes in FLOOD_S: the flood goes on until it has them
MIN_PROBES = 100
PROBE_EVERY_S = 0.2
P95_BOUND_S = 1.0


@pytest.fixture(scope="module")
def real_quota(tmp_path_factory):
    with Product.start(tmp_path_factory.mktemp("quota-logs"), Limits(), workers=1) as product:
        mallory = Tenant.create(product, new_rows(5), host="mallory.amocrm.ru", person="mallory@example.com")
        bob = Tenant.create(product, new_rows(5, start=100), host="bobs.amocrm.ru", person="bob@example.com")
        for t in (mallory, bob):
            assert t.sync()["status"] == "finished"
        settle(product)
        yield product, mallory, bob


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def test_one_tenant_flooding_does_not_stall_another(real_quota):
    product, mallory, bob = real_quota
    stop = threading.Event()
    flood_answers: Counter[str] = Counter()
    bad_429: list[str] = []
    lock = threading.Lock()

    def flood(i: int) -> None:
        calls = [
            ("GET", "/mapping", None),
            ("GET", "/mapping", None),
            ("POST", "/mapping/suggest", None),
            ("GET", "", None),
            ("POST", "/sync/preview", None),
            ("POST", "/sync", {"confirm": False}),
        ]
        n = i
        while not stop.is_set():
            method, path, body = calls[n % len(calls)]
            n += 1
            try:
                r = mallory.call(method, path, body)
            except requests.RequestException as exc:
                with lock:
                    flood_answers[type(exc).__name__] += 1
                continue
            with lock:
                flood_answers[str(r.status_code)] += 1
                if r.status_code == 429 and (
                    "Retry-After" not in r.headers or r.headers["Content-Type"] != "application/problem+json"
                ):
                    bad_429.append(r.text[:200])

    account = product.amo.account(bob.host)
    (hook,) = [
        h["destination"]
        for h in product.amo.webhooks(bob.host)
        if h["destination"].startswith(product.web_url)
    ]
    lead = bob.leads()[0]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    probes = {
        "state": lambda: bob.call("GET"),
        "webhook_ack": lambda: requests.post(
            hook, data=hook_body(account, lead, lead["price"]), headers=form, timeout=60
        ),
        "sync_now_accepted": lambda: bob.call("POST", "/sync", {"confirm": True}),
    }
    expected = {"state": 200, "webhook_ack": 200, "sync_now_accepted": 202}
    took: dict[str, list[float]] = {name: [] for name in probes}
    wrong: list[str] = []

    def probe(name: str) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            r = probes[name]()
            took[name].append(time.perf_counter() - started)
            if r.status_code != expected[name]:
                wrong.append(f"{name}: {r.status_code} {r.text[:200]}")
            time.sleep(PROBE_EVERY_S)

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(FLOOD_CLIENTS)]
    threads += [threading.Thread(target=probe, args=(name,)) for name in probes]
    time.sleep(0)
    for t in threads:
        t.start()
    started = time.monotonic()
    while time.monotonic() - started < FLOOD_S or (  # at least FLOOD_S, and enough of each kind to judge
        min(len(v) for v in took.values()) < MIN_PROBES and time.monotonic() - started < MAX_FLOOD_S
    ):
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=120)

    summary = {
        name: {
            "requests": len(v),
            "p50_s": round(_p(v, 50), 3),
            "p95_s": round(_p(v, 95), 3),
            "max_s": round(max(v), 3),
        }
        for name, v in took.items()
    }
    figures.record(
        "cross_tenant_load",
        {
            "flood_clients": FLOOD_CLIENTS,
            "flood_s": FLOOD_S,
            "flood_requests": sum(flood_answers.values()),
            "flood_answers": dict(sorted(flood_answers.items())),
            "victim": summary,
        },
    )
    assert not wrong, wrong[:5]
    assert not bad_429, bad_429[:3]
    assert flood_answers["200"] > 0
    for name, s in summary.items():
        assert s["requests"] >= MIN_PROBES, (name, s)
        assert s["p95_s"] < P95_BOUND_S, (name, summary)

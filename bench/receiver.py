"""A webhook receiver in the benchmark's process: registered in the amoCRM emulator next to the
product's own webhook, it notes when amoCRM announced each lead change — the moment the change is in
amoCRM, to the millisecond, without polling amoCRM (which would load it and count as API calls).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests

from backend.amocrm.webhook_payload import parse_form
from sandbox.amocrm import seed


class LeadUpdates:
    """(lead id, price) -> first time amoCRM announced that lead at that price."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, int], float] = {}
        self.cond = threading.Condition()

    def record(self, body: bytes) -> None:
        at = time.time()
        data = parse_form(parse_qsl(body.decode(), keep_blank_values=True))
        with self.cond:
            for action in ("update", "add", "status"):
                for item in (data.get("leads") or {}).get(action) or []:
                    key = (int(item["id"]), int(item.get("price") or 0))
                    self.seen.setdefault(key, at)
            self.cond.notify_all()

    def wait(self, lead_id: int, price: int, timeout_s: float) -> float | None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while (lead_id, price) not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.seen[(lead_id, price)]


@contextmanager
def receiving(amo_url: str, *hosts: str) -> Iterator[LeadUpdates]:
    """Serve the receiver on a free loopback port and subscribe it to the lead webhooks of every
    account in `hosts` (lead ids are unique across the emulator's accounts)."""
    updates = LeadUpdates()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            updates.record(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        destination = f"http://127.0.0.1:{server.server_port}/hook"
        for host in hosts:
            subscribe(amo_url, host, destination)
        yield updates
    finally:
        server.shutdown()
        server.server_close()


def subscribe(amo_url: str, host: str, destination: str) -> None:
    token = requests.post(
        f"{amo_url}/_sandbox/integrations/{seed.DEFAULT_CLIENT_ID}/long_lived_token",
        json={"host": host},
        timeout=30,
    ).json()["access_token"]
    requests.post(
        f"{amo_url}/{host}/api/v4/webhooks",
        json={"destination": destination, "settings": ["update_lead", "add_lead", "status_lead"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).raise_for_status()

"""An open-loop HTTP load generator, run as its own process: `python -m bench.loadgen SPEC.json OUT.json`.

SPEC: {"url", "rate" (requests/s), "duration_s", "connections", "content_type", "bodies": [str, ...]}.
Request i is due at start + i/rate whatever happened to earlier ones (open loop), and goes out on the
next free keep-alive connection with body `bodies[i % len(bodies)]`. Its latency is measured from when
it was DUE to when its response was read, so a server that falls behind is charged for the queue it
causes (no coordinated omission). OUT gets: sent, ok, errors (non-2xx or failed), statuses, achieved
rate, latency p50/p95/p99/max in ms, and the wall time of the run.

Plain asyncio streams and HTTP/1.1, no client library: the generator must stay cheap next to the
server on a 2-core machine. Loopback URLs only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    if close:
        raise ConnectionResetError("server closed the connection")
    return status


class Run:
    def __init__(self, spec: dict):
        parts = urlsplit(spec["url"])
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("loadgen: loopback targets only")
        self.host, self.port = parts.hostname, parts.port or 80
        self.target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.rate = float(spec["rate"])
        self.total = int(self.rate * float(spec["duration_s"]))
        self.connections = int(spec.get("connections", 32))
        self.content_type = spec.get("content_type", "application/x-www-form-urlencoded")
        self.bodies = [b.encode() for b in spec["bodies"]]
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    def request(self, i: int) -> bytes:
        body = self.bodies[i % len(self.bodies)]
        head = (
            f"POST {self.target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: {self.content_type}\r\nContent-Length: {len(body)}\r\n"
            "User-Agent: amoCRM-Webhooks/3.0\r\n\r\n"
        )
        return head.encode() + body

    async def schedule(self, start: float) -> None:
        for i in range(self.total):
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.queue.put_nowait((i, due))
        for _ in range(self.connections):
            self.queue.put_nowait(None)

    async def connection(self) -> None:
        reader = writer = None
        while (item := await self.queue.get()) is not None:
            i, due = item
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.write(self.request(i))
                await writer.drain()
                status = await _read_response(reader)
                self.statuses[str(status)] += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                self.statuses[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
            self.latencies.append((time.perf_counter() - due) * 1000)
        if writer is not None:
            writer.close()

    async def main(self) -> dict:
        start = time.perf_counter() + 0.2
        workers = [asyncio.create_task(self.connection()) for _ in range(self.connections)]
        await self.schedule(start)
        await asyncio.gather(*workers)
        wall = time.perf_counter() - start
        ok = sum(n for s, n in self.statuses.items() if s.isdigit() and 200 <= int(s) < 300)
        return {
            "sent": self.total,
            "ok": ok,
            "errors": self.total - ok,
            "statuses": dict(self.statuses),
            "target_rps": self.rate,
            "rps": round(self.total / wall, 1),
            "wall_s": round(wall, 2),
            "p50_ms": round(percentile(self.latencies, 50), 1),
            "p95_ms": round(percentile(self.latencies, 95), 1),
            "p99_ms": round(percentile(self.latencies, 99), 1),
            "max_ms": round(max(self.latencies, default=0.0), 1),
        }


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    result = asyncio.run(Run(spec).main())
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

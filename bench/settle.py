"""Wait until the product is quiet: amoCRM has no webhook due or in flight, and no job is queued,
scheduled (an RQ retry) or running — twice in a row, half a second apart."""

from __future__ import annotations

import time

from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from backend import queues
from bench.product import Product


def busy(product: Product) -> int:
    r = product.redis
    n = 0
    for name in queues.ALL:
        q = queues.queue(name, r)
        n += q.count + len(StartedJobRegistry(queue=q)) + len(ScheduledJobRegistry(queue=q))
    return n


def settle(product: Product, timeout_s: float = 900, *, include_scheduled: bool = True) -> float:
    """Return the seconds it took; raise TimeoutError if the product is still busy after `timeout_s`."""
    started = time.monotonic()
    quiet = 0
    while quiet < 2:
        product.amo.drain_webhooks(timeout=30)
        quiet = quiet + 1 if busy(product) == 0 else 0
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"still busy after {timeout_s:.0f} s ({busy(product)} jobs)")
        time.sleep(0.5 if quiet else 0.2)
    return time.monotonic() - started

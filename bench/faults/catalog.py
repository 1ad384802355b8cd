"""Every fault case, in the order the table shows them."""

from __future__ import annotations

from bench.faults import cases_amo as amo
from bench.faults import cases_ban as ban
from bench.faults import cases_processes as proc
from bench.faults import cases_sheet as sheet
from bench.faults import cases_shutdown as deploy
from bench.faults import cases_webhooks as hooks
from bench.faults.suite import Case

CASES: dict[str, Case] = {
    "worker kill -9": proc.worker_killed,
    "redis restart": proc.redis_restarted,
    "worker SIGTERM (deploy)": deploy.worker_sigterm,
    "two schedulers": deploy.two_schedulers,
    "amo 429 storm": amo.rate_limit_storm,
    "amo 5xx bursts": amo.server_errors,
    "amo timeouts": amo.timeouts,
    "sheets 429/503": sheet.throttled,
    "token expiry": amo.token_expiry,
    "two refreshers": amo.two_refreshers,
    "webhooks dup/reorder/delay/drop": hooks.webhook_faults,
    "rows moved during sync": sheet.rows_moved_during_sync,
    "account blocked": ban.account_blocked,
}

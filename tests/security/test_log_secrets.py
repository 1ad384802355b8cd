"""A grep of every line the product's processes logged during the security suite (gunicorn web and the
RQ worker: OAuth connects, signed calls, webhooks, refused requests, a token refresh, schemathesis'
thousands of requests) finds no token, secret or signature. Runs after the rest of the session
(`after_everything`), so it sees what every other test made the processes log."""

from __future__ import annotations

import pytest

from bench import figures, logscan
from bench.settle import settle


@pytest.mark.after_everything
def test_the_logs_of_the_whole_run_hold_no_secret(two):
    two.product.amo.advance(25 * 3600)  # the access tokens expire: the next run refreshes them
    assert two.a.sync()["status"] == "finished"
    settle(two.product)
    secrets = logscan.collect(two.product)
    found = logscan.scan(two.product.log_dir, secrets)
    assert found.files >= 2 and found.lines > 100
    assert found.hits == [], found.hits[:20]
    figures.record(
        "log_scan_security",
        {"files": found.files, "lines": found.lines, "secrets": found.secrets, "hits": len(found.hits)},
    )


def test_the_scanner_finds_secrets_whole_cut_or_glued(tmp_path):
    """The scan is only worth its zero if it finds what it looks for."""
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PJR0"
    short = "s3cr3t-x"
    lines = {
        "web.log": f'{{"message": "Bearer {token}"}}\n',
        "worker-1.log": f"refresh={token[10:40]}&x=1\nnothing here\n",
        "worker-2.log": f"id:{short}.\n",
        "amocrm.log": f"{token}\n",  # an emulator's log: not the product's, not scanned
    }
    for name, text in lines.items():
        (tmp_path / name).write_text(text)
    found = logscan.scan(tmp_path, {token: "token", short: "short"})
    assert found.files == 3 and found.lines == 4
    assert sorted(found.hits) == ["web.log:1: token", "worker-1.log:1: token", "worker-2.log:1: short"]

"""Grep the product's own process logs (gunicorn web, RQ workers) for anything secret.

The secrets are gathered from where they really are, not guessed: every amoCRM access/refresh token
and webhook token and every connection's signing secret, decrypted from Redis; the configuration's
secrets; and what each tenant sent — RFC 9421 signatures, Google ID tokens, OAuth codes and states,
connect tickets. A hit is any of them, whole or a 16-character piece of it, in any log line. The
emulators' logs are not the product's and are not scanned.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

from backend.security.crypto import Cipher
from backend.store.connections import Tenants
from backend.store.tokens import TokenStore
from bench.product import Product

PRODUCT_LOGS = ("web.log", "worker")  # file names (or prefixes) of the product's processes
PIECE = 16  # a secret is also found by any 16-character window of it (a token cut by a log formatter)


@dataclass
class Scan:
    files: int
    lines: int
    secrets: int
    hits: list[str]  # "file:line: <kind>"


def collect(product: Product) -> dict[str, str]:
    """Secret value -> what it is."""
    env = product.env
    r = product.redis
    cipher = Cipher([k for k in env["TOKEN_ENCRYPTION_KEYS"].split(",") if k])
    found: dict[str, str] = {}
    for name in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "AMO_CLIENT_SECRET"):
        found[env[name]] = name
    store = TokenStore(r, cipher)
    for account_id in store.accounts():
        ts = store.get(account_id)
        if ts:
            found.update({ts.access: "amoCRM access token", ts.refresh: "amoCRM refresh token"})
            if ts.previous_refresh:
                found[ts.previous_refresh] = "amoCRM previous refresh token"
    tenants = Tenants(r, cipher)
    for key in r.scan_iter("amo:account:*"):
        raw = r.hget(key, "webhook_token")
        if raw:
            found[cipher.decrypt(raw.decode())] = "webhook path token"
    for key in r.scan_iter("conn:*"):
        secret = tenants.secret(key.decode().split(":", 1)[1])
        if secret:
            found[secret.hex()] = "connection secret (hex)"
            found[base64.b64encode(secret).decode()] = "connection secret (base64)"
    for tenant in product.tenants:
        for value in tenant.sent_secrets:
            found.setdefault(value, "sent by the add-on (signature, ID token, OAuth code/state, ticket)")
    return {k: v for k, v in found.items() if k and len(k) >= 8}


def _pieces(secret: str) -> list[str]:
    """16-character windows of the secret every 8 characters: any occurrence of 23+ characters of it
    contains one of them whole."""
    return [secret[i : i + PIECE] for i in range(0, max(1, len(secret) - PIECE + 1), PIECE // 2)]


_RUN = re.compile(r"[A-Za-z0-9+/=_.~-]{8,}")  # secrets are made of these characters only


def scan(log_dir: Path, secrets: dict[str, str]) -> Scan:
    """Each line's runs of token characters are slid over with a 16-character window looked up in a
    set of the secrets' pieces — linear in the size of the logs, whatever the number of secrets."""
    pieces = {
        piece: kind for secret, kind in secrets.items() if len(secret) >= PIECE for piece in _pieces(secret)
    }
    short = {secret: kind for secret, kind in secrets.items() if len(secret) < PIECE}
    files = sorted(p for p in log_dir.rglob("*.log") if p.name.startswith(PRODUCT_LOGS))
    hits: list[str] = []
    lines = 0
    for path in files:
        with path.open(errors="replace") as f:
            for n, line in enumerate(f, 1):
                lines += 1
                kind = _find(line, pieces, short)
                if kind:
                    hits.append(f"{path.relative_to(log_dir)}:{n}: {kind}")
    return Scan(len(files), lines, len(secrets), hits)


def _find(line: str, pieces: dict[str, str], short: dict[str, str]) -> str | None:
    for run in _RUN.findall(line):
        for i in range(len(run) - PIECE + 1):
            kind = pieces.get(run[i : i + PIECE])
            if kind:
                return kind
        for secret, kind in short.items():
            if secret in run:
                return kind
    return None

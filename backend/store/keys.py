"""Every Redis key the backend writes, declared once in `keys.toml`: its name pattern, Redis type, owning
module, expiry, scope, whether it holds personal data, and what it holds. Every module asks here for its
key names: each family is named for its table and is called with its pattern's parts, `keys.ledger(conn)`.

A disconnect's erase (`store/erase.py`) removes the connection's families and, when the account's last
connection leaves, the account's; `docs/operations.md`'s data-retention table is rendered from these
declarations (`python -m backend.store.keys_doc`); tests check that every key a representative flow
leaves in Redis matches a declaration, and that its expiry is the declared one.

Placeholders in a pattern: `{conn}` a connection id, `{account}` an amoCRM account id; the others name a
row key, a run id, a token, … A placeholder matches one `:`-free segment, except the few listed in
`_ANY` (a value that may itself hold colons: a nonce, an amoCRM host with its port, RQ's own names).
Changing a pattern changes where existing data is read from: keep them as they are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Scope(StrEnum):
    CONNECTION = "connection"  # erased with the connection
    ACCOUNT = "account"  # erased when the amoCRM account's last connection leaves
    GLOBAL = "global"  # shared by every tenant (or short-lived and bound to no tenant)


class Found(StrEnum):
    """How an erase finds the keys of a family."""

    BY_NAME = "by name"  # the id is in the name: named directly, or matched by SCAN where it has a suffix
    THROUGH_RQ = "through RQ"  # jobs whose id or arguments name the connection, stopped and deleted by RQ
    BY_CONNECTION = "from the connection hash"  # its spreadsheet and tab
    BY_VALUE = "by its value"  # a key named by a hash whose value is the account id
    BY_ACCOUNT_HOST = "from the account's host"  # the amoCRM limiter, keyed by host


RQ_OWNER = "RQ (the library)"
_ANY = {"nonce", "host", "args", "rest"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Family:
    pattern: str
    type: str  # Redis type: string, hash, list, set, zset
    owner: str  # the module (under backend/) that writes it
    ttl: str  # "none", or how long it lives
    scope: Scope
    personal: bool  # sheet or amoCRM values, e-mails, phones, Google ids, or digests of them
    holds: str
    found: Found = Found.BY_NAME

    def __call__(self, *parts: object) -> str:
        """The key's name, the parts given in the pattern's order: `keys.history(conn, row)`."""
        return self.pattern.format(**dict(zip(self.placeholders, parts, strict=True)))

    def name(self, **parts: object) -> str:
        return self.pattern.format(**parts)

    @property
    def placeholders(self) -> list[str]:
        return _PLACEHOLDER.findall(self.pattern)

    @property
    def expires(self) -> bool:
        return self.ttl != "none"

    def glob(self, **known: object) -> str:
        """The pattern as a SCAN MATCH glob: `known` placeholders fixed (escaped), the others `*`."""
        out, at = [], 0
        for m in _PLACEHOLDER.finditer(self.pattern):
            out.append(self.pattern[at : m.start()])
            part = m.group(1)
            out.append(escape_glob(str(known[part])) if part in known else "*")
            at = m.end()
        return "".join(out) + self.pattern[at:]

    def regex(self, **known: object) -> re.Pattern[str]:
        """The pattern as a regular expression; `known` placeholders fixed to their values."""
        out, at = [], 0
        for m in _PLACEHOLDER.finditer(self.pattern):
            out.append(re.escape(self.pattern[at : m.start()]))
            part = m.group(1)
            if part in known:
                out.append(re.escape(str(known[part])))
            else:
                out.append(".*" if part in _ANY else "[^:]+")
            at = m.end()
        out.append(re.escape(self.pattern[at:]))
        return re.compile("".join(out) + r"\Z")


def escape_glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _load(path: Path) -> dict[str, Family]:
    """The families of `keys.toml`, by name, in the file's order. A data file, not Python: the table is
    data that docs are rendered from, and a family is added there alone."""
    with path.open("rb") as f:
        tables = tomllib.load(f)
    return {
        name: Family(**{**t, "scope": Scope(t["scope"]), "found": Found[t.get("found", "by_name").upper()]})
        for name, t in tables.items()  # an unknown or missing field is a TypeError at import
    }


_BY_NAME = _load(Path(__file__).with_name("keys.toml"))
FAMILIES: list[Family] = list(_BY_NAME.values())
globals().update(_BY_NAME)  # keys.ledger, keys.moved_rows, … (tests/unit/test_keys.py checks every use)


def family_of(key: str) -> Family | None:
    """The declared family a key name belongs to (the most specific, i.e. the longest fixed text)."""
    matches = [f for f in FAMILIES if f.regex().match(key)]
    return max(matches, key=lambda f: len(_PLACEHOLDER.sub("", f.pattern)), default=None)


# --- names that take more than the placeholders ----------------------------------------------------------


def queued(kind: str, conn: str, args: tuple) -> str:
    return _BY_NAME["queued_job"](kind, conn, ":".join(map(str, args)))


def job_id(kind: str, conn: str, suffix: str) -> str:
    """An RQ job id that names its connection, so an erase finds the job (`rq:job:{id}`)."""
    return f"{kind}-{conn}-{suffix}"


def changed(entity: str, account_id: int | str) -> str:
    """`entity`: "leads" or "contacts"."""
    return _BY_NAME[f"changed_{entity}"](account_id)


def oauth(state: str) -> tuple[str, str, str]:
    """An amoCRM sign-in's keys: its connection id, its browser's cookie hash, the pending code."""
    return _BY_NAME["oauth_state"](state), _BY_NAME["oauth_browser"](state), _BY_NAME["oauth_pending"](state)


# A limiter is named once; its window and blocked keys derive from the name: `ratelimit:{name}[:blocked]`.


def amo_limiter(host: str) -> str:
    return f"amo:{host}"


def sheets_limiter(method: str) -> str:
    """`method`: "read" or "write"."""
    return f"sheets:{method}"


def sheets_web_limiter(method: str, share: str) -> str:
    """A web requester's share: a connection id, or `register_share(sub)`."""
    return f"sheets:{method}:web:{share}"


def register_share(sub: str) -> str:
    return f"register:{sub}"


def limiter_window(name: str) -> str:
    return f"ratelimit:{name}"


def limiter_blocked(name: str) -> str:
    return f"ratelimit:{name}:blocked"

"""Every Redis key the backend writes, declared once: its name pattern, Redis type, owning module, expiry,
scope, whether it holds personal data, and what it holds. Every module asks here for its key names:
each family is named for what it holds and is called with its pattern's parts, `keys.ledger(conn)`.

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
from dataclasses import dataclass
from enum import StrEnum


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


FAMILIES: list[Family] = []


def _declare(
    pattern: str, type_: str, owner: str, ttl: str, scope: Scope, personal: bool, holds: str, **kw
) -> Family:
    family = Family(pattern, type_, owner, ttl, scope, personal, holds, **kw)
    FAMILIES.append(family)
    return family


C, A, G = Scope.CONNECTION, Scope.ACCOUNT, Scope.GLOBAL
NONE = "none"

# fmt: off
# --- per connection --------------------------------------------------------------------------------------

connection = _declare(
    "conn:{conn}", "hash", "store/connections.py", NONE, C, True,
    "the connection: sheet, account, mapping, encrypted signing secret, its creator's Google id and e-mail",
)
connection_by_sheet = _declare(
    "conn-by-sheet:{spreadsheet}:{sheet}", "string", "store/connections.py", NONE, C, False,
    "the connection id of a sheet tab (one connection per tab)", found=Found.BY_CONNECTION,
)
ledger = _declare(
    "ledger:{conn}", "hash", "store/ledger.py", NONE, C, True,
    "row key -> the last agreed values, lead and contact ids",
)
ledger_lead = _declare(
    "ledger-lead:{conn}", "hash", "store/ledger.py", NONE, C, False,
    "lead id -> the row key that shows it"
)
ledger_inflight = _declare(
    "ledger-inflight:{conn}", "hash", "store/ledger.py", NONE, C, True,
    "row key -> the values a run is writing into amoCRM, until its entry settles (a failed run's writes)",
)
ledger_print = _declare(
    "ledger-print:{conn}", "hash", "store/ledger.py", NONE, C, True,
    "digest of a row's agreed values -> row keys (finds values moved to another row)",
)
history = _declare(
    "history:{conn}:{row}", "list", "store/ledger.py", "120 days after the row's last change", C, True,
    "the row's last 30 changes (field, old and new value)",
)
journal_runs = _declare(
    "journal:{conn}:runs", "zset", "store/journal.py", "30 days", C, False,
    "run id -> when it started"
)
journal_run = _declare(
    "journal:{conn}:run:{run}", "string", "store/journal.py", "30 days", C, True,
    "one run's summary: trigger, counts, times, the fields an undo kept",
)
journal_changes = _declare(
    "journal:{conn}:changes:{run}", "list", "store/journal.py", "30 days", C, True,
    "every field one run changed, with old and new value",
)
journal_health = _declare(
    "journal:{conn}:health", "hash", "store/journal.py", "30 days", C, False,
    "when amoCRM last answered a run"
)
edits = _declare(
    "edits:{conn}", "hash", "sync/jobs.py", NONE, C, False,
    "edited row keys waiting for a run -> edit time"
)
edited_at = _declare(
    "edited-at:{conn}", "hash", "sync/jobs.py", NONE, C, False,
    "row key -> when a person last edited it"
)
edits_queued = _declare(
    "edits-queued:{conn}", "string", "sync/jobs.py", "1 hour", C, False,
    "an edits job is queued"
)
edit_values = _declare(
    "edit-values:{conn}", "hash", "sync/edit_answers.py", "1 day", C, True,
    "the row values an edit request carried, until the edit run takes them",
)
edit_answers = _declare(
    "edit-answers:{conn}", "hash", "sync/edit_answers.py", "1 day", C, True,
    "what an edit run writes back into a row, until the add-on or the run claims it",
)
late_answers = _declare(
    "late-answers:{conn}", "set", "sync/edit_answers.py", "1 day", C, False,
    "row keys whose answers nobody waited for, until one job writes them into the sheet",
)
late_answers_queued = _declare(
    "late-answers-queued:{conn}", "string", "sync/edit_answers.py", "1 day", C, False,
    "a job writing the late answers is queued",
)
edit_waiting = _declare(
    "edit-waiting:{conn}", "hash", "sync/edit_answers.py", "1 day", C, False,
    "row key -> edit requests waiting for its answer",
)
reconcile_queued = _declare(
    "reconcile-queued:{conn}", "string", "sync/jobs.py", "1 hour", C, False,
    "the id of the queued reconcile"
)
reconcile_cursor = _declare(
    "reconcile-cursor:{conn}", "string", "sync/run.py", NONE, C, False,
    "amoCRM's updated_at up to which changes were read",
)
sheet_seen = _declare(
    "sheet-seen:{conn}", "hash", "sync/quiet.py", "RECONCILE_FULL_READ_S (a day)", C, False,
    "the spreadsheet's Drive version when a run last read it",
)
unsynced_seen = _declare(
    "unsynced-seen:{conn}", "hash", "sync/unsynced.py", NONE, C, True,
    "fingerprints of the values of rows no ledger entry knows, as the last full run saw them",
)
moved_rows = _declare(
    "moved-rows:{conn}", "hash", "sync/run.py", NONE, C, False,
    "row key -> the synced row whose values it holds (held until its key cells come back)",
)
deleted_leads = _declare(
    "deleted-leads:{conn}", "set", "sync/run.py", NONE, C, False,
    "lead ids a run found deleted in amoCRM"
)
intents = _declare(
    "intents:{conn}", "hash", "sync/intents.py", NONE, C, False,
    "creates under way (row ref -> kind, start), so a crashed run adopts instead of creating twice",
)
errors = _declare(
    "errors:{conn}", "hash", "sync/writeback.py", NONE, C, True,
    "row key -> the row's error message (may quote a cell)",
)
connection_lock = _declare(
    "lock:connection:{conn}", "string", "store/locks.py", "60 s, renewed while held", C, False,
    "one run at a time per connection",
)
nonce = _declare(
    "nonce:{conn}:{nonce}", "string", "security/signing.py", "twice the clock skew allowed + 60 s", C, False,
    "a signed request's nonce was seen (replay guard)",
)
queued_job = _declare(
    "queued:{kind}:{conn}:{args}", "string", "web/addon_api.py", "1 hour", C, False,
    "the job id of a sync or preview still waiting to start",
)
sheet_info = _declare(
    "sheet-info:{conn}:{spreadsheet}:{sheet}", "string", "web/sheet_access.py", "30 s", C, False,
    "the tab's title, size, headers and column ids",
)
sheets_web_window = _declare(
    "ratelimit:sheets:{method}:web:{conn}", "zset", "sheets/client.py", "the window + 1 s", C, False,
    "a connection's web requests' share of the Sheets quota (send times)",
)
sheets_web_blocked = _declare(
    "ratelimit:sheets:{method}:web:{conn}:blocked", "string", "sheets/client.py", "Retry-After + 1 s", C,
    False,
    "its share waits until then",
)
directory_used = _declare(
    "amo:cdir:{account}:used:{conn}", "set", "store/contact_directory.py", NONE, C, True,
    "the e-mails and phones of the directory this connection used",
)
job = _declare(
    "rq:job:{kind}-{conn}-{suffix}", "hash", RQ_OWNER, "RQ's (results 500 s, failures 1 year)", C, False,
    "a job of the connection; ids from web/addon_api.py, web/activity_api.py, sync/jobs.py, schedule.py",
    found=Found.THROUGH_RQ,
)

# --- per amoCRM account ------------------------------------------------------------------------------------

account = _declare(
    "amo:account:{account}", "hash", "store/connections.py", NONE, A, False,
    "host, name, user id, webhook state and encrypted webhook token, blocked reason",
)
account_connections = _declare(
    "amo:account-conns:{account}", "set", "store/connections.py", NONE, A, False,
    "the account's connections"
)
webhook = _declare(
    "amo:webhook:{hash}", "string", "store/connections.py", NONE, A, False,
    "SHA-256 of the webhook path token -> account id", found=Found.BY_VALUE,
)
tokens = _declare(
    "amo:tokens:{account}", "hash", "store/tokens.py", NONE, A, False,
    "encrypted access and refresh tokens, expiry, status",
)
catalog = _declare(
    "amo:catalog:{account}", "string", "amocrm/account.py", "10 minutes", A, True,
    "pipelines, fields and users (names, e-mails) of the account",
)
changed_leads = _declare(
    "amo:changed-leads:{account}", "set", "sync/jobs.py", NONE, A, False,
    "lead ids webhooks reported, to drain"
)
changed_contacts = _declare(
    "amo:changed-contacts:{account}", "set", "sync/jobs.py", NONE, A, False,
    "contact ids webhooks reported, to drain",
)
drain_queued = _declare(
    "amo:drain-queued:{account}", "string", "sync/jobs.py", "1 hour", A, False,
    "a drain job is queued"
)
drain_recent = _declare(
    "amo:drain-recent:{account}", "string", "sync/jobs.py", "1 s", A, False,
    "a drain started just now"
)
revoke_check = _declare(
    "amo:revoke-check:{account}", "string", "web/webhooks.py", "60 s", A, False,
    "a revoke notice was checked with amoCRM just now",
)
directory_email = _declare(
    "amo:cdir:{account}:email", "hash", "store/contact_directory.py", NONE, A, True,
    "e-mail -> amoCRM contact id"
)
directory_phone = _declare(
    "amo:cdir:{account}:phone", "hash", "store/contact_directory.py", NONE, A, True,
    "phone -> amoCRM contact id"
)
directory_cursor = _declare(
    "amo:cdir:{account}:cursor", "string", "store/contact_directory.py", NONE, A, False,
    "start of the last complete contact listing",
)
refresh_lock = _declare(
    "lock:amo-refresh:{account}", "string", "store/locks.py", "30 s, renewed while held", A, False,
    "one token refresh at a time per account",
)
amo_window = _declare(
    "ratelimit:amo:{host}", "zset", "amocrm/account.py", "the window + 1 s", A, False,
    "send times of the account's amoCRM requests", found=Found.BY_ACCOUNT_HOST,
)
amo_blocked = _declare(
    "ratelimit:amo:{host}:blocked", "string", "amocrm/account.py", "Retry-After + 1 s", A, False,
    "the account's requests wait until then", found=Found.BY_ACCOUNT_HOST,
)

# --- shared, or bound to no tenant -------------------------------------------------------------------------

sheets_window = _declare(
    "ratelimit:sheets:{method}", "zset", "sheets/client.py", "the window + 1 s", G, False,
    "send times of every Sheets API read (or write)",
)
sheets_blocked = _declare(
    "ratelimit:sheets:{method}:blocked", "string", "sheets/client.py", "Retry-After + 1 s", G, False,
    "Sheets calls wait until then",
)
register_window = _declare(
    "ratelimit:sheets:{method}:web:register:{sub}", "zset", "web/addon_api.py", "the window + 1 s", G, True,
    "a Google user's set-up requests' share of the Sheets quota",
)
register_blocked = _declare(
    "ratelimit:sheets:{method}:web:register:{sub}:blocked", "string", "web/addon_api.py", "Retry-After + 1 s",
    G, True, "its share waits until then",
)
register_challenge = _declare(
    "register-challenge:{challenge}", "hash", "web/addon_api.py", "10 minutes", G, True,
    "a set-up's proof of control: sheet, value, Google user id",
)
oauth_state = _declare(
    "oauth-state:{state}", "string", "web/oauth.py", "15 minutes", G, False,
    "an amoCRM sign-in's connection id"
)
oauth_browser = _declare(
    "oauth-browser:{state}", "string", "web/oauth.py", "15 minutes", G, False,
    "hash of the browser cookie that started it",
)
oauth_pending = _declare(
    "oauth-pending:{state}", "hash", "web/oauth.py", "15 minutes", G, False,
    "amoCRM's code and host until the person confirms",
)
schedule_claim = _declare(
    "sched:{name}", "string", "schedule.py", "the job's interval less a minute", G, False,
    "a scheduled job ran within its interval",
)
worker_heartbeat = _declare(
    "worker:heartbeat", "hash", "worker.py", NONE, G, False,
    "which worker last ran the heartbeat job, and when"
)
rq = _declare(
    "rq:{rest}", "any", RQ_OWNER, "RQ's", G, False,
    "queues, jobs, results, registries and workers (`queues.py` names the queues)",
)
# fmt: on


def family_of(key: str) -> Family | None:
    """The declared family a key name belongs to (the most specific, i.e. the longest fixed text)."""
    matches = [f for f in FAMILIES if f.regex().match(key)]
    return max(matches, key=lambda f: len(_PLACEHOLDER.sub("", f.pattern)), default=None)


# --- names that take more than the placeholders ----------------------------------------------------------


def queued(kind: str, conn: str, args: tuple) -> str:
    return queued_job(kind, conn, ":".join(map(str, args)))


def job_id(kind: str, conn: str, suffix: str) -> str:
    """An RQ job id that names its connection, so an erase finds the job (`rq:job:{id}`)."""
    return f"{kind}-{conn}-{suffix}"


def changed(entity: str, account_id: int | str) -> str:
    """`entity`: "leads" or "contacts"."""
    return {"leads": changed_leads, "contacts": changed_contacts}[entity](account_id)


def oauth(state: str) -> tuple[str, str, str]:
    """An amoCRM sign-in's keys: its connection id, its browser's cookie hash, the pending code."""
    return oauth_state(state), oauth_browser(state), oauth_pending(state)


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

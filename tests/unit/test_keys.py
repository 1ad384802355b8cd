"""The key space (`backend/store/keys.py`): the names are the ones existing data is stored under, every
family can be found by a disconnect's erase, no other module spells a key, and the data-retention
table in docs/operations.md is the one the declarations render."""

from __future__ import annotations

import re

import pytest

from backend.store import erase, keys, keys_doc
from backend.store.keys import Found, Scope
from tests.conftest import ROOT

C, A = "c_AbC-12_x", 31234567

# The names as they were spelled in each module before keys.py: data written then must stay readable.
NAMES = [
    (keys.connection(C), f"conn:{C}"),
    (keys.connection_by_sheet("sheet1", 0), "conn-by-sheet:sheet1:0"),
    (keys.ledger(C), f"ledger:{C}"),
    (keys.ledger_lead(C), f"ledger-lead:{C}"),
    (keys.ledger_print(C), f"ledger-print:{C}"),
    (keys.history(C, "rKey1"), f"history:{C}:rKey1"),
    (keys.journal_runs(C), f"journal:{C}:runs"),
    (keys.journal_run(C, "0001-ab"), f"journal:{C}:run:0001-ab"),
    (keys.journal_changes(C, "0001-ab"), f"journal:{C}:changes:0001-ab"),
    (keys.journal_health(C), f"journal:{C}:health"),
    (keys.edits(C), f"edits:{C}"),
    (keys.edited_at(C), f"edited-at:{C}"),
    (keys.edits_queued(C), f"edits-queued:{C}"),
    (keys.edit_values(C), f"edit-values:{C}"),
    (keys.edit_answers(C), f"edit-answers:{C}"),
    (keys.edit_waiting(C), f"edit-waiting:{C}"),
    (keys.reconcile_queued(C), f"reconcile-queued:{C}"),
    (keys.reconcile_cursor(C), f"reconcile-cursor:{C}"),
    (keys.sheet_seen(C), f"sheet-seen:{C}"),
    (keys.moved_rows(C), f"moved-rows:{C}"),
    (keys.deleted_leads(C), f"deleted-leads:{C}"),
    (keys.intents(C), f"intents:{C}"),
    (keys.errors(C), f"errors:{C}"),
    (keys.connection_lock(C), f"lock:connection:{C}"),
    (keys.nonce(C, "n0nce"), f"nonce:{C}:n0nce"),
    (keys.queued("preview", C, (True, False)), f"queued:preview:{C}:True:False"),
    (keys.sheet_info(C, "sheet1", 7), f"sheet-info:{C}:sheet1:7"),
    (keys.account(A), f"amo:account:{A}"),
    (keys.account_connections(A), f"amo:account-conns:{A}"),
    (keys.webhook("ff00"), "amo:webhook:ff00"),
    (keys.tokens(A), f"amo:tokens:{A}"),
    (keys.catalog(A), f"amo:catalog:{A}"),
    (keys.changed("leads", A), f"amo:changed-leads:{A}"),
    (keys.changed("contacts", A), f"amo:changed-contacts:{A}"),
    (keys.drain_queued(A), f"amo:drain-queued:{A}"),
    (keys.drain_recent(A), f"amo:drain-recent:{A}"),
    (keys.revoke_check(A), f"amo:revoke-check:{A}"),
    (keys.directory_email(A), f"amo:cdir:{A}:email"),
    (keys.directory_phone(A), f"amo:cdir:{A}:phone"),
    (keys.directory_cursor(A), f"amo:cdir:{A}:cursor"),
    (keys.directory_used(A, C), f"amo:cdir:{A}:used:{C}"),
    (keys.refresh_lock(A), f"lock:amo-refresh:{A}"),
    (keys.limiter_window(keys.amo_limiter("acme.amocrm.ru")), "ratelimit:amo:acme.amocrm.ru"),
    (keys.limiter_blocked(keys.amo_limiter("acme.amocrm.ru")), "ratelimit:amo:acme.amocrm.ru:blocked"),
    (keys.limiter_window(keys.sheets_limiter("read")), "ratelimit:sheets:read"),
    (keys.limiter_blocked(keys.sheets_limiter("write")), "ratelimit:sheets:write:blocked"),
    (keys.limiter_window(keys.sheets_web_limiter("read", C)), f"ratelimit:sheets:read:web:{C}"),
    (
        keys.limiter_window(keys.sheets_web_limiter("write", keys.register_share("1234"))),
        "ratelimit:sheets:write:web:register:1234",
    ),
    (keys.register_challenge("ch1"), "register-challenge:ch1"),
    (keys.oauth("st1"), ("oauth-state:st1", "oauth-browser:st1", "oauth-pending:st1")),
    (keys.schedule_claim("reconcile_all"), "sched:reconcile_all"),
    (keys.worker_heartbeat(), "worker:heartbeat"),
]


@pytest.mark.parametrize(("name", "spelled"), NAMES, ids=[str(s) for _, s in NAMES])
def test_every_name_is_spelled_as_the_data_already_stored(name, spelled):
    assert name == spelled


@pytest.mark.parametrize(("name", "spelled"), NAMES, ids=[str(s) for _, s in NAMES])
def test_every_name_belongs_to_a_declared_family(name, spelled):
    for one in name if isinstance(name, tuple) else (name,):
        family = keys.family_of(one)
        assert family is not None and family.owner != keys.RQ_OWNER, one


def test_a_job_id_names_its_connection_and_rq_keys_it_by_that_id():
    job_id = keys.job_id("sync", C, "abc123")
    assert job_id == f"sync-{C}-abc123"
    assert keys.family_of(f"rq:job:{job_id}") is keys.job


def test_the_most_specific_family_wins():
    assert keys.family_of(f"ratelimit:sheets:read:web:{C}:blocked") is keys.sheets_web_blocked
    assert keys.family_of(f"ratelimit:sheets:read:web:{C}") is keys.sheets_web_window
    assert keys.family_of("ratelimit:sheets:read:web:register:99") is keys.register_window
    assert keys.family_of(f"rq:job:undo-{C}-00ff") is keys.job
    assert keys.family_of("rq:queue:sync") is keys.rq
    assert keys.family_of(f"journal:{C}:runs") is keys.journal_runs
    assert keys.family_of("stray:1") is None


def test_patterns_are_unique_and_erase_can_find_every_tenant_family():
    patterns = [f.pattern for f in keys.FAMILIES]
    assert len(patterns) == len(set(patterns))
    for f in keys.FAMILIES:
        assert f.found in erase.HANDLED, f.pattern
        if f.scope is Scope.CONNECTION and f.found is Found.BY_NAME:
            assert "conn" in f.placeholders, f"{f.pattern}: erased by name, but its name lacks the connection"
        if f.scope is Scope.ACCOUNT and f.found is Found.BY_NAME:
            assert "account" in f.placeholders, f"{f.pattern}: erased by name, but its name lacks the account"


def test_a_glob_escapes_what_it_is_given():
    assert keys.history.glob(conn="c_[x]*") == r"history:c_\[x\]\*:*"
    assert keys.history.regex(conn="c_1").match("history:c_1:rA")
    assert not keys.history.regex(conn="c_1").match("history:c_10:rA")


# A key spelled anywhere but keys.py: its prefix in a string literal (RQ's own `rq:` names excepted).
_PREFIXES = sorted(
    {re.split(r"\{", f.pattern, maxsplit=1)[0] for f in keys.FAMILIES if f.owner != keys.RQ_OWNER},
    key=len,
    reverse=True,
)


def test_no_other_module_spells_a_key_name():
    spelled = []
    for path in sorted((ROOT / "backend").rglob("*.py")):
        if path.name in ("keys.py", "keys_doc.py"):
            continue
        text = path.read_text()
        for prefix in _PREFIXES:
            for quote in ('"', "'"):
                if quote + prefix in text:
                    spelled.append(f"{path.relative_to(ROOT)}: {prefix}")
    assert spelled == []


def test_the_retention_table_in_the_docs_is_rendered_from_the_declarations():
    current = keys_doc.TARGET.read_text()
    assert current == keys_doc.render(current), (
        "docs/operations.md is stale: run python -m backend.store.keys_doc"
    )
    for f in keys.FAMILIES:
        assert f"`{f.pattern}`" in current


# keys.toml is data: nothing but this test tells a misspelt family name before the line runs.
_IMPORTS = re.compile(r"^from backend\.store import .*\bkeys\b", re.M)
_USED = re.compile(r"(?<![\w.])keys\.([a-z_]+)(?=[(.])")


def test_every_family_the_code_names_is_declared_and_every_declared_owner_exists():
    names = set()
    for folder in ("backend", "tests", "bench", "sandbox"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if _IMPORTS.search(text):
                names |= set(_USED.findall(text))
    missing = sorted(n for n in names if not hasattr(keys, n))
    assert missing == []
    for f in keys.FAMILIES:
        assert f.owner == keys.RQ_OWNER or (ROOT / "backend" / f.owner).is_file(), f.pattern


def test_a_misspelt_field_of_keys_toml_stops_the_import(tmp_path):
    good = 'pattern = "x:{conn}"\ntype = "hash"\nowner = "sync/run.py"\nttl = "none"\nscope = "connection"\n'
    (tmp_path / "k.toml").write_text(f'[x]\n{good}personal = false\nholds = "x"\n')
    assert keys._load(tmp_path / "k.toml")["x"].found is Found.BY_NAME
    (tmp_path / "k.toml").write_text(f'[x]\n{good}persnal = false\nholds = "x"\n')  # personal unsaid
    with pytest.raises(TypeError):
        keys._load(tmp_path / "k.toml")

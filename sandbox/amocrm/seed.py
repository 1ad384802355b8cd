"""Builders for accounts, users, pipelines and custom fields, and the default "ready to use" state.

The same functions serve the default seed (`default_state`) and the admin API (`/_sandbox/accounts`,
`…/pipelines`, …), so an account created by a test looks exactly like the seeded one.
"""

from __future__ import annotations

from sandbox.amocrm.state import Account, Integration, State

DEFAULT_HOST = "acme.amocrm.ru"
# The demo's and the backend's sandbox defaults (sandbox/demo.py), so both sides agree out of the box.
DEFAULT_CLIENT_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_CLIENT_SECRET = "demo-client-secret"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8080/oauth/amocrm/callback"

WON, LOST = 142, 143  # the same ids in every pipeline (reference §5)

PHONE_ENUMS = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
EMAIL_ENUMS = ("WORK", "PRIV", "OTHER")

_STAGES = {
    "ru": ("Неразобранное", "Первичный контакт", "Переговоры", "Принимают решение", "Согласование договора"),
    "en": ("Incoming leads", "Initial contact", "Discussions", "Decision making", "Contract discussion"),
}
_CLOSED = {"ru": ("Успешно реализовано", "Закрыто и не реализовано"), "en": ("Closed - won", "Closed - lost")}
_COLORS = ("#c1c1c1", "#99ccff", "#ffff99", "#ffcc66", "#ffcccc")


def _lang(account: Account) -> str:
    return "en" if account.is_kommo else "ru"


def add_account(state: State, host: str, name: str, now: int, *, seed: bool = True) -> Account:
    """A new account: an admin user and the main pipeline; with `seed` also a manager user and the
    standard custom fields (POSITION, PHONE, EMAIL for contacts; a few typed fields for leads)."""
    host = host.lower()
    account = Account(id=state.next_id("account"), host=host, name=name, created_at=now)
    state.accounts[host] = account
    add_user(state, account, "Anna Admin", f"anna@{account.subdomain}.example", is_admin=True)
    add_pipeline(state, account, "Воронка" if _lang(account) == "ru" else "Pipeline", is_main=True)
    if seed:
        add_user(state, account, "Maxim Manager", f"maxim@{account.subdomain}.example", is_admin=False)
        seed_custom_fields(state, account)
    return account


def add_user(state: State, account: Account, name: str, email: str, *, is_admin: bool = False) -> dict:
    user = {
        "id": state.next_id("user"),
        "name": name,
        "email": email,
        "lang": _lang(account),
        "rights": {
            "leads": {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"},
            "contacts": {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"},
            "companies": {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"},
            "tasks": {"edit": "A", "delete": "A"},
            "mail_access": True,
            "catalog_access": True,
            "status_rights": [],
            "is_admin": is_admin,
            "is_free": False,
            "is_active": True,
            "group_id": None,
            "role_id": None,
        },
    }
    account.users[user["id"]] = user
    return user


def add_pipeline(
    state: State, account: Account, name: str, *, stages: list[str] | None = None, is_main: bool = False
) -> dict:
    """A pipeline with the unsorted stage (type 1), the given stages, and the system 142/143."""
    lang = _lang(account)
    unsorted, *default_stages = _STAGES[lang]
    if is_main:
        for other in account.pipelines.values():
            other["is_main"] = False
    pipeline = {
        "id": state.next_id("pipeline"),
        "name": name,
        "sort": 1 + len(account.pipelines),
        "is_main": is_main or not account.pipelines,
        "is_unsorted_on": True,
        "is_archive": False,
        "account_id": account.id,
        "statuses": [],
    }
    pid = pipeline["id"]

    def status(sid: int, sname: str, sort: int, kind: int, editable: bool, color: str) -> dict:
        return {
            "id": sid,
            "name": sname,
            "sort": sort,
            "is_editable": editable,
            "pipeline_id": pid,
            "color": color,
            "type": kind,
            "account_id": account.id,
        }

    pipeline["statuses"].append(status(state.next_id("status"), unsorted, 10, 1, False, _COLORS[0]))
    for i, sname in enumerate(stages if stages is not None else default_stages):
        color = _COLORS[1 + i % (len(_COLORS) - 1)]
        pipeline["statuses"].append(status(state.next_id("status"), sname, 20 + 10 * i, 0, True, color))
    won, lost = _CLOSED[lang]
    pipeline["statuses"].append(status(WON, won, 10000, 0, False, "#CCFF66"))
    pipeline["statuses"].append(status(LOST, lost, 11000, 0, False, "#D5D8DB"))
    account.pipelines[pid] = pipeline
    return pipeline


def add_custom_field(
    state: State,
    account: Account,
    entity: str,
    name: str,
    type_: str,
    *,
    code: str | None = None,
    enums: list[str] | None = None,
) -> dict:
    fields = account.custom_fields[entity]
    cf = {
        "id": state.next_id("field"),
        "name": name,
        "type": type_,
        "account_id": account.id,
        "code": code,
        "sort": 10 * (len(fields) + 1),
        "is_api_only": False,
        "enums": None,
        "group_id": None,
        "required_statuses": [],
        "is_deletable": code not in ("PHONE", "EMAIL", "POSITION"),
        "is_predefined": code in ("PHONE", "EMAIL", "POSITION"),
        "entity_type": entity,
        "remind": None,
        "settings": None,
    }
    if enums:
        cf["enums"] = [
            {"id": state.next_id("enum"), "value": v, "sort": 2 * (i + 1)} for i, v in enumerate(enums)
        ]
    fields[cf["id"]] = cf
    return cf


def seed_custom_fields(state: State, account: Account) -> None:
    ru = _lang(account) == "ru"
    add_custom_field(state, account, "contacts", "Должность" if ru else "Position", "text", code="POSITION")
    add_custom_field(
        state,
        account,
        "contacts",
        "Телефон" if ru else "Phone",
        "multitext",
        code="PHONE",
        enums=list(PHONE_ENUMS),
    )
    add_custom_field(state, account, "contacts", "Email", "multitext", code="EMAIL", enums=list(EMAIL_ENUMS))
    add_custom_field(state, account, "leads", "Sheet row", "text")
    add_custom_field(
        state, account, "leads", "Source", "select", enums=["Website", "Phone call", "Spreadsheet"]
    )
    add_custom_field(state, account, "leads", "Contract date", "date")
    add_custom_field(state, account, "leads", "Amount paid", "numeric")
    add_custom_field(state, account, "leads", "VIP", "checkbox")
    add_custom_field(state, account, "leads", "Website", "url")


def default_state(integration: Integration, now: int) -> State:
    """One account (`acme.amocrm.ru`) and one integration: what a stranger gets with no state file."""
    state = State()
    add_account(state, DEFAULT_HOST, "Acme", now)
    state.integrations[integration.client_id] = integration
    return state

"""`GET /api/v4/account` (with the optional `with=` parts the official library asks for) and
`GET /api/v4/users[/{id}]` (reference §1.7)."""

from __future__ import annotations

from flask import Blueprint, g

from sandbox.amocrm import listing, responses
from sandbox.amocrm.runtime import current
from sandbox.amocrm.state import Account

bp = Blueprint("amo_account", __name__, url_prefix="/<host>/api/v4")


@bp.get("/account")
def get_account(host: str):
    account: Account = g.account
    with_ = listing.with_params()
    kommo = account.is_kommo
    body = {
        "id": account.id,
        "name": account.name,
        "subdomain": account.subdomain,
        "created_at": account.created_at,
        "created_by": 0,
        "updated_at": account.created_at,
        "updated_by": 0,
        "current_user_id": g.caller.user_id,
        "country": "US" if kommo else "RU",
        "currency": "USD" if kommo else "RUB",
        "currency_symbol": "$" if kommo else "₽",
        "customers_mode": "disabled",
        "is_unsorted_on": True,
        "mobile_feature_version": 0,
        "is_loss_reason_enabled": True,
        "is_helpbot_enabled": False,
        "is_technical_account": False,
        "contact_name_display_order": 1,
        "_links": responses.self_link(host, "/api/v4/account"),
    }
    if "amojo_id" in with_:
        body["amojo_id"] = f"{account.id:08x}-0000-4000-8000-000000000000"
    if "uuid" in with_:
        body["uuid"] = f"{account.id:08x}-1111-4000-8000-000000000000"
    if "version" in with_:
        body["version"] = 11
    if "is_api_filter_enabled" in with_:
        body["is_api_filter_enabled"] = not current().knobs.ignore_filters
    embedded = {}
    if "users_groups" in with_:
        embedded["users_groups"] = [{"id": 0, "name": "Отдел продаж" if not kommo else "Sales", "uuid": None}]
    if "task_types" in with_:
        embedded["task_types"] = [
            {"id": 1, "name": "Связаться", "color": None, "icon_id": None, "code": "FOLLOW_UP"}
        ]
    if "datetime_settings" in with_:
        embedded["datetime_settings"] = {
            "date_pattern": "d.m.Y H:i",
            "short_date_pattern": "d.m.Y",
            "short_time_pattern": "H:i",
            "date_format": "d.m.Y",
            "time_format": "H:i:s",
            "timezone": "Europe/Moscow",
            "timezone_offset": "+03:00",
        }
    if embedded:
        body["_embedded"] = embedded
    return responses.hal(body)


def render_user(account: Account, user: dict) -> dict:
    return {**user, "_links": responses.self_link(account.host, f"/api/v4/users/{user['id']}")}


@bp.get("/users")
def list_users(host: str):
    account: Account = g.account
    users = sorted(account.users.values(), key=lambda u: u["id"])
    return listing.page_response(
        "users", users, lambda u: render_user(account, u), "/api/v4/users", total=True
    )


@bp.get("/users/<int:user_id>")
def get_user(host: str, user_id: int):
    user = g.account.users.get(user_id)
    return responses.hal(render_user(g.account, user)) if user else responses.no_content()

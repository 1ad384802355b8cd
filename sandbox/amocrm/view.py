"""An HTML board of one account: each pipeline's statuses as columns, its leads as cards (name, price,
main contact). `GET /_sandbox/view/<host>`; `?refresh=N` reloads every N seconds (not while a person is
choosing a stage). `GET /_sandbox/view` lists the accounts. The sandbox page embeds it.

Each card's stage picker is a manager moving the lead: the page sends the manager action
`PATCH /_sandbox/accounts/<host>/manager/leads/<id>` (manager.py), which changes the lead as amoCRM's UI
does — `updated_at`, an event, and the `status_lead` webhook to every subscriber."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from sandbox.amocrm.admin import account_or_404
from sandbox.amocrm.runtime import current

bp = Blueprint("amo_view", __name__, url_prefix="/_sandbox/view")


@bp.get("/")
def accounts():
    return render_template(
        "amocrm/accounts.html", accounts=sorted(current().state.accounts.values(), key=lambda a: a.host)
    )


@bp.get("/<host>")
def board(host: str):
    account = account_or_404(host)
    live = [lead for lead in account.leads.values() if not lead["is_deleted"]]
    columns = []
    for pipeline in sorted(account.pipelines.values(), key=lambda p: (p["sort"], p["id"])):
        statuses = []
        for status in sorted(pipeline["statuses"], key=lambda s: s["sort"]):
            cards = sorted(
                (x for x in live if x["pipeline_id"] == pipeline["id"] and x["status_id"] == status["id"]),
                key=lambda x: -x["updated_at"],
            )
            statuses.append({"status": status, "cards": [_card(account, x) for x in cards]})
        choices = [s["status"] for s in statuses if s["status"]["type"] != 1]  # "unsorted" is not a choice
        columns.append({"pipeline": pipeline, "statuses": statuses, "choices": choices})
    refresh = request.args.get("refresh", type=int)
    return render_template("amocrm/board.html", account=account, columns=columns, refresh=refresh)


def _card(account, lead: dict) -> dict:
    main = next((cid for cid, is_main in account.contact_ids_of(lead["id"]) if is_main), None)
    contact = account.contacts.get(main) if main else None
    return {
        "id": lead["id"],
        "name": lead["name"],
        "price": lead["price"],
        "contact": contact["name"] if contact and not contact["is_deleted"] else None,
        "updated_at": lead["updated_at"],
    }

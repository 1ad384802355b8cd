"""`GET /api/v4/events[/{id}]`: the account's event log, newest first (reference: amoCRM events API).

Recorded by `entities`: `lead_added`, `lead_deleted`, `lead_status_changed`, `sale_field_changed`,
`name_field_changed`, `entity_responsible_changed`, `entity_merged`, `contact_added`,
`contact_deleted`. Filters: `filter[type]` (comma list or array), `filter[entity]` (`lead`, `contact`),
`filter[entity_id]`, `filter[created_at][from|to]`, `filter[created_by]`, `filter[id]`. Pages of up to
100 (the documented maximum); nothing found answers 204.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from sandbox.amocrm import listing, responses
from sandbox.amocrm.state import Account

bp = Blueprint("amo_events", __name__, url_prefix="/<host>/api/v4")

FILTERS = {
    "id": lambda e, v: e["id"] in listing.as_list(v),
    "type": lambda e, v: e["type"] in listing.as_list(v),
    "entity": lambda e, v: e["entity_type"] in {x.rstrip("s") for x in listing.as_list(v)},
    "entity_id": lambda e, v: e["entity_id"] in listing.as_ints(v),
    "created_at": lambda e, v: listing.in_range(e["created_at"], v),
    "created_by": lambda e, v: e["created_by"] in listing.as_ints(v),
}


def render(account: Account, event: dict) -> dict:
    entity_path = f"/api/v4/{event['entity_type']}s/{event['entity_id']}"
    return {
        **event,
        "_links": responses.self_link(account.host, f"/api/v4/events/{event['id']}"),
        "_embedded": {
            "entity": {"id": event["entity_id"], "_links": responses.self_link(account.host, entity_path)}
        },
    }


@bp.get("/events")
def list_events(host: str):
    account: Account = g.account
    events = listing.apply_filters(account.events, listing.parse_brackets(request.args, "filter"), FILTERS)
    events = list(reversed(events))  # newest first, as amoCRM lists them
    return listing.page_response(
        "events", events, lambda e: render(account, e), "/api/v4/events", default=100, maximum=100
    )


@bp.get("/events/<event_id>")
def get_event(host: str, event_id: str):
    event = next((e for e in g.account.events if e["id"] == event_id), None)
    return responses.hal(render(g.account, event)) if event else responses.no_content()

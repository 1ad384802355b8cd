"""Pipelines and statuses (reference §5): `GET /api/v4/leads/pipelines[/{id}[/statuses[/{id}]]]`.

Every pipeline holds an "unsorted" stage (type 1), its own stages, and the system statuses 142 (won)
and 143 (lost), whose ids are the same in every pipeline. Lists are not paginated and carry
`_total_items`. Pipelines are created through the admin API (`/_sandbox/accounts/<host>/pipelines`).
"""

from __future__ import annotations

from flask import Blueprint, g

from sandbox.amocrm import responses
from sandbox.amocrm.state import Account

bp = Blueprint("amo_pipelines", __name__, url_prefix="/<host>/api/v4")


def render_status(account: Account, status: dict) -> dict:
    path = f"/api/v4/leads/pipelines/{status['pipeline_id']}/statuses/{status['id']}"
    return {**status, "_links": responses.self_link(account.host, path)}


def render_pipeline(account: Account, pipeline: dict) -> dict:
    body = {k: v for k, v in pipeline.items() if k != "statuses"}
    body["_links"] = responses.self_link(account.host, f"/api/v4/leads/pipelines/{pipeline['id']}")
    body["_embedded"] = {"statuses": [render_status(account, s) for s in _sorted(pipeline)]}
    return body


def _sorted(pipeline: dict) -> list[dict]:
    return sorted(pipeline["statuses"], key=lambda s: s["sort"])


@bp.get("/leads/pipelines")
def list_pipelines(host: str):
    account: Account = g.account
    pipelines = sorted(account.pipelines.values(), key=lambda p: (p["sort"], p["id"]))
    return responses.hal(
        {
            "_total_items": len(pipelines),
            "_links": responses.self_link(host, "/api/v4/leads/pipelines"),
            "_embedded": {"pipelines": [render_pipeline(account, p) for p in pipelines]},
        }
    )


@bp.get("/leads/pipelines/<int:pipeline_id>")
def get_pipeline(host: str, pipeline_id: int):
    pipeline = g.account.pipelines.get(pipeline_id)
    return responses.hal(render_pipeline(g.account, pipeline)) if pipeline else responses.no_content()


@bp.get("/leads/pipelines/<int:pipeline_id>/statuses")
def list_statuses(host: str, pipeline_id: int):
    account: Account = g.account
    pipeline = account.pipelines.get(pipeline_id)
    if pipeline is None:
        return responses.no_content()
    return responses.hal(
        {
            "_total_items": len(pipeline["statuses"]),
            "_links": responses.self_link(host, f"/api/v4/leads/pipelines/{pipeline_id}/statuses"),
            "_embedded": {"statuses": [render_status(account, s) for s in _sorted(pipeline)]},
        }
    )


@bp.get("/leads/pipelines/<int:pipeline_id>/statuses/<int:status_id>")
def get_status(host: str, pipeline_id: int, status_id: int):
    status = g.account.status(pipeline_id, status_id)
    return responses.hal(render_status(g.account, status)) if status else responses.no_content()

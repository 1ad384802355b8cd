"""Leads (reference §2.3, §3): create/list/get/update, filters, query, order, pagination, 204s,
validation errors, stamps."""

from __future__ import annotations

from urllib.parse import urlsplit


def pipeline(amo_account: dict) -> dict:
    return next(p for p in amo_account["pipelines"] if p["is_main"])


def stage(amo_account: dict, n: int = 1) -> int:
    """The n-th ordinary stage of the main pipeline (0 would be 'unsorted')."""
    return sorted(pipeline(amo_account)["statuses"], key=lambda s: s["sort"])[n]["id"]


def field(amo_account: dict, entity: str, name: str) -> dict:
    return next(f for f in amo_account["custom_fields"][entity] if f["name"] == name)


def test_create_echoes_request_id_or_the_index(amo_api):
    resp = amo_api.post("/leads", [{"name": "A", "request_id": "row-17"}, {"name": "B"}])
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/hal+json")
    leads = resp.json()["_embedded"]["leads"]
    assert [x["request_id"] for x in leads] == ["row-17", "1"]
    assert leads[0]["_links"]["self"]["href"] == f"{amo_api.base}/leads/{leads[0]['id']}"


def test_get_one_and_defaults(amo_api, amo_account):
    (lead_id,) = amo_api.create_leads([{"name": "Deal", "price": 1500}])
    lead = amo_api.get(f"/leads/{lead_id}").json()
    assert lead["id"] == lead_id and lead["price"] == 1500 and lead["account_id"] == amo_account["id"]
    assert lead["pipeline_id"] == pipeline(amo_account)["id"] and lead["status_id"] == stage(amo_account, 1)
    assert lead["closed_at"] is None and lead["custom_fields_values"] is None
    assert lead["_embedded"] == {"tags": [], "companies": []}


def test_empty_results_are_204_with_an_empty_body(amo_api):
    for path in ("/leads", "/leads/123", "/leads?query=nothing", "/contacts", "/contacts/5", "/events"):
        resp = amo_api.get(path)
        assert resp.status_code == 204, path
        assert resp.content == b"" and "Content-Type" not in resp.headers
    amo_api.create_leads([{"name": "only"}])
    assert amo_api.get("/leads", params={"page": 2}).status_code == 204
    assert amo_api.get("/leads", params={"filter[id][]": 1}).status_code == 204


def test_pagination_links_are_absolute_on_the_emulator_and_lead_to_the_end(amo_api):
    ids = amo_api.create_leads([{"name": f"L{i}"} for i in range(7)])
    seen, url, pages = [], f"{amo_api.base}/leads?limit=3&order[id]=asc", []
    while url:
        body = amo_api.get(url).json()
        pages.append(body["_page"])
        seen += [x["id"] for x in body["_embedded"]["leads"]]
        links = body["_links"]
        assert urlsplit(links["self"]["href"]).netloc == urlsplit(amo_api.base).netloc
        if body["_page"] > 1:
            assert "page=1" in links["first"]["href"] and f"page={body['_page'] - 1}" in links["prev"]["href"]
        else:
            assert "first" not in links and "prev" not in links
        url = links.get("next", {}).get("href")
        assert url is None or "order%5Bid%5D=asc" in url  # other parameters survive
    assert pages == [1, 2, 3] and seen == ids
    assert "_total_items" not in body


def test_filter_by_id_in_every_client_form(amo_api):
    ids = amo_api.create_leads([{"name": f"L{i}"} for i in range(4)])

    def found(params) -> list[int]:
        resp = amo_api.get("/leads", params=params)
        return [] if resp.status_code == 204 else [x["id"] for x in resp.json()["_embedded"]["leads"]]

    assert found([("filter[id][]", ids[0]), ("filter[id][]", ids[2])]) == [ids[0], ids[2]]
    assert found({"filter[id]": ids[1]}) == [ids[1]]
    assert found([("filter[id][0]", ids[1]), ("filter[id][0]", ids[3])]) == [ids[1], ids[3]]


def test_filter_by_updated_at_range(amo, amo_api):
    (old,) = amo_api.create_leads([{"name": "old"}])
    t1 = int(amo.admin.advance(100))
    (new,) = amo_api.create_leads([{"name": "new"}])
    body = amo_api.get("/leads", params={"filter[updated_at][from]": t1}).json()
    assert [x["id"] for x in body["_embedded"]["leads"]] == [new]
    body = amo_api.get("/leads", params={"filter[updated_at][to]": t1 - 1}).json()
    assert [x["id"] for x in body["_embedded"]["leads"]] == [old]


def test_filter_by_pipeline_and_status(amo_api, amo_account):
    p = pipeline(amo_account)["id"]
    a, _b = amo_api.create_leads([{"name": "a", "status_id": stage(amo_account, 2)}, {"name": "b"}])
    params = {"filter[statuses][0][pipeline_id]": p, "filter[statuses][0][status_id]": stage(amo_account, 2)}
    assert [x["id"] for x in amo_api.get("/leads", params=params).json()["_embedded"]["leads"]] == [a]


def test_unknown_filters_are_ignored_unless_strict_and_filters_can_be_switched_off(amo, amo_api):
    a, _b = amo_api.create_leads([{"name": "a"}, {"name": "b"}])
    assert len(amo_api.get("/leads", params={"filter[colour]": "red"}).json()["_embedded"]["leads"]) == 2
    amo.admin.set_faults(strict_filters=True)
    resp = amo_api.get("/leads", params={"filter[colour]": "red"})
    assert (
        resp.status_code == 400
        and resp.json()["validation-errors"][0]["errors"][0]["path"] == "filter.colour"
    )
    amo.admin.set_faults(strict_filters=False, ignore_filters=True)  # an account without API filtering
    assert len(amo_api.get("/leads", params={"filter[id]": a}).json()["_embedded"]["leads"]) == 2
    assert (
        amo_api.get("/account", params={"with": "is_api_filter_enabled"}).json()["is_api_filter_enabled"]
        is False
    )


def test_order_by_updated_at_desc(amo, amo_api):
    a, b = amo_api.create_leads([{"name": "a"}, {"name": "b"}])
    amo.admin.advance(10)
    amo_api.patch(f"/leads/{a}", {"price": 5})
    body = amo_api.get("/leads", params={"order[updated_at]": "desc"}).json()
    assert [x["id"] for x in body["_embedded"]["leads"]] == [a, b]


def test_query_matches_name_and_field_values(amo_api, amo_account):
    row = field(amo_account, "leads", "Sheet row")
    a, b = amo_api.create_leads(
        [
            {"name": "Ivan Petrov deal"},
            {
                "name": "Other",
                "custom_fields_values": [{"field_id": row["id"], "values": [{"value": "sheet-17"}]}],
            },
        ]
    )
    assert [
        x["id"] for x in amo_api.get("/leads", params={"query": "petrov"}).json()["_embedded"]["leads"]
    ] == [a]
    assert [
        x["id"] for x in amo_api.get("/leads", params={"query": "sheet-1"}).json()["_embedded"]["leads"]
    ] == [b]


def test_with_contacts_embeds_id_and_is_main(amo_api):
    c1, c2 = amo_api.create_contacts([{"name": "Main"}, {"name": "Second"}])
    resp = amo_api.post("/leads", [{"name": "L", "_embedded": {"contacts": [{"id": c1}, {"id": c2}]}}])
    lead_id = resp.json()["_embedded"]["leads"][0]["id"]
    embedded = amo_api.get(f"/leads/{lead_id}", params={"with": "contacts"}).json()["_embedded"]["contacts"]
    assert [(c["id"], c["is_main"]) for c in embedded] == [(c1, True), (c2, False)]
    listed = amo_api.get("/leads", params={"with": "contacts"}).json()["_embedded"]["leads"][0]
    assert [c["id"] for c in listed["_embedded"]["contacts"]] == [c1, c2]
    assert "contacts" not in amo_api.get(f"/leads/{lead_id}").json()["_embedded"]


def test_patch_takes_an_array_on_the_collection_and_an_object_on_the_item(amo, amo_api):
    a, b = amo_api.create_leads([{"name": "a"}, {"name": "b"}])
    batch = amo_api.patch("/leads", [{"id": a, "price": 10}, {"id": b, "name": "bb"}])
    assert batch.status_code == 200
    assert [x["id"] for x in batch.json()["_embedded"]["leads"]] == [a, b]
    one = amo_api.patch(f"/leads/{a}", {"name": "aa"})
    assert one.status_code == 200 and one.json()["id"] == a and "updated_at" in one.json()
    wrong = amo_api.patch(f"/leads/{a}", [{"name": "x"}])
    assert wrong.status_code == 405 and wrong.headers["Content-Type"].startswith("application/problem+json")
    leads = {x["id"]: x for x in amo.admin.leads("acme.amocrm.ru")}
    assert (leads[a]["name"], leads[a]["price"], leads[b]["name"]) == ("aa", 10, "bb")


def test_delete_is_not_in_v4(amo_api):
    (a,) = amo_api.create_leads([{"name": "a"}])
    resp = amo_api.delete(f"/leads/{a}")
    assert resp.status_code == 405 and resp.json()["status"] == 405
    assert amo_api.get(f"/leads/{a}").status_code == 200


def test_validation_errors_reject_the_whole_batch(amo, amo_api, amo_account):
    resp = amo_api.post(
        "/leads",
        [
            {"name": "ok"},
            {"name": "bad price", "price": "1000", "request_id": "r1"},
            {"name": "bad status", "status_id": 999},
            {"name": "bad field", "custom_fields_values": [{"field_id": 1, "values": [{"value": "x"}]}]},
        ],
    )
    assert resp.status_code == 400 and resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["title"] == "Bad Request" and body["detail"] == "Request validation failed"
    errors = {g["request_id"]: g["errors"] for g in body["validation-errors"]}
    assert set(errors) == {"r1", "2", "3"}
    assert errors["r1"][0]["code"] == "InvalidType" and errors["r1"][0]["path"] == "price"
    assert errors["2"][0] == {
        "code": "NotSupportedChoice",
        "path": "status_id",
        "detail": "The value you selected is not a valid choice.",
    }
    assert errors["3"][0]["path"] == "custom_fields_values.0.field_id"
    assert amo.admin.leads("acme.amocrm.ru") == []


def test_validation_of_users_and_field_values(amo_api, amo_account):
    vip, source = field(amo_account, "leads", "VIP"), field(amo_account, "leads", "Source")
    resp = amo_api.post(
        "/leads",
        [
            {
                "responsible_user_id": 42,
                "custom_fields_values": [
                    {"field_id": vip["id"], "values": [{"value": "yes"}]},
                    {"field_id": source["id"], "values": [{"enum_id": 1}]},
                ],
            }
        ],
    )
    paths = [e["path"] for e in resp.json()["validation-errors"][0]["errors"]]
    assert paths == [
        "responsible_user_id",
        "custom_fields_values.0.values.0.value",
        "custom_fields_values.1.values.0.enum_id",
    ]


def test_custom_field_values_are_rendered_with_metadata(amo_api, amo_account):
    source, date = field(amo_account, "leads", "Source"), field(amo_account, "leads", "Contract date")
    enum = source["enums"][2]
    (lead_id,) = amo_api.create_leads(
        [
            {
                "custom_fields_values": [
                    {"field_id": source["id"], "values": [{"value": enum["value"]}]},
                    {"field_id": date["id"], "values": [{"value": 1726572752}]},
                ]
            }
        ]
    )
    values = amo_api.get(f"/leads/{lead_id}").json()["custom_fields_values"]
    assert values[0] == {
        "field_id": source["id"],
        "field_name": "Source",
        "field_code": None,
        "field_type": "select",
        "values": [{"value": enum["value"], "enum_id": enum["id"]}],
    }
    assert values[1]["values"] == [{"value": 1726572752}]
    amo_api.patch(f"/leads/{lead_id}", {"custom_fields_values": [{"field_id": source["id"], "values": None}]})
    assert [v["field_id"] for v in amo_api.get(f"/leads/{lead_id}").json()["custom_fields_values"]] == [
        date["id"]
    ]


def test_updated_at_is_bumped_and_closed_at_set_on_won(amo, amo_api, amo_account):
    (lead_id,) = amo_api.create_leads([{"name": "a"}])
    created = amo_api.get(f"/leads/{lead_id}").json()
    now = amo.admin.advance(3600)
    resp = amo_api.patch(f"/leads/{lead_id}", {"status_id": 142, "pipeline_id": pipeline(amo_account)["id"]})
    assert resp.json()["updated_at"] == int(now)
    lead = amo_api.get(f"/leads/{lead_id}").json()
    assert lead["updated_at"] == int(now) > created["updated_at"] and lead["closed_at"] == int(now)
    assert lead["status_id"] == 142 and lead["created_at"] == created["created_at"]


def test_other_pipelines_and_their_system_statuses(amo, amo_api):
    created = amo.admin.create_pipeline("acme.amocrm.ru", "Partners", ["New", "Signed"])
    body = amo_api.get(f"/leads/pipelines/{created['id']}").json()
    statuses = body["_embedded"]["statuses"]
    assert [s["type"] for s in statuses][:1] == [1] and {142, 143} <= {s["id"] for s in statuses}
    assert amo_api.get("/leads/pipelines").json()["_total_items"] == 2
    new_stage = statuses[1]["id"]
    (lead_id,) = amo_api.create_leads([{"name": "p", "status_id": new_stage}])  # moves to its pipeline
    assert amo_api.get(f"/leads/{lead_id}").json()["pipeline_id"] == created["id"]
    wrong = amo_api.post("/leads", [{"pipeline_id": 12345}])
    assert wrong.json()["validation-errors"][0]["errors"][0]["path"] == "pipeline_id"


def test_tags_are_given_by_name_or_by_id(amo_api):
    """`_embedded.tags[{id|name}]` on create (reference: amocrm-api.md, POST /api/v4/leads, from the PHP
    library's `LeadModel::toApi`): a tag named once is then known by its id; an unknown id is refused.
    The emulator looks ids up only when one is given: every lead the sync creates carries a tag of its
    own (`amo_sync_id:<row key>`), so an account of 100,000 rows holds that many tags."""
    resp = amo_api.post(
        "/leads", [{"name": f"L{i}", "_embedded": {"tags": [{"name": f"t{i}"}]}} for i in range(3)]
    )
    (first, *_) = [x["id"] for x in resp.json()["_embedded"]["leads"]]
    tag = amo_api.get(f"/leads/{first}").json()["_embedded"]["tags"][0]
    assert tag["name"] == "t0"
    resp = amo_api.post("/leads", [{"name": "by id", "_embedded": {"tags": [{"id": tag["id"]}]}}])
    lead = resp.json()["_embedded"]["leads"][0]["id"]
    assert [t["name"] for t in amo_api.get(f"/leads/{lead}").json()["_embedded"]["tags"]] == ["t0"]
    resp = amo_api.post("/leads", [{"name": "unknown", "_embedded": {"tags": [{"id": 999999}]}}])
    assert resp.status_code == 400
    (errors,) = [g["errors"] for g in resp.json()["validation-errors"]]
    assert errors[0]["code"] == "NotSupportedChoice" and errors[0]["path"] == "_embedded.tags.0"

"""`with=only_deleted` lists the trash, and says nothing about what was deleted beyond its id and time.

Sources: amoCRM's leads-list docs (https://www.amocrm.com/developers/content/api_v4/leads-api/, "with"
parameters): "only_deleted — … will return only the deleted leads that are still restorable … lead
models with the following properties: 'id', modification date and 'is_deleted' = true". The official
PHP library offers the same `with` for contacts (src/AmoCRM/Models/ContactModel.php getAvailableWith()
lists ONLY_DELETED from CanReturnDeletedInterface), so a contact list with it is the deleted contacts,
never the live ones.
"""

from __future__ import annotations

HOST = "acme.amocrm.ru"


def test_only_deleted_leads_are_listed_as_id_time_and_flag(amo, amo_api):
    gone, kept = amo_api.create_leads([{"name": "Gone", "price": 5}, {"name": "Kept"}])
    amo.admin.manager_delete_lead(HOST, gone)
    deleted_at = amo.admin.leads(HOST)
    listed = amo_api.get("/leads", params={"with": "only_deleted"}).json()["_embedded"]["leads"]
    (when,) = [x["updated_at"] for x in deleted_at if x["id"] == gone]
    assert listed == [{"id": gone, "updated_at": when, "is_deleted": True}]
    live = amo_api.get("/leads").json()["_embedded"]["leads"]
    assert [x["id"] for x in live] == [kept]


def test_only_deleted_with_contacts_still_names_nothing(amo, amo_api):
    (gone,) = amo_api.create_leads([{"name": "Gone"}])
    amo.admin.manager_delete_lead(HOST, gone)
    (item,) = amo_api.get("/leads", params={"with": "only_deleted,contacts"}).json()["_embedded"]["leads"]
    assert set(item) == {"id", "updated_at", "is_deleted"}


def test_only_deleted_contacts_are_the_deleted_ones(amo, amo_api):
    gone, kept = amo_api.create_contacts([{"name": "Gone"}, {"name": "Kept"}])
    assert amo_api.get("/contacts", params={"with": "only_deleted"}).status_code == 204  # none yet
    amo.admin.manager_delete_contact(HOST, gone)
    listed = amo_api.get("/contacts", params={"with": "only_deleted"}).json()["_embedded"]["contacts"]
    assert [x["id"] for x in listed] == [gone]
    assert listed[0]["is_deleted"] is True and "name" not in listed[0]
    live = amo_api.get("/contacts").json()["_embedded"]["contacts"]
    assert [x["id"] for x in live] == [kept]

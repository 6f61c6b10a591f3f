"""Commands through the write API become visible through the query API, for every event type,
and a client can read its own write with ``min_version``."""

from __future__ import annotations

from tests.credentials import PASSWORD
from tests.e2e.conftest import System
from tests.polling import wait_for


def test_every_event_type_reaches_mongo_and_elasticsearch(system: System) -> None:
    admin = system.token("00000000-0000-4000-8000-000000000001", "admin")
    ada = system.command(
        "/v1/users",
        {"email": "ada@example.com", "full_name": "Ada Lovelace", "password": PASSWORD},
        {},
        201,
    )
    shop = system.command(
        "/v1/users",
        {"email": "shop@example.com", "full_name": "Book Shop", "password": PASSWORD},
        {},
        201,
    )
    as_ada, as_shop = system.token(ada["id"]), system.token(shop["id"])
    operator = system.token("00000000-0000-4000-8000-000000000002", "operator")

    wallet = system.command("/v1/accounts", {"owner_id": ada["id"], "currency": "EUR"}, as_ada, 201)
    spare = system.command("/v1/accounts", {"owner_id": ada["id"], "currency": "EUR"}, as_ada, 201)
    till = system.command("/v1/accounts", {"owner_id": shop["id"], "currency": "EUR"}, as_shop, 201)
    w = f"/v1/accounts/{wallet['id']}"
    system.command(f"{w}/deposits", {"amount": 10_000, "reference": "salary"}, as_ada)
    system.command(f"{w}/withdrawals", {"amount": 1_000, "reference": "cash"}, as_ada)
    system.command(
        "/v1/transfers",
        {
            "from_account_id": wallet["id"],
            "to_account_id": spare["id"],
            "amount": 500,
            "reference": "savings",
        },
        as_ada,
        201,
    )
    paid = system.command(
        "/v1/payments",
        {
            "payer_account_id": wallet["id"],
            "payee_account_id": till["id"],
            "amount": 2_500,
            "description": "Structure and Interpretation of Computer Programs",
            "merchant": "Book Shop",
        },
        as_ada,
        201,
    )
    system.command(f"/v1/payments/{paid['id']}/capture", None, as_shop)
    system.command(f"/v1/payments/{paid['id']}/refunds", {"amount": 500}, as_shop)
    voided = system.command(
        "/v1/payments",
        {
            "payer_account_id": wallet["id"],
            "payee_account_id": till["id"],
            "amount": 300,
            "description": "Bookmark",
            "merchant": "Book Shop",
        },
        as_ada,
        201,
    )
    system.command(f"/v1/payments/{voided['id']}/void", None, as_ada)
    system.command(f"/v1/accounts/{spare['id']}/freeze", {"reason": "check"}, operator)
    system.command(f"/v1/accounts/{spare['id']}/unfreeze", {"reason": "ok"}, operator)
    profile = system.write.patch(
        f"/v1/users/{ada['id']}", json={"full_name": "Ada King"}, headers=as_ada
    )
    assert profile.status_code == 200, profile.text

    # Read your own writes: each GET waits for the version the command returned.
    user = system.get(f"/v1/users/{ada['id']}", as_ada, min_version=profile.json()["version"])
    assert user["full_name"] == "Ada King"
    account = system.get(w, as_ada, min_version=10)  # ten events on the wallet
    assert account["balance"] == 10_000 - 1_000 - 500 - 2_500 + 500
    assert account["available"] == account["balance"]
    savings = system.get(f"/v1/accounts/{spare['id']}", as_ada, min_version=4)
    assert (savings["balance"], savings["status"]) == (500, "open")
    payment = system.get(f"/v1/payments/{paid['id']}", as_ada, min_version=3)
    assert (payment["status"], payment["captured"], payment["refunded"]) == (
        "partially_refunded",
        2_500,
        500,
    )
    void = system.get(f"/v1/payments/{voided['id']}", as_ada, min_version=2)
    assert void["status"] == "voided"

    entries = wait_for(
        lambda: (e := system.get(f"{w}/entries", as_ada)["items"]) and len(e) == 5 and e
    )
    assert [e["amount"] for e in entries][-2:] == [1_000, 10_000]  # newest first
    inbox = wait_for(
        lambda: system.get(f"/v1/users/{ada['id']}/notifications", as_ada, limit=100)["items"]
    )
    assert inbox, "deposits and captures notify the account owner"
    newest = inbox[0]["position"]
    marked = system.command(
        f"/v1/users/{ada['id']}/notifications/read", {"up_to_position": newest}, as_ada
    )
    seen = system.get(
        f"/v1/users/{ada['id']}/notifications", as_ada, limit=100, min_version=marked["version"]
    )["items"]
    assert all(line["read"] for line in seen if line["position"] <= newest)

    found = wait_for(lambda: system.get("/v1/search/payments", as_ada, q="computer")["items"])
    assert [p["id"] for p in found] == [paid["id"]]
    users = wait_for(lambda: system.get("/v1/search/users", admin, q="king")["items"])
    assert [u["id"] for u in users] == [ada["id"]]

    # The remaining event types: an account closed at zero, a user deactivated, a user forgotten.
    system.command(
        f"/v1/accounts/{spare['id']}/withdrawals", {"amount": 500, "reference": "x"}, as_ada
    )
    closed = system.command(f"/v1/accounts/{spare['id']}/close", {"reason": "unused"}, operator)
    assert (
        system.get(f"/v1/accounts/{spare['id']}", as_ada, min_version=closed["version"])["status"]
        == "closed"
    )
    gone = system.command(f"/v1/users/{shop['id']}/deactivate", None, as_shop)
    assert (
        system.get(f"/v1/users/{shop['id']}", as_shop, min_version=gone["version"])["status"]
        == "deactivated"
    )
    forgotten = system.write.delete(f"/v1/users/{ada['id']}/personal-data", headers=as_ada)
    assert forgotten.status_code == 200, forgotten.text
    ada_now = system.get(f"/v1/users/{ada['id']}", as_ada, min_version=forgotten.json()["version"])
    assert (ada_now["email"], ada_now["full_name"]) == (None, None)
    assert_forgotten_everywhere(system, ada["id"], admin)


def assert_forgotten_everywhere(system: System, user_id: str, admin: dict[str, str]) -> None:
    """Search no longer finds the forgotten user, and a rebuild from the event store does not
    bring their name or email back."""
    from elasticsearch import Elasticsearch
    from pymongo import MongoClient

    from event_store.connection import open_pool
    from event_store.store import EventStore
    from projections.rebuild.mongo_target import MongoTarget
    from projections.rebuild.run import rebuild
    from projections.rebuild.search_target import SearchTarget

    for q in ("Lovelace", "King", "ada@example.com"):
        assert wait_for(lambda q=q: not system.get("/v1/search/users", admin, q=q)["items"]), (
            f"search still finds the forgotten user by {q!r}"
        )
    settings = system.settings
    mongo: MongoClient[dict[str, object]] = MongoClient(settings.mongo_url)
    search = Elasticsearch(settings.elasticsearch_url)
    pool = open_pool(settings.database_url, min_size=1, max_size=2)
    try:
        rebuild(
            EventStore(pool),
            [
                MongoTarget(mongo[settings.mongo_database]),
                SearchTarget(search, settings.search_index_prefix),
            ],
        )
        rebuilt = system.get(f"/v1/users/{user_id}", admin)
        assert (rebuilt["email"], rebuilt["full_name"]) == (None, None)
        search.indices.refresh(index=f"{settings.search_index_prefix}-users")
        assert not system.get("/v1/search/users", admin, q="Lovelace")["items"]
    finally:
        pool.close()
        search.close()
        mongo.close()

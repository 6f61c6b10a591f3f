"""Payment and user search over Elasticsearch: text, filters, facets, cursor paging and the
rule that customers only ever find payments of their own accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from read_api.cursors import encode_cursor
from tests.read_api.conftest import Caller, Document, ReadModels, assert_problem, fields


@dataclass(frozen=True)
class Corpus:
    users: dict[str, Document]
    payments: dict[str, Document]

    def ids(self, *names: str) -> list[str]:
        return [self.payments[name]["id"] for name in names]


@pytest.fixture(scope="module")
def corpus(models: ReadModels) -> Corpus:
    users = {
        name: models.user(full_name, email=f"{name}@example.com")
        for name, full_name in [
            ("alice", "Alice Archer"),
            ("bob", "Bob Baker"),
            ("carol", "Carol Cooper"),
            ("dave", "Dave Driver"),
        ]
    }
    for doc in users.values():
        models.index_user(doc)
    a1, a2 = models.account(users["alice"], "EUR"), models.account(users["alice"], "USD")
    b1, b2 = models.account(users["bob"], "EUR"), models.account(users["bob"], "USD")
    c1 = models.account(users["carol"], "EUR")
    pay = models.payment
    payments = {  # created in this order, so p6 is the newest
        "p1": pay(a1, b1, 1500, "Coffee beans", "Bean Co", status="captured"),
        "p2": pay(b1, c1, 300, "Train ticket", "Rail Co", status="authorized"),
        "p3": pay(c1, a1, 9900, "Laptop repair", "Fix It", status="refunded"),
        "p4": pay(a2, b2, 2500, "Coffee subscription", "Roastery", status="authorized"),
        "p5": pay(b1, c1, 700, "Flowers", "Coffee and Flowers", status="voided"),
        "p6": pay(c1, b1, 12000, "Rent", "Landlord Ltd", status="captured"),
    }
    models.refresh()
    return Corpus(users, payments)


def search(
    client: TestClient, headers: dict[str, str], path: str = "/v1/search/payments", **params: Any
) -> dict[str, Any]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def test_without_filters_an_auditor_finds_every_payment_newest_first(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    body = search(client, caller("auditor"))
    assert ids(body) == corpus.ids("p6", "p5", "p4", "p3", "p2", "p1")
    assert body["total"] == 6
    assert body["facets"] == {
        "status": {"captured": 2, "authorized": 2, "refunded": 1, "voided": 1},
        "currency": {"EUR": 5, "USD": 1},
    }
    assert body["next_cursor"] is None
    assert body["items"][0] == {
        key: corpus.payments["p6"][key] for key in body["items"][0] if key in corpus.payments["p6"]
    }


def test_text_search_matches_description_and_merchant(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    body = search(client, caller("admin"), q="coffee")
    assert ids(body) == corpus.ids("p5", "p4", "p1")
    assert body["total"] == 3
    assert body["facets"] == {
        "status": {"voided": 1, "authorized": 1, "captured": 1},
        "currency": {"EUR": 2, "USD": 1},
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "captured"}, ["p6", "p1"]),
        ({"currency": "USD"}, ["p4"]),
        ({"min_amount": 1000, "max_amount": 9900}, ["p4", "p3", "p1"]),
        ({"min_amount": 9900}, ["p6", "p3"]),
        ({"max_amount": 300}, ["p2"]),
        ({"q": "coffee", "currency": "EUR", "status": "captured"}, ["p1"]),
        ({"q": "nothing-like-this"}, []),
    ],
)
def test_filters_narrow_the_results_and_their_facets(
    client: TestClient,
    corpus: Corpus,
    caller: Caller,
    params: dict[str, Any],
    expected: list[str],
) -> None:
    body = search(client, caller("auditor"), **params)
    assert ids(body) == corpus.ids(*expected)
    assert body["total"] == len(expected)
    assert sum(body["facets"]["status"].values()) == len(expected)
    assert sum(body["facets"]["currency"].values()) == len(expected)


def test_the_created_at_range_is_inclusive(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    start, end = corpus.payments["p2"]["created_at"], corpus.payments["p4"]["created_at"]
    body = search(client, caller("auditor"), **{"from": start, "to": end})
    assert ids(body) == corpus.ids("p4", "p3", "p2")


def test_times_without_an_offset_are_taken_as_utc(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    start = corpus.payments["p5"]["created_at"].removesuffix("Z")
    body = search(client, caller("auditor"), **{"from": start, "to": "2099-01-01T00:00:00Z"})
    assert ids(body) == corpus.ids("p6", "p5")


def test_cursor_paging_walks_every_result_once_with_stable_totals_and_facets(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    headers = caller("auditor")
    first = search(client, headers, limit=2)
    pages, cursor = [first], first["next_cursor"]
    while cursor is not None:
        pages.append(search(client, headers, limit=2, cursor=cursor))
        cursor = pages[-1]["next_cursor"]
    assert [ids(page) for page in pages] == [
        corpus.ids("p6", "p5"),
        corpus.ids("p4", "p3"),
        corpus.ids("p2", "p1"),
    ]
    assert {page["total"] for page in pages} == {6}
    assert all(page["facets"] == first["facets"] for page in pages)


def test_a_customer_finds_only_payments_of_their_own_accounts(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    alice = caller.of(corpus.users["alice"])
    body = search(client, alice)
    assert ids(body) == corpus.ids("p4", "p3", "p1")
    assert body["total"] == 3
    assert body["facets"] == {
        "status": {"authorized": 1, "refunded": 1, "captured": 1},
        "currency": {"EUR": 2, "USD": 1},
    }
    # The coffee seller p5 is not Alice's: text search does not widen the scope.
    assert ids(search(client, alice, q="coffee")) == corpus.ids("p4", "p1")


def test_an_accounts_payments_are_those_from_or_to_it_for_those_who_may_read_it(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    alice = caller.of(corpus.users["alice"])
    eur = corpus.payments["p1"]["payer_account_id"]
    usd = corpus.payments["p4"]["payer_account_id"]
    assert ids(search(client, alice, account_id=eur)) == corpus.ids("p3", "p1")
    assert ids(search(client, alice, account_id=usd, q="coffee")) == corpus.ids("p4")
    assert ids(search(client, caller("auditor"), account_id=eur)) == corpus.ids("p3", "p1")
    # Bob's account is not Alice's to read: the same 404 as for an account that does not exist.
    bobs = corpus.payments["p2"]["payer_account_id"]
    for unknown in (bobs, "00000000-0000-4000-8000-000000000000"):
        hidden = client.get("/v1/search/payments", params={"account_id": unknown}, headers=alice)
        assert_problem(hidden, 404, "not-found")
    bad = client.get("/v1/search/payments", params={"account_id": "x"}, headers=alice)
    assert fields(assert_problem(bad, 422, "validation-error")) == ["account_id"]


def test_every_term_of_the_text_query_must_match(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    assert ids(search(client, caller("auditor"), q="coffee beans")) == corpus.ids("p1")


def test_a_customers_search_pages_within_their_own_payments(
    client: TestClient, corpus: Corpus, caller: Caller
) -> None:
    bob = caller.of(corpus.users["bob"])
    first = search(client, bob, limit=3)
    second = search(client, bob, limit=3, cursor=first["next_cursor"])
    assert ids(first) + ids(second) == corpus.ids("p6", "p5", "p4", "p2", "p1")
    assert second["next_cursor"] is None


@pytest.mark.parametrize("role", ["customer", "operator"])
def test_a_caller_without_accounts_finds_nothing(
    client: TestClient, corpus: Corpus, caller: Caller, role: str
) -> None:
    body = search(client, caller(role, user_id=corpus.users["dave"]["id"]))
    assert body == {
        "items": [],
        "total": 0,
        "facets": {"status": {}, "currency": {}},
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"min_amount": "-1"}, ["min_amount"]),
        ({"max_amount": "-5"}, ["max_amount"]),
        ({"min_amount": "1.5"}, ["min_amount"]),
        ({"min_amount": "10", "max_amount": "5"}, ["min_amount", "max_amount"]),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, ["from", "to"]),
        ({"from": "2026-02-01T01:00:00+01:00", "to": "2026-01-31T23:59:00"}, ["from", "to"]),
        ({"from": "yesterday"}, ["from"]),
        # Year 0 in UTC (found by the fuzzer: it used to be a 500).
        ({"from": "0001-01-01T01:21:00+02:00"}, ["from"]),
        ({"to": "9999-12-31T23:00:00-02:00"}, ["to"]),
        ({"status": "pending"}, ["status"]),
        ({"currency": "eur"}, ["currency"]),
        ({"limit": "101"}, ["limit"]),
        ({"cursor": encode_cursor("payments", (1, 2))}, ["cursor"]),
        ({"cursor": encode_cursor("users", (1, "x"))}, ["cursor"]),
        ({"q": "x" * 201}, ["q"]),
    ],
)
def test_invalid_search_parameters_are_422_naming_them(
    client: TestClient, caller: Caller, params: dict[str, str], named: list[str]
) -> None:
    response = client.get("/v1/search/payments", params=params, headers=caller("auditor"))
    assert fields(assert_problem(response, 422, "validation-error")) == named


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_search_users_by_name_or_email(
    client: TestClient, corpus: Corpus, caller: Caller, role: str
) -> None:
    by_name = search(client, caller(role), "/v1/search/users", q="Carol")
    assert ids(by_name) == [corpus.users["carol"]["id"]]
    assert by_name["total"] == 1
    assert by_name["items"][0]["full_name"] == "Carol Cooper"
    by_email = search(client, caller(role), "/v1/search/users", q="bob@example.com")
    assert ids(by_email) == [corpus.users["bob"]["id"]]


def test_user_search_pages_newest_first(client: TestClient, corpus: Corpus, caller: Caller) -> None:
    headers = caller("auditor")
    first = search(client, headers, "/v1/search/users", limit=3)
    second = search(client, headers, "/v1/search/users", limit=3, cursor=first["next_cursor"])
    newest_first = [corpus.users[name]["id"] for name in ("dave", "carol", "bob", "alice")]
    assert ids(first) + ids(second) == newest_first
    assert (first["total"], second["next_cursor"]) == (4, None)


@pytest.mark.parametrize("role", ["customer", "operator"])
def test_customers_and_operators_may_not_search_users(
    client: TestClient, corpus: Corpus, caller: Caller, role: str
) -> None:
    response = client.get(
        "/v1/search/users",
        params={"q": "alice"},
        headers=caller(role, user_id=corpus.users["alice"]["id"]),
    )
    assert_problem(response, 403, "forbidden")

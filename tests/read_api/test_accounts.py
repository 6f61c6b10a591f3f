"""Accounts and their cursor-paged statement lines over the query API."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from read_api.cursors import encode_cursor
from tests.read_api.conftest import Caller, ReadModels, assert_problem, fields, walk_pages
from tests.thread_handoffs import record_thread_handoffs


def test_a_customer_reads_their_own_account(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    hold = str(uuid.uuid4())
    account = models.account(
        ada, "EUR", balance=1000, available=750, held=250, holds={hold: 250}, version=4
    )
    response = client.get(f"/v1/accounts/{account['id']}", headers=caller.of(ada))
    assert response.status_code == 200
    assert response.json() == {
        "id": account["id"],
        "owner_id": ada["id"],
        "currency": "EUR",
        "balance": 1000,
        "available": 750,
        "held": 250,
        "holds": {hold: 250},
        "status": "open",
        "version": 4,
        "created_at": account["created_at"],
        "updated_at": account["updated_at"],
    }


def test_a_customer_cannot_see_another_users_account(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    account = models.account(ada)
    response = client.get(f"/v1/accounts/{account['id']}", headers=caller.of(eve))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("role", ["operator", "auditor", "admin"])
def test_operators_auditors_and_admins_read_any_account(
    client: TestClient, models: ReadModels, caller: Caller, role: str
) -> None:
    account = models.account(models.user())
    response = client.get(f"/v1/accounts/{account['id']}", headers=caller(role))
    assert response.status_code == 200
    assert response.json()["id"] == account["id"]


def test_an_unknown_account_is_404(client: TestClient, caller: Caller) -> None:
    assert_problem(client.get(f"/v1/accounts/{uuid.uuid4()}", headers=caller("admin")), 404)


@pytest.mark.parametrize("path", ["/v1/accounts/123", "/v1/accounts/zzz/entries"])
def test_a_malformed_account_id_is_422_naming_the_parameter(
    client: TestClient, caller: Caller, path: str
) -> None:
    problem = assert_problem(client.get(path, headers=caller("admin")), 422)
    assert fields(problem) == ["account_id"]


def test_statement_lines_page_newest_first_without_duplicates(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    account = models.account(ada)
    other = models.account(ada)
    for version in range(2, 9):  # 7 lines, versions 2..8
        models.entry(account, version, amount=100 * version, balance_after=version)
    models.entry(other, 2, amount=5)

    pages = walk_pages(client, f"/v1/accounts/{account['id']}/entries", caller.of(ada), limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    versions = [item["version"] for page in pages for item in page]
    assert versions == [8, 7, 6, 5, 4, 3, 2]
    assert len({item["id"] for page in pages for item in page}) == 7
    first = pages[0][0]
    assert first["account_id"] == account["id"]
    assert (first["kind"], first["amount"], first["balance_after"]) == ("credit", 800, 8)
    assert {"currency", "reference", "recorded_at"} <= first.keys()


def test_statement_lines_default_to_twenty_per_page(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    account = models.account(ada)
    for version in range(2, 24):
        models.entry(account, version, amount=1)
    body = client.get(f"/v1/accounts/{account['id']}/entries", headers=caller.of(ada)).json()
    assert len(body["items"]) == 20
    assert body["next_cursor"] is not None


def test_an_account_without_movements_has_an_empty_statement(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    account = models.account(ada)
    response = client.get(f"/v1/accounts/{account['id']}/entries", headers=caller.of(ada))
    assert response.json() == {"items": [], "next_cursor": None}


def test_a_customer_cannot_read_another_users_statement(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    account = models.account(ada)
    models.entry(account, 2, amount=100)
    response = client.get(f"/v1/accounts/{account['id']}/entries", headers=caller.of(eve))
    assert_problem(response, 404, "not-found")


def test_an_operator_reads_any_statement(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    account = models.account(models.user())
    models.entry(account, 2, amount=100)
    response = client.get(f"/v1/accounts/{account['id']}/entries", headers=caller("operator"))
    assert [item["version"] for item in response.json()["items"]] == [2]


def test_the_statement_of_an_unknown_account_is_404(client: TestClient, caller: Caller) -> None:
    response = client.get(f"/v1/accounts/{uuid.uuid4()}/entries", headers=caller("admin"))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "2.5"])
def test_a_limit_out_of_range_is_422_naming_it(
    client: TestClient, models: ReadModels, caller: Caller, limit: str
) -> None:
    ada = models.user()
    account = models.account(ada)
    response = client.get(
        f"/v1/accounts/{account['id']}/entries", params={"limit": limit}, headers=caller.of(ada)
    )
    assert fields(assert_problem(response, 422, "validation-error")) == ["limit"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "e30",  # base64url of "{}"
        encode_cursor("notifications", (3, "x")),  # another list's cursor
        encode_cursor("entries", ("3",)),  # wrong value type
        "",
    ],
)
def test_an_invalid_cursor_is_422_naming_it(
    client: TestClient, models: ReadModels, caller: Caller, cursor: str
) -> None:
    ada = models.user()
    account = models.account(ada)
    response = client.get(
        f"/v1/accounts/{account['id']}/entries", params={"cursor": cursor}, headers=caller.of(ada)
    )
    assert fields(assert_problem(response, 422, "validation-error")) == ["cursor"]


def test_an_account_read_hands_no_work_to_a_worker_thread(
    client: TestClient, models: ReadModels, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = models.user()
    account = models.account(ada, "EUR", version=3)
    handoffs = record_thread_handoffs(monkeypatch)
    response = client.get(f"/v1/accounts/{account['id']}?min_version=3", headers=caller.of(ada))
    assert response.status_code == 200
    assert handoffs == []

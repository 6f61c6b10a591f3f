"""A user's notification inbox: their own lines and their accounts' lines, newest first."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from read_api.cursors import encode_cursor
from tests.read_api.conftest import Caller, ReadModels, assert_problem, fields, walk_pages


def test_the_inbox_holds_the_users_and_their_accounts_lines_newest_first(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    euros, dollars = models.account(ada, "EUR"), models.account(ada, "USD")
    theirs = models.account(eve)
    mine = [
        models.notification(account=euros, kind="AccountCredited", amount=500, currency="EUR"),
        models.notification(user=ada, kind="UserProfileChanged"),
        models.notification(account=dollars, kind="AccountFrozen"),
    ]
    models.notification(account=theirs)
    models.notification(user=eve, kind="UserDeactivated")

    response = client.get(f"/v1/users/{ada['id']}/notifications", headers=caller.of(ada))

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [line["_id"] for line in reversed(mine)]
    assert body["next_cursor"] is None
    credited = body["items"][-1]
    assert credited == {
        "id": mine[0]["_id"],
        "account_id": euros["id"],
        "user_id": None,
        "kind": "AccountCredited",
        "message": mine[0]["message"],
        "amount": 500,
        "currency": "EUR",
        "payment_id": None,
        "position": mine[0]["position"],
        "read": False,
        "created_at": mine[0]["created_at"],
    }


def test_lines_at_or_below_the_users_read_mark_are_read(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    lines = [models.notification(user=ada, kind="UserProfileChanged") for _ in range(3)]
    models.db["users"].update_one(
        {"_id": ada["id"]}, {"$set": {"notifications_read_up_to": lines[1]["position"]}}
    )
    body = client.get(f"/v1/users/{ada['id']}/notifications", headers=caller.of(ada)).json()
    assert [item["read"] for item in body["items"]] == [False, True, True]
    profile = client.get(f"/v1/users/{ada['id']}", headers=caller.of(ada)).json()
    assert profile["notifications_read_up_to"] == lines[1]["position"]


def test_the_inbox_pages_without_duplicates_even_when_lines_share_a_position(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    payer, payee = models.account(ada), models.account(ada)
    payment_id = str(uuid.uuid4())
    for _ in range(3):
        line = models.notification(account=payer, kind="PaymentCaptured", payment_id=payment_id)
        # One capture between two of Ada's accounts notifies both at the same position.
        models.notification(
            account=payee,
            kind="PaymentCaptured",
            payment_id=payment_id,
            position=line["position"],
        )
    models.notification(user=ada, kind="UserProfileChanged")

    pages = walk_pages(client, f"/v1/users/{ada['id']}/notifications", caller.of(ada), limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    items = [item for page in pages for item in page]
    assert len({item["id"] for item in items}) == 7
    keys = [(item["position"], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=True)


def test_a_customer_cannot_read_another_users_inbox(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    models.notification(user=ada)
    response = client.get(f"/v1/users/{ada['id']}/notifications", headers=caller.of(eve))
    assert_problem(response, 404, "not-found")


def test_an_operator_cannot_read_another_users_inbox(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    response = client.get(f"/v1/users/{ada['id']}/notifications", headers=caller("operator"))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_read_any_inbox(
    client: TestClient, models: ReadModels, caller: Caller, role: str
) -> None:
    ada = models.user()
    line = models.notification(user=ada, kind="UserDeactivated")
    response = client.get(f"/v1/users/{ada['id']}/notifications", headers=caller(role))
    assert [item["id"] for item in response.json()["items"]] == [line["_id"]]


def test_the_inbox_of_an_unknown_user_is_404(client: TestClient, caller: Caller) -> None:
    response = client.get(f"/v1/users/{uuid.uuid4()}/notifications", headers=caller("admin"))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": encode_cursor("entries", (3,))},
        {"cursor": encode_cursor("notifications", (3,))},
        {"cursor": "%%%"},
        {"limit": "0"},
        {"limit": "1000"},
    ],
)
def test_invalid_paging_parameters_are_422_naming_them(
    client: TestClient, models: ReadModels, caller: Caller, params: dict[str, str]
) -> None:
    ada = models.user()
    response = client.get(
        f"/v1/users/{ada['id']}/notifications", params=params, headers=caller.of(ada)
    )
    assert fields(assert_problem(response, 422)) == list(params)

"""Users, their e-mail preferences and their account lists over the query API, with the
ownership rules."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from domain.preferences import OPTIONAL_EMAIL_KINDS, SECURITY_EMAIL_KINDS
from tests.read_api.conftest import Caller, ReadModels, assert_problem, fields


def test_a_customer_reads_their_own_user(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user("Ada Lovelace", version=3)
    response = client.get(f"/v1/users/{ada['id']}", headers=caller.of(ada))
    assert response.status_code == 200
    assert response.json() == {
        "id": ada["id"],
        "email": ada["email"],
        "full_name": "Ada Lovelace",
        "status": "active",
        "roles": ["customer"],
        "personal_data_forgotten": False,
        "mfa_enabled": False,
        "email_verified": False,
        "notifications_read_up_to": 0,
        "version": 3,
        "created_at": ada["created_at"],
        "updated_at": ada["updated_at"],
    }


def test_a_forgotten_user_reads_with_null_personal_data(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    gone = models.user(email=None, full_name=None, personal_data_forgotten=True, version=4)
    body = client.get(f"/v1/users/{gone['id']}", headers=caller("auditor")).json()
    assert (body["email"], body["full_name"], body["personal_data_forgotten"]) == (
        None,
        None,
        True,
    )


def test_a_customer_cannot_see_another_user(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    response = client.get(f"/v1/users/{ada['id']}", headers=caller.of(eve))
    assert_problem(response, 404, "not-found")


def test_an_operator_cannot_see_another_users_profile(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    assert_problem(client.get(f"/v1/users/{ada['id']}", headers=caller("operator")), 404)


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_read_any_user(
    client: TestClient, models: ReadModels, caller: Caller, role: str
) -> None:
    ada = models.user()
    response = client.get(f"/v1/users/{ada['id']}", headers=caller(role))
    assert response.status_code == 200
    assert response.json()["id"] == ada["id"]


def test_an_unknown_user_is_404(client: TestClient, caller: Caller) -> None:
    response = client.get(f"/v1/users/{uuid.uuid4()}", headers=caller("admin"))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    "path", ["/v1/users/not-a-uuid", "/v1/users/42/accounts", "/v1/users/x/notifications"]
)
def test_a_malformed_user_id_is_422_naming_the_parameter(
    client: TestClient, caller: Caller, path: str
) -> None:
    problem = assert_problem(client.get(path, headers=caller("admin")), 422, "validation-error")
    assert fields(problem) == ["user_id"]


def test_a_customer_lists_their_accounts_oldest_first(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    first = models.account(ada, "EUR", balance=500, available=300, held=200)
    second = models.account(ada, "USD", status="frozen")
    models.account(eve)
    response = client.get(f"/v1/users/{ada['id']}/accounts", headers=caller.of(ada))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [first["id"], second["id"]]
    assert items[0]["balance"] == 500
    assert items[0]["available"] == 300
    assert items[1]["status"] == "frozen"


def test_a_user_without_accounts_lists_none(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user()
    response = client.get(f"/v1/users/{ada['id']}/accounts", headers=caller.of(ada))
    assert response.json() == {"items": []}


def test_a_customer_cannot_list_another_users_accounts(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada, eve = models.user(), models.user("Eve")
    models.account(ada)
    response = client.get(f"/v1/users/{ada['id']}/accounts", headers=caller.of(eve))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("role", ["operator", "auditor", "admin"])
def test_operators_auditors_and_admins_list_any_users_accounts(
    client: TestClient, models: ReadModels, caller: Caller, role: str
) -> None:
    ada = models.user()
    account = models.account(ada)
    response = client.get(f"/v1/users/{ada['id']}/accounts", headers=caller(role))
    assert [item["id"] for item in response.json()["items"]] == [account["id"]]


def test_listing_the_accounts_of_an_unknown_user_is_404(client: TestClient, caller: Caller) -> None:
    response = client.get(f"/v1/users/{uuid.uuid4()}/accounts", headers=caller("admin"))
    assert_problem(response, 404, "not-found")


def test_a_verified_address_shows_on_the_user(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    ada = models.user(email_verified=True)
    body = client.get(f"/v1/users/{ada['id']}", headers=caller.of(ada)).json()
    assert body["email_verified"] is True


def test_a_user_reads_their_notification_preferences_with_security_kinds_on(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    stored = dict.fromkeys(OPTIONAL_EMAIL_KINDS, True) | {"payment_captured": False}
    ada = models.user(notification_preferences=stored, language="pt", version=5)
    response = client.get(f"/v1/users/{ada['id']}/notification-preferences", headers=caller.of(ada))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "email": stored | dict.fromkeys(SECURITY_EMAIL_KINDS, True),
        "language": "pt",
        "version": 5,
    }


def test_a_document_without_preferences_reads_as_the_defaults(
    client: TestClient, models: ReadModels, caller: Caller
) -> None:
    old = models.user()  # written before preferences existed
    body = client.get(f"/v1/users/{old['id']}/notification-preferences", headers=caller.of(old))
    assert body.json()["email"] == dict.fromkeys(OPTIONAL_EMAIL_KINDS + SECURITY_EMAIL_KINDS, True)
    assert body.json()["language"] == "en"
    gone = models.user(
        email=None,
        full_name=None,
        personal_data_forgotten=True,
        notification_preferences=None,
        language=None,
    )
    body = client.get(f"/v1/users/{gone['id']}/notification-preferences", headers=caller("admin"))
    assert body.json()["language"] is None


@pytest.mark.parametrize("role", ["customer", "operator"])
def test_other_users_preferences_are_404(
    client: TestClient, models: ReadModels, caller: Caller, role: str
) -> None:
    ada = models.user()
    path = f"/v1/users/{ada['id']}/notification-preferences"
    assert_problem(client.get(path, headers=caller(role)), 404, "not-found")
    assert client.get(path, headers=caller("auditor")).status_code == 200
    assert_problem(
        client.get(f"/v1/users/{uuid.uuid4()}/notification-preferences", headers=caller("admin")),
        404,
        "not-found",
    )

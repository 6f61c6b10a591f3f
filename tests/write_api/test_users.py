"""Users over HTTP: sign-up, profile, deactivation and erasure."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from tests.credentials import PASSWORD
from tests.write_api.conftest import Api, assert_problem, fields


def test_sign_up_needs_no_token_and_creates_the_user(api: Api) -> None:
    response = api.client.post(
        "/v1/users",
        json={"email": "grace@example.com", "full_name": "Grace Hopper", "password": PASSWORD},
    )
    assert response.status_code == 201
    body = response.json()
    assert UUID(body["id"])
    assert body["version"] == 1
    assert body["events"] == ["UserRegistered"]
    assert response.headers["etag"] == '"1"'
    assert "idempotent-replayed" not in response.headers
    [(event_type, _, _)] = api.events(UUID(body["id"]))
    assert event_type == "UserRegistered"


def test_signing_up_with_a_taken_email_is_a_conflict(api: Api) -> None:
    api.sign_up(email="taken@example.com")
    response = api.client.post(
        "/v1/users",
        json={"email": "taken@example.com", "full_name": "Someone Else", "password": PASSWORD},
    )
    assert_problem(response, 409, "email-taken")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"full_name": "No Email"}, "email", id="missing email"),
        pytest.param(
            {"email": "not-an-email", "full_name": "X", "password": PASSWORD},
            "email",
            id="bad email",
        ),
        pytest.param(
            {"email": "a@example.com", "full_name": "", "password": PASSWORD},
            "full_name",
            id="empty name",
        ),
        pytest.param(
            {"email": 42, "full_name": "X", "password": PASSWORD}, "email", id="email not a string"
        ),
        pytest.param(
            {"email": "a@example.com", "full_name": "X", "roles": ["admin"]},
            "roles",
            id="extra field",
        ),
    ],
)
def test_invalid_sign_ups_are_422_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    problem = assert_problem(api.client.post("/v1/users", json=body), 422)
    assert field in fields(problem)


def test_a_user_changes_their_own_profile(api: Api) -> None:
    ada = api.sign_up()
    response = api.client.patch(
        f"/v1/users/{ada.user_id}", json={"full_name": "Ada King"}, headers=ada.headers
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["UserProfileChanged"]
    assert response.headers["etag"] == '"2"'


def test_a_profile_change_must_change_something(api: Api) -> None:
    ada = api.sign_up()
    response = api.client.patch(f"/v1/users/{ada.user_id}", json={}, headers=ada.headers)
    assert_problem(response, 422, "validation-error")


def test_changing_to_a_taken_email_is_a_conflict(api: Api) -> None:
    api.sign_up(email="first@example.com")
    second = api.sign_up(email="second@example.com")
    response = api.client.patch(
        f"/v1/users/{second.user_id}", json={"email": "first@example.com"}, headers=second.headers
    )
    assert_problem(response, 409, "email-taken")


def test_a_customer_cannot_change_another_users_profile(api: Api) -> None:
    ada, eve = api.sign_up(), api.sign_up()
    response = api.client.patch(
        f"/v1/users/{ada.user_id}", json={"full_name": "Pwned"}, headers=eve.headers
    )
    assert_problem(response, 403, "forbidden")


def test_an_unknown_user_is_404(api: Api) -> None:
    admin = api.actor("admin")
    response = api.post(f"/v1/users/{uuid.uuid4()}/deactivate", admin)
    assert_problem(response, 404, "not-found")


def test_a_deactivated_user_cannot_open_an_account(api: Api) -> None:
    ada = api.sign_up()
    response = api.post(f"/v1/users/{ada.user_id}/deactivate", ada)
    assert response.status_code == 200
    assert response.json()["events"] == ["UserDeactivated"]
    refused = api.client.post(
        "/v1/accounts", json={"owner_id": str(ada.user_id), "currency": "EUR"}, headers=ada.headers
    )
    assert_problem(refused, 409, "user-deactivated")


def test_forgetting_personal_data_keeps_the_events_but_frees_the_email(api: Api) -> None:
    ada = api.sign_up(email="forget.me@example.com")
    response = api.client.delete(f"/v1/users/{ada.user_id}/personal-data", headers=ada.headers)
    assert response.status_code == 200
    assert response.json()["events"] == ["UserPersonalDataForgotten"]
    assert [event[0] for event in api.events(ada.user_id)] == [
        "UserRegistered",
        "UserPersonalDataForgotten",
    ]
    again = api.client.post(
        "/v1/users",
        json={"email": "forget.me@example.com", "full_name": "New Ada", "password": PASSWORD},
    )
    assert again.status_code == 201


def test_a_malformed_user_id_in_the_path_is_422_naming_it(api: Api) -> None:
    ada = api.sign_up()
    problem = assert_problem(api.post("/v1/users/not-a-uuid/deactivate", ada), 422)
    assert fields(problem) == ["user_id"]

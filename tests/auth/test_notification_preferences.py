"""E-mail preferences and language on the write API: optional kinds turn off, security kinds
cannot, unknown kinds and languages are 422 naming the field; sign-up takes a language; only
the user or an admin may change them, and nobody once the user is forgotten."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.preferences import EMAIL_KINDS, LANGUAGES
from tests.auth.conftest import PASSWORD, AuthClient, Login, stored_events
from tests.problems import assert_problem
from write_api.schemas import EmailPreferences, NotificationPreferencesUpdate, UserCreate


def put(auth: AuthClient, user_id: UUID, login: Login, body: dict[str, Any]) -> Any:
    return auth.http.put(
        f"/v1/users/{user_id}/notification-preferences", json=body, headers=login.headers
    )


def a_user(auth: AuthClient) -> tuple[UUID, Login]:
    user_id, email = auth.sign_up()
    return user_id, auth.logged_in(email)


def test_the_schema_knows_exactly_the_domains_kinds_and_languages() -> None:
    assert tuple(EmailPreferences.model_fields) == EMAIL_KINDS
    for model in (UserCreate, NotificationPreferencesUpdate):
        schema = model.model_json_schema()
        language = schema["properties"]["language"]
        options = language.get("enum") or language["anyOf"][0]["enum"]
        assert tuple(options) == LANGUAGES


def test_optional_kinds_turn_off_and_the_language_changes(auth: AuthClient) -> None:
    user_id, login = a_user(auth)
    changed = put(auth, user_id, login, {"email": {"money_received": False}, "language": "pt"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["UserNotificationPreferencesChanged"]
    again = put(auth, user_id, login, {"email": {"payment_refunded": False, "mfa_changed": True}})
    assert again.status_code == 200, again.text
    events = stored_events(
        auth.settings.database_url, user_id, "UserNotificationPreferencesChanged"
    )
    assert events[-1]["email"] == {
        "money_received": False,
        "payment_captured": True,
        "payment_refunded": False,
        "large_withdrawal": True,
    }
    assert events[-1]["language"] == "pt"
    unchanged = put(auth, user_id, login, {"language": "pt"})
    assert unchanged.status_code == 200 and unchanged.json()["events"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": {"new_device_login": False}}, "email.new_device_login"),
        ({"email": {"password_reset": False}}, "email.password_reset"),
        ({"email": {"newsletter": True}}, "email.newsletter"),
        ({"email": {"money_received": "no"}}, "email.money_received"),
        ({"language": "fr"}, "language"),
        ({"email": {}, "timezone": "UTC"}, "timezone"),
    ],
)
def test_security_kinds_unknown_kinds_and_languages_are_422_naming_the_field(
    auth: AuthClient, body: dict[str, Any], field: str
) -> None:
    user_id, login = a_user(auth)
    problem = assert_problem(put(auth, user_id, login, body), 422, "validation-error")
    assert [error["field"] for error in problem["errors"]] == [field], problem


def test_only_the_user_or_an_admin_may_change_them(auth: AuthClient) -> None:
    ada_id, _ = a_user(auth)
    _, eve = a_user(auth)
    assert_problem(put(auth, ada_id, eve, {"email": {"money_received": False}}), 403, "forbidden")
    anonymous = auth.http.put(f"/v1/users/{ada_id}/notification-preferences", json={})
    assert_problem(anonymous, 401)


def test_sign_up_takes_a_language_and_refuses_unknown_ones(auth: AuthClient) -> None:
    response = auth.http.post(
        "/v1/users",
        json={"email": "pt@example.com", "full_name": "P", "password": PASSWORD, "language": "pt"},
    )
    assert response.status_code == 201, response.text
    user_id = UUID(response.json()["id"])
    (registered,) = stored_events(auth.settings.database_url, user_id, "UserRegistered")
    assert registered["language"] == "pt"
    refused = auth.http.post(
        "/v1/users",
        json={"email": "x@example.com", "full_name": "X", "password": PASSWORD, "language": "xx"},
    )
    problem = assert_problem(refused, 422, "validation-error")
    assert [error["field"] for error in problem["errors"]] == ["language"]


def test_a_forgotten_user_has_no_preferences_to_change(auth: AuthClient) -> None:
    user_id, login = a_user(auth)
    assert put(auth, user_id, login, {"language": "pt"}).status_code == 200
    gone = auth.http.delete(f"/v1/users/{user_id}/personal-data", headers=login.headers)
    assert gone.status_code == 200, gone.text
    assert_problem(put(auth, user_id, login, {"language": "en"}), 409, "user-forgotten")


def test_the_inbox_read_mark_moves_forward_only_for_the_user_and_names_bad_input(
    auth: AuthClient,
) -> None:
    user_id, login = a_user(auth)
    path = f"/v1/users/{user_id}/notifications/read"

    def mark(body: Any, as_: Login = login) -> Any:
        return auth.http.post(path, json=body, headers=as_.headers)

    first = mark({"up_to_position": 40})
    assert first.status_code == 200, first.text
    assert first.json()["events"] == ["UserNotificationsRead"]
    assert mark({"up_to_position": 12}).json()["events"] == []  # never moves back
    stored = stored_events(auth.settings.database_url, user_id, "UserNotificationsRead")
    assert [event["up_to_position"] for event in stored] == [40]
    for bad in ({}, {"up_to_position": 0}, {"up_to_position": "x"}, {"up_to_position": 2**63}):
        problem = assert_problem(mark(bad), 422, "validation-error")
        assert problem["errors"][0]["field"] == "up_to_position"
    _, stranger = a_user(auth)
    assert mark({"up_to_position": 50}, stranger).status_code == 403

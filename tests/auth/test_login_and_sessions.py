"""Sign-up, login, refresh-token rotation and reuse detection, logout, password change and
session revocation, over HTTP against the real write API and PostgreSQL."""

from __future__ import annotations

import psycopg

from tests.auth.conftest import PASSWORD, AuthClient
from tests.problems import assert_problem


def test_sign_up_log_in_refresh_and_log_out(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    claims = login.claims
    assert claims["sub"] == str(user_id)
    assert claims["roles"] == ["customer"] and claims["amr"] == ["pwd"]
    assert claims["aud"] == "ledgerline" and claims["iss"] == auth.settings.auth_issuer
    assert claims["exp"] - claims["iat"] == 600

    refreshed = auth.refreshed(login)
    assert refreshed.refresh_token != login.refresh_token
    assert refreshed.claims["sid"] == claims["sid"]
    # The access token works for commands.
    account = auth.http.post(
        "/v1/accounts",
        json={"owner_id": str(user_id), "currency": "EUR"},
        headers=refreshed.headers,
    )
    assert account.status_code == 201, account.text

    out = auth.http.post("/v1/auth/logout", headers=refreshed.headers)
    assert out.status_code == 204, out.text
    after = auth.refresh(refreshed)
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


def test_a_reused_refresh_token_revokes_the_whole_session(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    login = auth.logged_in(email)
    rotated = auth.refreshed(login)

    stolen = auth.refresh(login)  # the old token again: someone kept a copy
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert "used before" in stolen.json()["error_description"]
    # The legitimate holder's current token is dead too: the session is over.
    assert auth.refresh(rotated).status_code == 400
    with psycopg.connect(auth.settings.database_url) as conn:
        types = [row[0] for row in conn.execute("SELECT type FROM events ORDER BY position")]
    assert "SessionRefreshTokenReused" in types


def test_unknown_email_and_wrong_password_get_the_same_answer(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    wrong = auth.log_in(email, "not the right password at all")
    unknown = auth.log_in("nobody-at-all@example.com", PASSWORD)
    for response in (wrong, unknown):
        assert_problem(response, 401, "invalid-credentials")
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


def test_a_password_change_revokes_every_other_session(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    here, elsewhere = auth.logged_in(email), auth.logged_in(email)
    new_password = "an entirely different phrase"

    wrong = auth.http.post(
        f"/v1/users/{user_id}/password",
        json={"current_password": "not my password at all", "new_password": new_password},
        headers=here.headers,
    )
    problem = assert_problem(wrong, 422, "wrong-password")
    assert problem["errors"] == [
        {"field": "current_password", "message": "The current password is not correct."}
    ]
    assert "www-authenticate" not in wrong.headers  # the token was fine: nothing to refresh
    changed = auth.http.post(
        f"/v1/users/{user_id}/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=here.headers,
    )
    assert changed.status_code == 200, changed.text

    assert auth.refresh(elsewhere).status_code == 400
    auth.refreshed(here)  # the session that changed the password goes on
    assert auth.log_in(email, PASSWORD).status_code == 401
    auth.logged_in(email, new_password)


def test_revoking_one_session_or_all_of_them(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    first, second, third = (auth.logged_in(email) for _ in range(3))
    revoked = auth.http.delete(
        f"/v1/users/{user_id}/sessions/{second.claims['sid']}", headers=first.headers
    )
    assert revoked.status_code == 200, revoked.text
    assert auth.refresh(second).status_code == 400
    first = auth.refreshed(first)

    everywhere = auth.http.delete(f"/v1/users/{user_id}/sessions", headers=first.headers)
    assert everywhere.status_code == 200, everywhere.text
    assert auth.refresh(first).status_code == 400
    assert auth.refresh(third).status_code == 400
    auth.logged_in(email)  # a new login works


def test_another_users_session_cannot_be_revoked(auth: AuthClient) -> None:
    ada_id, ada_email = auth.sign_up()
    _, eve_email = auth.sign_up()
    ada, eve = auth.logged_in(ada_email), auth.logged_in(eve_email)
    attempt = auth.http.delete(
        f"/v1/users/{ada_id}/sessions/{ada.claims['sid']}", headers=eve.headers
    )
    assert_problem(attempt, 403, "forbidden")
    auth.refreshed(ada)


def test_weak_passwords_are_refused_naming_the_field(auth: AuthClient) -> None:
    for password, reason in (
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("Qwerty123456!", "too common"),
        ("x" * 257, "at most 256"),
    ):
        response = auth.http.post(
            "/v1/users",
            json={"email": "weak@example.com", "full_name": "W", "password": password},
        )
        problem = assert_problem(response, 422, "validation-error")
        assert [e["field"] for e in problem["errors"]] == ["password"], problem
        assert reason in problem["errors"][0]["message"], problem
        assert password not in response.text


def test_the_oauth_token_endpoint_speaks_rfc_6749(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    granted = auth.http.post(
        "/v1/auth/token", data={"grant_type": "password", "username": email, "password": PASSWORD}
    )
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert granted.headers["cache-control"] == "no-store"

    bad = auth.http.post(
        "/v1/auth/token", data={"grant_type": "password", "username": email, "password": "x"}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    odd = auth.http.post("/v1/auth/token", data={"grant_type": "client_credentials"})
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"
    missing = auth.http.post("/v1/auth/token", data={"grant_type": "refresh_token"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    forged = auth.http.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "abc.def"}
    )
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"

"""Password reset over HTTP: asking answers alike for known and unknown addresses and records
the request only afterwards; a reset link works once, only while it is the latest and
unexpired, with a password the sign-up policy accepts; completing it revokes every session,
lifts the login lock and never stores or logs the link."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from structlog.testing import capture_logs

from infra.auth.email_tokens import EmailTokens
from tests.auth.conftest import PASSWORD, AuthClient, stored_events
from tests.polling import wait_for
from tests.problems import assert_problem

NEW_PASSWORD = "an entirely different phrase"
WRONG = "not the right password at all"


def ask(auth: AuthClient, email: str) -> Any:
    return auth.http.post("/v1/auth/password-reset", json={"email": email})


def confirm(auth: AuthClient, token: str, password: str = NEW_PASSWORD) -> Any:
    return auth.http.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "password": password}
    )


def requests_of(auth: AuthClient, user_id: UUID) -> list[dict[str, Any]]:
    return stored_events(auth.settings.database_url, user_id, "UserPasswordResetRequested")


def reset_link(auth: AuthClient, tokens: EmailTokens, user_id: UUID, email: str) -> str:
    """Ask for a reset and mint the link the notifier would mail for it."""
    before = len(requests_of(auth, user_id))
    assert ask(auth, email).status_code == 202
    requested = wait_for(lambda: requests_of(auth, user_id)[before:], 10, what="the request")
    return tokens.mint("password-reset", user_id, requested[0]["reset_id"])


def assert_token_refused(response: Any, message: str) -> None:
    problem = assert_problem(response, 400, "invalid-token")
    assert [error["field"] for error in problem["errors"]] == ["token"]
    assert message in problem["detail"], problem


def test_known_and_unknown_addresses_get_the_same_answer(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    known, unknown = ask(auth, email), ask(auth, "nobody-at-all@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    same = {"date", "x-correlation-id"}
    assert {k: v for k, v in known.headers.items() if k not in same} == {
        k: v for k, v in unknown.headers.items() if k not in same
    }
    # Recorded after the answer, and only for the real user.
    requested = wait_for(lambda: requests_of(auth, user_id), 10, what="the reset request")
    assert set(requested[0]) == {"reset_id", "expires_at"}
    with psycopg.connect(auth.settings.database_url) as conn:
        types = [row[0] for row in conn.execute("SELECT type FROM events")]
    assert types.count("UserPasswordResetRequested") == 1


def test_a_reset_works_once_revokes_every_session_and_changes_the_password(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, email = auth.sign_up()
    laptop, phone = auth.logged_in(email), auth.logged_in(email)
    token = reset_link(auth, email_tokens, user_id, email)

    with capture_logs() as logs:
        done = confirm(auth, token)
    assert done.status_code == 200, done.text
    assert done.json()["events"][:2] == ["UserPasswordReset", "UserSessionsRevoked"]
    assert done.json()["events"].count("SessionRevoked") == 2
    assert token not in str(logs)

    assert_token_refused(confirm(auth, token, "yet another fine phrase"), "not pending")
    assert auth.refresh(laptop).status_code == 400 and auth.refresh(phone).status_code == 400
    assert_problem(auth.log_in(email, PASSWORD), 401, "invalid-credentials")
    auth.logged_in(email, NEW_PASSWORD)
    with psycopg.connect(auth.settings.database_url) as conn:
        stored = " ".join(str(row[0]) for row in conn.execute("SELECT data::text FROM events"))
    assert token not in stored and NEW_PASSWORD not in stored and "$argon2" not in stored
    (reset,) = stored_events(auth.settings.database_url, user_id, "UserPasswordReset")
    assert reset["password_hash"].startswith("pii:v1:")  # sealed like the sign-up hash


def test_an_older_link_is_refused_once_a_newer_one_was_asked_for(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, email = auth.sign_up()
    older = reset_link(auth, email_tokens, user_id, email)
    newer = reset_link(auth, email_tokens, user_id, email)
    assert_token_refused(confirm(auth, older), "not pending")
    assert confirm(auth, newer).status_code == 200


def test_an_expired_link_or_reset_is_refused(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, email = auth.sign_up()
    token = reset_link(auth, email_tokens, user_id, email)
    auth.clock.advance(30 * 60)
    assert_token_refused(confirm(auth, token), "expired")  # the token's own expiry

    # A token minted late (the notifier was slow) still ends with the reset it names.
    reset_link(auth, email_tokens, user_id, email)
    auth.clock.advance(29 * 60)
    late = email_tokens.mint("password-reset", user_id, requests_of(auth, user_id)[-1]["reset_id"])
    auth.clock.advance(2 * 60)
    assert_token_refused(confirm(auth, late), "This password reset has expired")


def test_a_weak_password_is_refused_and_the_link_still_works(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    user_id, email = auth.sign_up()
    token = reset_link(auth, email_tokens, user_id, email)
    for weak in ("short", "password1234"):
        response = confirm(auth, token, weak)
        problem = assert_problem(response, 422, "validation-error")
        assert [e["field"] for e in problem["errors"]] == ["password"]
        assert weak not in response.text
    assert confirm(auth, token).status_code == 200


def test_other_tokens_are_no_reset_links(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    assert_token_refused(confirm(auth, login.access_token), "something else")
    verification = email_tokens.mint("verify-email", user_id, "1")
    assert_token_refused(confirm(auth, verification), "something else")
    never_asked = email_tokens.mint(
        "password-reset", user_id, "8d4c4f3e-7c1b-4a53-9a51-1f4d2e1b0c9a"
    )
    assert_token_refused(confirm(auth, never_asked), "not pending")
    assert_token_refused(confirm(auth, email_tokens.mint("password-reset", user_id, "1")), "valid")


def test_a_reset_lifts_the_login_lock(auth: AuthClient, email_tokens: EmailTokens) -> None:
    user_id, email = auth.sign_up()
    for _ in range(6):
        auth.log_in(email, WRONG)
    assert_problem(auth.log_in(email, PASSWORD), 429, "login-locked")
    assert confirm(auth, reset_link(auth, email_tokens, user_id, email)).status_code == 200
    auth.logged_in(email, NEW_PASSWORD)


def test_asking_too_often_for_one_address_is_429_whether_or_not_it_is_known(
    auth: AuthClient,
) -> None:
    _, email = auth.sign_up()
    for address in (email, "ghost@example.com"):
        for _ in range(3):
            assert ask(auth, address).status_code == 202
        limited = ask(auth, address)
        assert_problem(limited, 429, "password-reset-limited")
        assert limited.headers["retry-after"] == "300"
    assert ask(auth, "someone-else@example.com").status_code == 202  # per address
    auth.clock.advance(301)
    assert ask(auth, email).status_code == 202


def test_deactivated_and_forgotten_users_cannot_reset(
    auth: AuthClient, email_tokens: EmailTokens
) -> None:
    deactivated_id, deactivated_email = auth.sign_up()
    token = reset_link(auth, email_tokens, deactivated_id, deactivated_email)
    login = auth.logged_in(deactivated_email)
    off = auth.http.post(f"/v1/users/{deactivated_id}/deactivate", headers=login.headers)
    assert off.status_code == 200, off.text
    assert_token_refused(confirm(auth, token), "not valid")
    assert ask(auth, deactivated_email).status_code == 202
    assert len(requests_of(auth, deactivated_id)) == 1  # the one from before

    forgotten_id, forgotten_email = auth.sign_up()
    token = reset_link(auth, email_tokens, forgotten_id, forgotten_email)
    login = auth.logged_in(forgotten_email)
    gone = auth.http.delete(f"/v1/users/{forgotten_id}/personal-data", headers=login.headers)
    assert gone.status_code == 200, gone.text
    assert_token_refused(confirm(auth, token), "not valid")
    assert ask(auth, forgotten_email).status_code == 202
    assert len(requests_of(auth, forgotten_id)) == 1

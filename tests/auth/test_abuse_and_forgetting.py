"""Failed logins lock the account and the address with a doubling lock (time moved, not slept),
the same for unknown addresses; what the store keeps of logins is sealed and bounded; a changed
hashing cost re-hashes on the next login; forgetting a user destroys their password hash."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from event_store.connection import open_pool
from event_store.store import EventStore
from tests.auth.conftest import PASSWORD, AuthClient, Clock, auth_settings
from tests.problems import assert_problem
from write_api.app import create_app, open_resources

WRONG = "not the right password at all"


def events(auth: AuthClient, *types: str) -> list[tuple[str, Any]]:
    with psycopg.connect(auth.settings.database_url) as conn:
        rows = conn.execute(
            "SELECT type, data FROM events WHERE type = ANY(%s) ORDER BY position", (list(types),)
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def test_failed_logins_lock_the_account_with_a_doubling_lock(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    for _ in range(5):
        assert_problem(auth.log_in(email, WRONG), 401, "invalid-credentials")
    assert_problem(auth.log_in(email, WRONG), 401)  # the sixth locks for 30 s
    locked = auth.log_in(email, PASSWORD)  # even the right password waits
    assert_problem(locked, 429, "login-locked")
    assert locked.headers["retry-after"] == "30"

    auth.clock.advance(31)
    assert_problem(auth.log_in(email, WRONG), 401)  # allowed again, and now 60 s
    assert auth.log_in(email, PASSWORD).headers["retry-after"] == "60"
    auth.clock.advance(61)
    assert "access_token" in auth.log_in(email, PASSWORD).json()  # success clears the account
    assert_problem(auth.log_in(email, WRONG), 401)
    # Failed attempts on the user's stream: 7, none while locked; address and agent sealed.
    failed = events(auth, "UserLoginFailed")
    assert len(failed) == 8
    assert all(data["address"].startswith("pii:v1:") for _, data in failed)


def test_an_unknown_address_locks_exactly_like_a_real_one(auth: AuthClient) -> None:
    for _ in range(6):
        assert_problem(auth.log_in("ghost@example.com", WRONG), 401, "invalid-credentials")
    assert auth.log_in("ghost@example.com", WRONG).headers["retry-after"] == "30"
    assert events(auth, "UserLoginFailed") == []  # nobody's stream to write to


def test_a_client_address_is_locked_after_twenty_failures_across_accounts(
    auth: AuthClient,
) -> None:
    for n in range(21):
        assert_problem(auth.log_in(f"user{n}@example.com", WRONG), 401)
    _, email = auth.sign_up()
    assert_problem(auth.log_in(email, PASSWORD), 429, "login-locked")


def test_a_changed_hashing_cost_rehashes_at_the_next_login(
    auth: AuthClient, database_url: str
) -> None:
    _, email = auth.sign_up()
    stronger = auth_settings(database_url, password_hash_time_cost=2)
    app = create_app(stronger, resources=lambda s: open_resources(s, Clock()))
    with TestClient(app) as client:
        response = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        again = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert again.status_code == 200, again.text
    changes = events(auth, "UserPasswordChanged")
    assert [data["reason"] for _, data in changes] == ["rehashed"]  # once, not twice
    assert changes[0][1]["password_hash"].startswith("pii:v1:")


def test_forgetting_a_user_destroys_their_password_hash(auth: AuthClient) -> None:
    user_id, email = auth.sign_up()
    login = auth.logged_in(email)
    auth.enable_mfa(login)
    with psycopg.connect(auth.settings.database_url) as conn:
        stored = " ".join(str(row[0]) for row in conn.execute("SELECT data::text FROM events"))
    assert "$argon2" not in stored and PASSWORD not in stored  # sealed, never in clear

    forgotten = auth.http.delete(f"/v1/users/{user_id}/personal-data", headers=login.headers)
    assert forgotten.status_code == 200, forgotten.text
    assert_problem(auth.log_in(email, PASSWORD), 401, "invalid-credentials")
    assert auth.refresh(login).status_code == 400
    pool = open_pool(auth.settings.database_url, min_size=1, max_size=1)
    try:
        history = EventStore(pool).read_stream(user_id)
    finally:
        pool.close()
    registered = history[0]
    assert registered.type == "UserRegistered" and registered.data["password_hash"] is None
    enrolment = next(e for e in history if e.type == "UserTotpEnrolmentStarted")
    assert enrolment.data["totp_secret"] is None

"""The auth service over HTTP: the real write API on a real, migrated PostgreSQL, with a clock
the tests move (TOTP steps, lock expiry, key retirement) instead of sleeping, and cheap argon2
parameters (the real cost is measured in bench/auth.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from event_store.connection import open_pool
from event_store.schema import migrate
from event_store.store import EventStore
from infra.auth import totp
from infra.auth.email_tokens import EmailTokens
from infra.bootstrap import build_email_tokens, build_key_store
from infra.settings import Settings
from tests.credentials import PASSWORD
from write_api.app import create_app, open_resources

TEST_SECRET = "tests-auth-secret-long-enough-for-hs256-signatures"


class Clock:
    """Real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def auth_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "LEDGERLINE_DATABASE_URL": database_url,
        "env": "test",
        "jwt_secret": SecretStr(TEST_SECRET),
        "db_pool_min_size": 1,
        "db_pool_max_size": 8,
        "rate_limit_enabled": False,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "signing_keys_refresh_s": 0.0,
    }
    return Settings(**(values | overrides))


@dataclass
class Login:
    """A user's tokens, as a client holds them."""

    user_id: UUID
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def claims(self) -> dict[str, Any]:
        return dict(jwt.decode(self.access_token, options={"verify_signature": False}))


class AuthClient:
    def __init__(self, client: TestClient, clock: Clock, settings: Settings) -> None:
        self.http = client
        self.clock = clock
        self.settings = settings

    def sign_up(self, email: str | None = None, password: str = PASSWORD) -> tuple[UUID, str]:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        response = self.http.post(
            "/v1/users", json={"email": email, "full_name": "Grace Hopper", "password": password}
        )
        assert response.status_code == 201, response.text
        return UUID(response.json()["id"]), email

    def log_in(self, email: str, password: str = PASSWORD, **headers: str) -> Any:
        return self.http.post(
            "/v1/auth/login", json={"email": email, "password": password}, headers=headers
        )

    def logged_in(self, email: str, password: str = PASSWORD) -> Login:
        response = self.log_in(email, password)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "access_token" in body, body
        sub = jwt.decode(body["access_token"], options={"verify_signature": False})["sub"]
        return Login(UUID(sub), body["access_token"], body["refresh_token"])

    def refresh(self, login: Login) -> Any:
        return self.http.post(
            "/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": login.refresh_token},
        )

    def refreshed(self, login: Login) -> Login:
        response = self.refresh(login)
        assert response.status_code == 200, response.text
        body = response.json()
        return Login(login.user_id, body["access_token"], body["refresh_token"])

    def enable_mfa(self, login: Login) -> tuple[str, list[str]]:
        """Enrol and confirm TOTP; returns the secret and the recovery codes."""
        started = self.http.post(f"/v1/users/{login.user_id}/mfa/totp", headers=login.headers)
        assert started.status_code == 200, started.text
        secret = started.json()["secret"]
        confirmed = self.http.post(
            f"/v1/users/{login.user_id}/mfa/totp/confirm",
            json={"code": totp.code_at(secret, self.clock())},
            headers=login.headers,
        )
        assert confirmed.status_code == 200, confirmed.text
        return secret, confirmed.json()["recovery_codes"]

    def next_step(self) -> None:
        """Move to the next TOTP step (a code is good once per step)."""
        self.clock.advance(totp.STEP_S)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    migrate(fresh_database_url)
    return fresh_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return auth_settings(database_url)


@pytest.fixture
def auth(settings: Settings, clock: Clock) -> Iterator[AuthClient]:
    app = create_app(settings, resources=lambda s: open_resources(s, clock))
    with TestClient(app) as client:
        yield AuthClient(client, clock, settings)


@pytest.fixture
def email_tokens(auth: AuthClient) -> Iterator[EmailTokens]:
    """Link tokens as the notifier mints them: its own key store on the same database, the
    test's clock."""
    pool = open_pool(auth.settings.database_url, min_size=1, max_size=2)
    try:
        keys = build_key_store(auth.settings, EventStore(pool), auth.clock)
        yield build_email_tokens(auth.settings, keys, auth.clock)
    finally:
        pool.close()


def stored_events(database_url: str, stream_id: UUID, *types: str) -> list[dict[str, Any]]:
    """The stored data of a stream's events of these types, oldest first (sealed as stored)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE stream_id = %s AND type = ANY(%s) ORDER BY version",
            (stream_id, list(types)),
        ).fetchall()
    return [dict(row[0]) for row in rows]

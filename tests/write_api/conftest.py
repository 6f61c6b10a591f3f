"""The real write API over a real, migrated PostgreSQL, plus helpers that sign users up, mint
their tokens and set up accounts through the HTTP API itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from event_store.schema import migrate
from infra.http.auth import mint_token
from infra.servers import RedisServer
from infra.settings import Settings
from tests.credentials import PASSWORD
from tests.problems import assert_problem  # noqa: F401 - re-exported for test modules
from write_api.app import create_app

TEST_SECRET = "tests-write-api-secret-long-enough-for-hs256"


@dataclass(frozen=True)
class Actor:
    """Someone holding a token."""

    user_id: UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Drives the write API the way a client would."""

    def __init__(self, client: TestClient, settings: Settings, database_url: str) -> None:
        self.client = client
        self.settings = settings
        self.database_url = database_url

    def actor(self, *roles: str, user_id: UUID | None = None) -> Actor:
        user_id = user_id or uuid.uuid4()
        return Actor(user_id, mint_token(self.settings, user_id, roles or ["customer"], 300))

    def sign_up(self, email: str | None = None, full_name: str = "Ada Lovelace") -> Actor:
        email = email or f"{uuid.uuid4().hex[:12]}@example.com"
        response = self.client.post(
            "/v1/users", json={"email": email, "full_name": full_name, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        return self.actor("customer", user_id=UUID(response.json()["id"]))

    def open_account(self, owner: Actor, currency: str = "EUR") -> UUID:
        response = self.client.post(
            "/v1/accounts",
            json={"owner_id": str(owner.user_id), "currency": currency},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        return UUID(response.json()["id"])

    def deposit(self, owner: Actor, account_id: UUID, amount: int) -> None:
        response = self.post(
            f"/v1/accounts/{account_id}/deposits",
            owner,
            {"amount": amount, "reference": "top-up"},
        )
        assert response.status_code == 200, response.text

    def funded_account(self, owner: Actor, amount: int, currency: str = "EUR") -> UUID:
        account_id = self.open_account(owner, currency)
        self.deposit(owner, account_id, amount)
        return account_id

    def post(
        self,
        path: str,
        actor: Actor | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        all_headers = {**(actor.headers if actor else {}), **(headers or {})}
        if body is None:
            return self.client.post(path, headers=all_headers)
        return self.client.post(path, json=body, headers=all_headers)

    def events(self, stream_id: UUID) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(type, data, metadata) of a stream, read straight from the events table."""
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(
                "select type, data, metadata from events where stream_id = %s order by version",
                (stream_id,),
            ).fetchall()

    def event_count(self) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute("select count(*) from events").fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    migrate(fresh_database_url)
    return fresh_database_url


@pytest.fixture
def settings(database_url: str, redis_server: RedisServer) -> Settings:
    return Settings(
        LEDGERLINE_DATABASE_URL=database_url,
        # Rate-limit buckets and new-events signals, under names of this test's own.
        LEDGERLINE_REDIS_URL=redis_server.url,
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
        env="test",
        jwt_secret=SecretStr(TEST_SECRET),
        db_pool_min_size=1,
        db_pool_max_size=16,
        # Racing tests (50 writers on one stream) need room to retry.
        command_retry_budget_s=30.0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, settings: Settings, database_url: str) -> Api:
    return Api(client, settings, database_url)


def fields(problem: dict[str, Any]) -> list[str]:
    """The fields a validation problem names."""
    return [error["field"] for error in problem.get("errors", [])]

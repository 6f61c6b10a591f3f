"""The audit trail over a real, migrated PostgreSQL: streams written through the real write API
(so events carry real metadata), read back through the real query API and the ``ledgerline
audit`` commands.

One database, write API and query API per test module (each test creates its own users and
accounts, so tests do not see each other's streams); tests that tamper with rows use their own
database (``database_url`` from tests/conftest.py).
"""

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
from typer.testing import CliRunner, Result

from event_store.schema import migrate
from infra.cli.audit import app as audit_cli
from infra.http.auth import mint_token
from infra.servers import PostgresServer
from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.credentials import PASSWORD
from tests.problems import assert_problem  # noqa: F401 - re-exported for test modules
from tests.server_fixtures import fresh_database
from write_api.app import create_app as create_write_app

TEST_SECRET = "tests-audit-secret-long-enough-for-hs256"


@dataclass(frozen=True)
class Actor:
    """Someone holding a token."""

    user_id: UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Ledger:
    """Writes streams through the write API, as a client would."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def actor(self, *roles: str, user_id: UUID | None = None) -> Actor:
        user_id = user_id or uuid.uuid4()
        return Actor(user_id, mint_token(self.settings, user_id, roles or ["customer"], 300))

    def post(self, path: str, actor: Actor | None, body: Any = None, **headers: str) -> UUID:
        all_headers = {**(actor.headers if actor else {}), **headers}
        response = self.client.post(path, json=body, headers=all_headers)
        assert response.status_code in (200, 201), response.text
        return UUID(response.json()["id"])

    def sign_up(self, full_name: str = "Ada Lovelace") -> Actor:
        email = f"{uuid.uuid4().hex[:12]}@example.com"
        user_id = self.post(
            "/v1/users", None, {"email": email, "full_name": full_name, "password": PASSWORD}
        )
        return self.actor("customer", user_id=user_id)

    def open_account(self, owner: Actor, currency: str = "EUR") -> UUID:
        body = {"owner_id": str(owner.user_id), "currency": currency}
        return self.post("/v1/accounts", owner, body)

    def deposit(self, owner: Actor, account_id: UUID, amount: int, **headers: str) -> None:
        body = {"amount": amount, "reference": "top-up"}
        self.post(f"/v1/accounts/{account_id}/deposits", owner, body, **headers)

    def funded_account(self, owner: Actor, amount: int) -> UUID:
        account_id = self.open_account(owner)
        self.deposit(owner, account_id, amount)
        return account_id

    def transfer(self, owner: Actor, source: UUID, target: UUID, amount: int) -> UUID:
        body = {
            "from_account_id": str(source),
            "to_account_id": str(target),
            "amount": amount,
            "reference": "rent",
        }
        return self.post("/v1/transfers", owner, body)

    def pay(self, payer: Actor, source: UUID, target: UUID, amount: int) -> UUID:
        body = {
            "payer_account_id": str(source),
            "payee_account_id": str(target),
            "amount": amount,
            "description": "Structure and Interpretation of Computer Programs",
            "merchant": "Book Shop",
        }
        return self.post("/v1/payments", payer, body)


@pytest.fixture(scope="module")
def audit_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    with fresh_database(postgres_server) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def settings(audit_database_url: str) -> Settings:
    return Settings(
        LEDGERLINE_DATABASE_URL=audit_database_url,
        env="test",
        jwt_secret=SecretStr(TEST_SECRET),
        db_pool_min_size=1,
        db_pool_max_size=4,
    )


@pytest.fixture(scope="module")
def ledger(settings: Settings) -> Iterator[Ledger]:
    with TestClient(create_write_app(settings)) as client:
        yield Ledger(client, settings)


@pytest.fixture(scope="module")
def reader(settings: Settings) -> Iterator[TestClient]:
    """The query API (its read models are never touched: audit reads the event store)."""
    with TestClient(create_read_app(settings)) as client:
        yield client


def run_cli(database_url: str, *args: str) -> Result:
    """``ledgerline audit ARGS`` against ``database_url``, wide enough for one-line rows."""
    env = {"LEDGERLINE_DATABASE_URL": database_url, "COLUMNS": "250"}
    return CliRunner().invoke(audit_cli, list(args), env=env)


def tamper(database_url: str, statement: str, *params: Any) -> None:
    """Run ``statement`` with the append-only trigger disabled (as the superuser can)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_delete")
        conn.execute(statement.encode(), params)
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update_delete")

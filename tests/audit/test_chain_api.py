"""GET /v1/audit/streams/{id}/chain: one stream's hash chain recomputed through the query API,
as ``ledgerline audit verify --stream`` does, with the audit routes' access rules. Each test has
its own database, since some alter rows (as the superuser, trigger disabled)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from event_store.records import NewEvent
from event_store.store import EventStore
from infra.http.auth import mint_token
from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.audit.conftest import TEST_SECRET, assert_problem, tamper


@pytest.fixture
def reader(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        LEDGERLINE_DATABASE_URL=database_url, env="test", jwt_secret=SecretStr(TEST_SECRET)
    )
    with TestClient(create_read_app(settings)) as client:
        client.app.state.test_settings = settings  # type: ignore[attr-defined]
        yield client


def headers(reader: TestClient, user_id: UUID, *roles: str) -> dict[str, str]:
    settings: Settings = reader.app.state.test_settings  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {mint_token(settings, user_id, roles, 60)}"}


def open_account(store: EventStore, owner: UUID, credits: int = 3) -> UUID:
    account = uuid.uuid4()
    opened = NewEvent(
        account, "Account", 1, "AccountOpened", {"owner_id": str(owner), "currency": "EUR"}
    )
    credited = [
        NewEvent(
            account,
            "Account",
            version,
            "AccountCredited",
            {"amount": 100 * version, "currency": "EUR", "reference": "top-up"},
        )
        for version in range(2, credits + 2)
    ]
    store.append([opened, *credited])
    return account


def chain(reader: TestClient, stream: UUID, auth: dict[str, str]) -> Any:
    return reader.get(f"/v1/audit/streams/{stream}/chain", headers=auth)


def test_an_untouched_stream_checks_ok(reader: TestClient, event_store: EventStore) -> None:
    owner = uuid.uuid4()
    account = open_account(event_store, owner)

    response = chain(reader, account, headers(reader, uuid.uuid4(), "auditor"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stream_id"], body["ok"], body["events"], body["breaks"]) == (
        str(account),
        True,
        4,
        [],
    )
    assert body["unhashed"] == 0 and body["checked_at"].endswith("Z")


def test_an_edited_event_is_named_by_its_version(
    reader: TestClient, event_store: EventStore, database_url: str
) -> None:
    owner = uuid.uuid4()
    account = open_account(event_store, owner)
    untouched = open_account(event_store, owner)
    tamper(
        database_url,
        "UPDATE events SET data = jsonb_set(data, '{amount}', '1000000')"
        " WHERE stream_id = %s AND version = 3",
        account,
    )
    auditor = headers(reader, uuid.uuid4(), "auditor")

    body = chain(reader, account, auditor).json()

    assert body["ok"] is False
    assert [b["version"] for b in body["breaks"]] == [3]
    assert "hash mismatch" in body["breaks"][0]["reasons"][0]
    assert chain(reader, untouched, auditor).json()["ok"] is True


def test_only_auditors_admins_and_the_owner_may_check_a_chain(
    reader: TestClient, event_store: EventStore
) -> None:
    owner = uuid.uuid4()
    account = open_account(event_store, owner)

    for allowed in (
        headers(reader, owner, "customer"),
        headers(reader, uuid.uuid4(), "admin"),
    ):
        assert chain(reader, account, allowed).status_code == 200
    for refused in (
        headers(reader, uuid.uuid4(), "customer"),
        headers(reader, uuid.uuid4(), "operator"),
    ):
        assert_problem(chain(reader, account, refused), 404, "not-found")
    assert_problem(chain(reader, uuid.uuid4(), headers(reader, owner, "auditor")), 404)
    assert_problem(reader.get(f"/v1/audit/streams/{account}/chain"), 401)

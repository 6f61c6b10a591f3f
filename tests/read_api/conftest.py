"""The real query API over a real MongoDB-protocol server and Elasticsearch, with read
models seeded directly in the projectors' document shapes.

Each test module gets its own Mongo database and index prefix (so its search corpus is its
own) and one app; tests inside a module create documents with fresh ids so they do not see
each other's data unless they search.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pymongo import MongoClient
from pymongo.database import Database

from infra.http.auth import mint_token
from infra.servers import ElasticsearchServer, MongoServer
from infra.settings import Settings
from read_api.app import create_app
from tests.problems import assert_problem  # noqa: F401 - re-exported for test modules

TEST_SECRET = "tests-read-api-secret-long-enough-for-hs256"
Document = dict[str, Any]

# A minimal copy of the spec's mappings for these tests (the projectors own the real ones).
_KEYWORD = {"type": "keyword"}
_LONG = {"type": "long"}
_DATE = {"type": "date"}
PAYMENTS_MAPPING: Document = {
    "properties": {
        **{
            name: _KEYWORD
            for name in ("id", "payer_account_id", "payee_account_id", "currency", "status")
        },
        **{name: _LONG for name in ("amount", "captured", "refunded", "version")},
        "description": {"type": "text", "analyzer": "standard"},
        "merchant": {"type": "text", "fields": {"raw": _KEYWORD}},
        "created_at": _DATE,
        "updated_at": _DATE,
    }
}
USERS_MAPPING: Document = {
    "properties": {
        **{name: _KEYWORD for name in ("id", "status", "roles")},
        "email": {"type": "text", "fields": {"raw": _KEYWORD}},
        "full_name": {"type": "text"},
        "version": _LONG,
        "created_at": _DATE,
        "updated_at": _DATE,
    }
}
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ReadModels:
    """Writes read-model documents straight into MongoDB and Elasticsearch."""

    def __init__(self, db: Database[Document], es: Elasticsearch, prefix: str) -> None:
        self.db = db
        self.es = es
        self.prefix = prefix
        self._clock = 0
        self._position = 0

    def create_indices(self) -> None:
        for name, mapping in (("payments", PAYMENTS_MAPPING), ("users", USERS_MAPPING)):
            self.es.indices.create(
                index=f"{self.prefix}-{name}-v1",
                mappings=mapping,
                aliases={f"{self.prefix}-{name}": {}},
            )

    def drop(self) -> None:
        self.db.client.drop_database(self.db.name)
        for name in ("payments", "users"):
            self.es.indices.delete(index=f"{self.prefix}-{name}-v1", ignore_unavailable=True)

    def tick(self) -> str:
        """A later time than every earlier call (documents get distinct, ordered times)."""
        self._clock += 1
        return rfc3339(_EPOCH + timedelta(minutes=self._clock))

    def _stream(self, version: int) -> Document:
        now = self.tick()
        return {"version": version, "created_at": now, "updated_at": now}

    def _put(self, collection: str, doc: Document) -> Document:
        self.db[collection].insert_one({"_id": doc["id"], **doc})
        return doc

    def user(self, full_name: str | None = "Ada Lovelace", **fields: Any) -> Document:
        id = str(uuid.uuid4())
        doc = {
            "id": id,
            "email": f"{id[:8]}@example.com",
            "full_name": full_name,
            "status": "active",
            "roles": ["customer"],
            "personal_data_forgotten": False,
            **self._stream(1),
            **fields,
        }
        return self._put("users", doc)

    def account(self, owner: Document, currency: str = "EUR", **fields: Any) -> Document:
        doc = {
            "id": str(uuid.uuid4()),
            "owner_id": owner["id"],
            "currency": currency,
            "balance": 0,
            "available": 0,
            "held": 0,
            "holds": {},
            "status": "open",
            **self._stream(1),
            **fields,
        }
        return self._put("accounts", doc)

    def entry(self, account: Document, version: int, amount: int, **fields: Any) -> Document:
        doc = {
            "_id": str(uuid.uuid4()),
            "account_id": account["id"],
            "version": version,
            "kind": "credit",
            "amount": amount,
            "currency": account["currency"],
            "reference": f"ref-{version}",
            "balance_after": amount,
            "recorded_at": self.tick(),
            **fields,
        }
        self.db.account_entries.insert_one(doc)
        return doc

    def payment(
        self,
        payer: Document,
        payee: Document,
        amount: int = 1000,
        description: str = "Coffee beans",
        merchant: str = "Bean Co",
        **fields: Any,
    ) -> Document:
        doc = {
            "id": str(uuid.uuid4()),
            "payer_account_id": payer["id"],
            "payee_account_id": payee["id"],
            "amount": amount,
            "currency": payer["currency"],
            "captured": 0,
            "refunded": 0,
            "status": "authorized",
            "description": description,
            "merchant": merchant,
            **self._stream(1),
            **fields,
        }
        self._put("payments", doc)
        self.es.index(
            index=f"{self.prefix}-payments",
            id=doc["id"],
            document=doc,
            version=doc["version"],
            version_type="external",
        )
        return doc

    def index_user(self, doc: Document) -> None:
        self.es.index(
            index=f"{self.prefix}-users",
            id=doc["id"],
            document=doc,
            version=doc["version"],
            version_type="external",
        )

    def notification(
        self,
        *,
        account: Document | None = None,
        user: Document | None = None,
        kind: str = "AccountCredited",
        **fields: Any,
    ) -> Document:
        self._position += 1
        event_id = str(uuid.uuid4())
        recipient = (account or user or {})["id"]
        doc = {
            "_id": f"{event_id}:{recipient}",
            "account_id": account["id"] if account else None,
            "user_id": user["id"] if user else None,
            "kind": kind,
            "message": f"{kind} #{self._position}",
            "amount": None,
            "currency": None,
            "payment_id": None,
            "position": self._position,
            "created_at": self.tick(),
            **fields,
        }
        self.db.notifications.insert_one(doc)
        return doc

    def set_version(self, collection: str, id: str, version: int) -> None:
        self.db[collection].update_one({"_id": id}, {"$set": {"version": version}})

    def refresh(self) -> None:
        self.es.indices.refresh(index=f"{self.prefix}-payments,{self.prefix}-users")


class Caller:
    """Builds bearer headers for principals of any role."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, *roles: str, user_id: UUID | str | None = None) -> dict[str, str]:
        subject = user_id or uuid.uuid4()
        token = mint_token(self.settings, subject, roles or ["customer"], 300)
        return {"Authorization": f"Bearer {token}"}

    def of(self, user: Document) -> dict[str, str]:
        """Headers of the customer ``user``."""
        return self("customer", user_id=user["id"])


def read_api_settings(mongo_url: str, elasticsearch_url: str, **overrides: Any) -> Settings:
    tag = uuid.uuid4().hex[:12]
    fields: dict[str, Any] = {
        "LEDGERLINE_MONGO_URL": mongo_url,
        "LEDGERLINE_ELASTICSEARCH_URL": elasticsearch_url,
        "env": "test",
        "jwt_secret": SecretStr(TEST_SECRET),
        "mongo_database": f"read_api_{tag}",
        "search_index_prefix": f"read-api-{tag}",
        # Rate limits live in Redis, which these read-model tests do not need;
        # tests/read_api/test_rate_limit.py covers them.
        "rate_limit_enabled": False,
    }
    return Settings(**(fields | overrides))


@pytest.fixture(scope="module")
def settings(mongo_server: MongoServer, elasticsearch_server: ElasticsearchServer) -> Settings:
    return read_api_settings(mongo_server.url, elasticsearch_server.url)


@pytest.fixture(scope="module")
def models(settings: Settings) -> Iterator[ReadModels]:
    mongo: MongoClient[Document] = MongoClient(settings.mongo_url)
    es = Elasticsearch(settings.elasticsearch_url)
    seeded = ReadModels(mongo[settings.mongo_database], es, settings.search_index_prefix)
    seeded.create_indices()
    try:
        yield seeded
    finally:
        seeded.drop()
        es.close()
        mongo.close()


@pytest.fixture(scope="module")
def client(settings: Settings, models: ReadModels) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def caller(settings: Settings) -> Caller:
    return Caller(settings)


def fields(problem: dict[str, Any]) -> list[str]:
    """The fields a validation problem names."""
    return [error["field"] for error in problem.get("errors", [])]


def walk_pages(
    client: TestClient, path: str, headers: dict[str, str], limit: int, **query: Any
) -> list[list[Document]]:
    """Follow ``next_cursor`` from the first page to the last; the items of each page."""
    pages: list[list[Document]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **query}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "paging does not end"

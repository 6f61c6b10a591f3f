"""MongoDB read-model queries of the query API (plain async pymongo).

Document shapes are the projectors' (see the pipeline spec): every document is keyed by its id
as a string. Driver failures leave this module as ``ReadModelUnavailable`` only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from read_api.errors import ReadModelUnavailable

Document = dict[str, Any]

_MAX_CACHED_OWNERS = 10_000


@dataclass(frozen=True)
class Collections:
    """Collection names (rebuilds swap fresh collections in under these names)."""

    users: str = "users"
    accounts: str = "accounts"
    account_entries: str = "account_entries"
    payments: str = "payments"
    notifications: str = "notifications"
    sessions: str = "sessions"


@dataclass(frozen=True)
class Slice:
    """Up to ``limit`` documents of a list, and whether more follow."""

    items: list[Document]
    more: bool


@contextmanager
def _unavailable_on_driver_error() -> Iterator[None]:
    try:
        yield
    except (ConnectionFailure, ExecutionTimeout) as error:
        raise ReadModelUnavailable(f"MongoDB: {error}") from error


async def _slice(cursor: Any, limit: int) -> Slice:
    # One extra document tells whether another page exists, so the last page has no cursor.
    docs: list[Document] = await cursor.limit(limit + 1).to_list()
    return Slice(items=docs[:limit], more=len(docs) > limit)


class MongoReads:
    """Reads of the users, accounts, statement lines, payments and notifications."""

    def __init__(self, database: AsyncDatabase[Document], names: Collections | None = None) -> None:
        self._db = database
        self._names = names or Collections()
        # owner id -> (when read, account ids), for searches (see recent_account_ids_of).
        self._account_ids: dict[str, tuple[float, list[str]]] = {}

    async def ping(self) -> None:
        """Raises unless the server answers."""
        await self._db.command("ping")

    async def _by_id(self, collection: str, id: UUID) -> Document | None:
        with _unavailable_on_driver_error():
            doc: Document | None = await self._db[collection].find_one({"_id": str(id)})
        return doc

    async def user(self, user_id: UUID) -> Document | None:
        return await self._by_id(self._names.users, user_id)

    async def active_sessions(self, user: Document, now: datetime) -> list[Document]:
        """The user's sessions still usable at ``now``: active, not expired, and started since
        the last "revoke all sessions" (or the one it kept), newest first."""
        generation = int(user.get("session_generation", 0))
        current = [{"generation": generation}]
        if user.get("kept_session"):
            current.append({"_id": user["kept_session"]})
        query = {
            "user_id": str(user["id"]),
            "status": "active",
            "expires_at": {"$gt": now.isoformat()},
            "$or": current,
        }
        with _unavailable_on_driver_error():
            cursor = self._db[self._names.sessions].find(query).sort("created_at", -1)
            return [doc async for doc in cursor]

    async def account(self, account_id: UUID) -> Document | None:
        return await self._by_id(self._names.accounts, account_id)

    async def payment(self, payment_id: UUID) -> Document | None:
        return await self._by_id(self._names.payments, payment_id)

    async def accounts_of(self, owner_id: UUID) -> list[Document]:
        """Every account the user owns (closed ones too), oldest first."""
        with _unavailable_on_driver_error():
            cursor = self._db[self._names.accounts].find({"owner_id": str(owner_id)})
            docs: list[Document] = await cursor.sort(
                [("created_at", ASCENDING), ("_id", ASCENDING)]
            ).to_list()
        return docs

    async def recent_account_ids_of(self, owner_id: str, max_age_s: float = 1.0) -> list[str]:
        """``account_ids_of``, read at most ``max_age_s`` ago. For payment searches: the search
        index is refreshed every second, so a second-old list of accounts changes nothing a
        caller can observe, and repeated searches skip a MongoDB round trip."""
        now = time.monotonic()
        cached = self._account_ids.get(owner_id)
        if cached is not None and now - cached[0] < max_age_s:
            return cached[1]
        ids = await self.account_ids_of(owner_id)
        if len(self._account_ids) >= _MAX_CACHED_OWNERS:
            self._account_ids.clear()
        self._account_ids[owner_id] = (now, ids)
        return ids

    async def account_ids_of(self, owner_id: str) -> list[str]:
        """Ids of every account the user owns."""
        with _unavailable_on_driver_error():
            cursor = self._db[self._names.accounts].find({"owner_id": owner_id}, {"_id": 1})
            return [str(doc["_id"]) async for doc in cursor]

    async def owns_any(self, owner_id: str, account_ids: list[str]) -> bool:
        """Whether the user owns at least one of ``account_ids``."""
        with _unavailable_on_driver_error():
            found = await self._db[self._names.accounts].find_one(
                {"_id": {"$in": account_ids}, "owner_id": owner_id}, {"_id": 1}
            )
        return found is not None

    async def entries(self, account_id: UUID, limit: int, before_version: int | None) -> Slice:
        """Statement lines of an account, newest (highest stream version) first."""
        query: Document = {"account_id": str(account_id)}
        if before_version is not None:
            query["version"] = {"$lt": before_version}
        with _unavailable_on_driver_error():
            cursor = self._db[self._names.account_entries].find(query)
            return await _slice(cursor.sort("version", DESCENDING), limit)

    async def notifications(
        self,
        user_id: UUID,
        account_ids: list[str],
        limit: int,
        before: tuple[int, str] | None,
    ) -> Slice:
        """The user's inbox: lines addressed to the user or to one of their accounts, newest
        first. Position alone is not unique (one payment between two of the user's accounts
        notifies both), so the order is (position, _id), both descending."""
        recipients: Document = {
            "$or": [{"user_id": str(user_id)}, {"account_id": {"$in": account_ids}}]
        }
        query: Document = recipients
        if before is not None:
            position, line_id = before
            older = {
                "$or": [
                    {"position": {"$lt": position}},
                    {"position": position, "_id": {"$lt": line_id}},
                ]
            }
            query = {"$and": [recipients, older]}
        with _unavailable_on_driver_error():
            cursor = self._db[self._names.notifications].find(query)
            return await _slice(cursor.sort([("position", DESCENDING), ("_id", DESCENDING)]), limit)

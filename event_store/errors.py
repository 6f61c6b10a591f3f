"""Exceptions raised by the event store. psycopg errors never leave this package."""

from __future__ import annotations

from uuid import UUID


class EventStoreError(Exception):
    """Base class of every event store failure."""


class ConcurrencyConflict(EventStoreError):
    """Another writer appended to the stream first: the expected version is stale."""

    def __init__(self, stream_id: UUID | None, version: int | None) -> None:
        super().__init__(f"stream {stream_id} already has version {version}")
        self.stream_id = stream_id
        self.version = version


class IdempotencyKeyTaken(EventStoreError):
    """An idempotency record with this scope and key was committed by another request."""

    def __init__(self, scope: str, key: str) -> None:
        super().__init__(f"idempotency key {key!r} already used in scope {scope!r}")
        self.scope = scope
        self.key = key


class UniqueClaimTaken(EventStoreError):
    """A unique value (such as a user's email) is already claimed by another aggregate."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"a {kind} with this value already exists")
        self.kind = kind


class StoreUnavailable(EventStoreError):
    """PostgreSQL could not be reached or the connection broke; the operation did not commit
    (or, for a broken commit, may have: callers retry with their idempotency key)."""

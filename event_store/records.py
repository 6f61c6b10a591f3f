"""Value objects that cross the event store boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

JSONObject = dict[str, Any]


@dataclass(frozen=True)
class NewEvent:
    """An event to append. ``version`` is the stream version this event creates: appending
    version N succeeds only if the stream is at N-1, which is the optimistic concurrency check."""

    stream_id: UUID
    stream_type: str
    version: int
    type: str
    data: JSONObject
    schema_version: int = 1
    metadata: JSONObject = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, with its global position and writing transaction id."""

    position: int
    tx_id: int
    event_id: UUID
    stream_id: UUID
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: JSONObject
    metadata: JSONObject
    recorded_at: datetime


@dataclass(frozen=True, order=True)
class Checkpoint:
    """A reader's place in commit order: the last (transaction id, position) it has read."""

    tx_id: int = 0
    position: int = 0


@dataclass(frozen=True)
class IdempotencyRecord:
    """The outcome of a command, stored with its events so a repeat can be answered from it."""

    scope: str
    key: str
    fingerprint: str
    response: JSONObject


@dataclass(frozen=True)
class UniqueClaim:
    """A value that at most one aggregate may hold at a time (e.g. an email address)."""

    kind: str
    value: str
    owner_id: UUID

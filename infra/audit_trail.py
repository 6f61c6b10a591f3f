"""Audit trail replay, shared by ``GET /v1/audit/streams/...`` and ``ledgerline audit replay``:
a stream's events oldest first with who, when and which command, and the state the aggregate
had after each one.

Replays read the event store directly and only read it. Ledgerline keeps no snapshots yet, so
every replay starts at the stream's first event; old event schema versions are upcast on the way
(``commands.event_mapping.to_domain_event``), while each entry shows the data as it was stored.
State is the aggregate's public attributes as JSON (ids as strings, times RFC 3339), never its
private ones.

A user who had their personal data forgotten keeps their events (the log is append-only), but
the audit trail shows their e-mail address and name as null in every event and state: forgetting
is meant to make that data unreadable through the service.

This lives in ``infra`` (the composition root) because it joins the event store with the domain
and the event mapping, which ``event_store`` itself must not import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from commands.event_mapping import to_domain_event
from domain.registry import AGGREGATE_TYPES, EVENT_TYPES
from event_store.records import RecordedEvent
from event_store.store import EventStore

JSON = dict[str, Any]

# Stream type -> (event type that forgets personal data, the fields it makes unreadable).
_FORGETTING: dict[str, tuple[str, frozenset[str]]] = {
    "User": ("UserPersonalDataForgotten", frozenset({"email", "full_name"})),
}


class StreamNotFound(LookupError):
    """No such stream, or one that is not a Ledgerline aggregate (e.g. written by the
    eventsourcing library adapter, whose opaque state cannot be replayed here)."""

    def __init__(self, stream_id: UUID) -> None:
        super().__init__(f"stream {stream_id} does not exist")
        self.stream_id = stream_id


class NoStateAtPoint(LookupError):
    """The requested time is before the stream existed, or the version is beyond its end."""


def rfc3339(moment: datetime) -> str:
    """UTC, with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_json(value: Any) -> Any:
    """A plain JSON value: UUIDs as strings, times RFC 3339, containers recursively."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    return value


def state_of(aggregate: Aggregate, redacted: frozenset[str] = frozenset()) -> JSON:
    """The aggregate's public attributes (plus id, version and times) as JSON."""
    state: JSON = {
        "id": str(aggregate.id),
        "version": aggregate.version,
        "created_on": rfc3339(aggregate.created_on),
        "modified_on": rfc3339(aggregate.modified_on),
    }
    for name, value in vars(aggregate).items():
        if not name.startswith("_"):
            state[name] = to_json(value)
    return _redact(state, redacted)


def _redact(values: JSON, redacted: frozenset[str]) -> JSON:
    return {k: None if k in redacted else v for k, v in values.items()}


@dataclass(frozen=True)
class AuditEntry:
    """One event and the state it left the aggregate in."""

    record: RecordedEvent
    state: JSON
    redacted: frozenset[str] = frozenset()

    def as_json(self) -> JSON:
        metadata = self.record.metadata
        return {
            "event_id": str(self.record.event_id),
            "position": self.record.position,
            "version": self.record.version,
            "type": self.record.type,
            "schema_version": self.record.schema_version,
            "recorded_at": rfc3339(self.record.recorded_at),
            "user_id": metadata.get("user_id"),
            "correlation_id": metadata.get("correlation_id"),
            "causation_id": metadata.get("causation_id"),
            "command": metadata.get("command"),
            "data": _redact(dict(self.record.data), self.redacted),
            "state": self.state,
        }


@dataclass(frozen=True)
class AuditTrail:
    """A stream's history, oldest first (possibly cut at a time or version)."""

    stream_id: UUID
    stream_type: str
    entries: tuple[AuditEntry, ...]
    redacted: frozenset[str]

    @property
    def version(self) -> int:
        return self.entries[-1].record.version

    @property
    def state(self) -> JSON:
        return self.entries[-1].state

    def until(self, *, at: datetime | None = None, version: int | None = None) -> AuditTrail:
        """The history up to and including ``version`` or the events recorded by ``at``."""
        entries = [
            entry
            for entry in self.entries
            if (version is None or entry.record.version <= version)
            and (at is None or entry.record.recorded_at <= at)
        ]
        if version is not None and version > self.version:
            raise NoStateAtPoint(
                f"stream {self.stream_id} has no version {version} (it is at {self.version})"
            )
        if not entries:
            when = f"at {rfc3339(at)}" if at is not None else f"at version {version}"
            raise NoStateAtPoint(f"stream {self.stream_id} did not exist {when}")
        return replace(self, entries=tuple(entries))

    def as_json(self) -> JSON:
        return {
            "stream_id": str(self.stream_id),
            "stream_type": self.stream_type,
            "version": self.version,
            "redacted": sorted(self.redacted),
            "state": self.state,
            "events": [entry.as_json() for entry in self.entries],
        }


def replay_stream(store: EventStore, stream_id: UUID) -> AuditTrail:
    """Read the whole stream and replay it from its first event (no snapshots exist)."""
    records = store.read_stream(stream_id)
    if not records or not _replayable(records):
        raise StreamNotFound(stream_id)
    stream_type = records[0].stream_type
    forgetting, fields = _FORGETTING.get(stream_type, ("", frozenset()))
    redacted = fields if any(r.type == forgetting for r in records) else frozenset()
    entries = []
    aggregate: Aggregate | None = None
    for record in records:
        aggregate = to_domain_event(record).mutate(aggregate)
        assert aggregate is not None  # the first event of a stream creates the aggregate
        entries.append(AuditEntry(record, state_of(aggregate, redacted), redacted))
    return AuditTrail(stream_id, stream_type, tuple(entries), redacted)


def _replayable(records: list[RecordedEvent]) -> bool:
    return records[0].stream_type in AGGREGATE_TYPES and all(r.type in EVENT_TYPES for r in records)


def account_owner(store: EventStore, account_id: UUID) -> UUID | None:
    """The owner of an account, from its opening event (None if there is no such account)."""
    records = store.read_stream(account_id, up_to_version=1)
    if not records or records[0].type != "AccountOpened":
        return None
    return UUID(str(records[0].data["owner_id"]))

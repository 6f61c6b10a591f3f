"""Translation between the domain's event objects and the event store's records.

Stored data is the event's own fields as plain JSON (ids as strings); the aggregate id, version
and time live in the record's columns. Reading upcasts old schema versions first, then turns id
strings back into UUIDs using the event class's type hints.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from functools import cache
from types import UnionType
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

from domain.registry import (
    AGGREGATE_TYPES,
    event_class_for,
    event_type_name,
    schema_version_of,
    stream_type_of,
)
from domain.upcasting import upcast
from event_store.records import JSONObject, NewEvent, RecordedEvent

# Columns of the record, not event data.
_ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


def _to_json(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def to_new_event(event: CanMutateAggregate[UUID], metadata: JSONObject) -> NewEvent:
    """A domain event, ready to append."""
    type_name = event_type_name(event)
    data = {k: _to_json(v) for k, v in event.__dict__.items() if k not in _ENVELOPE_FIELDS}
    return NewEvent(
        stream_id=event.originator_id,
        stream_type=stream_type_of(event),
        version=event.originator_version,
        type=type_name,
        data=data,
        schema_version=schema_version_of(type_name),
        metadata=metadata,
    )


@cache
def _uuid_fields(event_class: type[Aggregate.Event]) -> frozenset[str]:
    hints = typing.get_type_hints(event_class)
    return frozenset(name for name, hint in hints.items() if _is_uuid_hint(hint))


def _is_uuid_hint(hint: Any) -> bool:
    if hint is UUID:
        return True
    if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union:
        return UUID in typing.get_args(hint)
    return False


def to_domain_event(record: RecordedEvent) -> Aggregate.Event:
    """A stored record as the domain event class it was written from (upcast if old)."""
    event_class = event_class_for(record.type)
    data: dict[str, Any] = upcast(record.type, record.schema_version, record.data)
    for name in _uuid_fields(event_class) & data.keys():
        if data[name] is not None:
            data[name] = UUID(data[name])
    fields: dict[str, Any] = {
        "originator_id": record.stream_id,
        "originator_version": record.version,
        "timestamp": record.recorded_at,
    }
    if issubclass(event_class, Aggregate.Created):
        fields["originator_topic"] = get_topic(AGGREGATE_TYPES[record.stream_type])
    return event_class(**fields, **data)


def reconstruct(
    records: Sequence[RecordedEvent], aggregate: Aggregate | None = None
) -> Aggregate | None:
    """Replay a stream's records into its aggregate (None for an empty stream), optionally
    continuing from an aggregate that already reflects the earlier records."""
    for record in records:
        aggregate = to_domain_event(record).mutate(aggregate)
    return aggregate


def event_metadata(fields: Mapping[str, Any]) -> JSONObject:
    """Metadata dict with the None values left out."""
    return {k: v for k, v in fields.items() if v is not None}

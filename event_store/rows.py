"""Row <-> record conversion shared by the event store's readers."""

from __future__ import annotations

from typing import Any

from event_store.records import RecordedEvent

EVENT_COLUMNS = (
    "position, tx_id::text::int8, event_id, stream_id, stream_type, version, type,"
    " schema_version, data, metadata, recorded_at"
)


def to_recorded_event(row: tuple[Any, ...]) -> RecordedEvent:
    return RecordedEvent(
        position=row[0],
        tx_id=row[1],
        event_id=row[2],
        stream_id=row[3],
        stream_type=row[4],
        version=row[5],
        type=row[6],
        schema_version=row[7],
        data=row[8],
        metadata=row[9],
        recorded_at=row[10],
    )

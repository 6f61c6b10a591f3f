"""The JSON envelope every event travels in on Kafka (see ARCHITECTURE.md)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from event_store.records import RecordedEvent


def to_envelope(event: RecordedEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "stream_id": str(event.stream_id),
        "stream_type": event.stream_type,
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "position": event.position,
        "recorded_at": event.recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": event.data,
        "metadata": event.metadata,
    }


def encode_envelope(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def decode_envelope(raw: bytes) -> dict[str, Any]:
    """Parse an envelope; raises ValueError for anything that is not one."""
    envelope = json.loads(raw)
    if not isinstance(envelope, dict):
        raise ValueError("envelope is not a JSON object")
    missing = {"event_id", "stream_id", "stream_type", "version", "type", "data"} - envelope.keys()
    if missing:
        raise ValueError(f"envelope lacks {sorted(missing)}")
    return envelope

"""The JSON envelope every event travels in on Kafka (see ARCHITECTURE.md and the README's
"Kafka envelope" section).

Personal fields travel sealed, exactly as the event store holds them, and the envelope says so:
``"sealed": {"scheme": "pii:v1", "key_id": "<subject id>", "fields": ["email", "full_name"]}``.
``key_id`` names the row of ``personal_data_keys`` whose key opens them (see
``event_store.personal_data``); once forgetting deleted that key, no copy of the record anywhere
can be opened again. Envelopes made from revealed records (rebuilds) carry no ``sealed``.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from event_store.personal_data import SCHEME, sealed_fields, subject_of
from event_store.records import RecordedEvent


def to_envelope(event: RecordedEvent) -> dict[str, Any]:
    envelope = {
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
    if fields := sealed_fields(event.type, event.data):
        subject = subject_of(event.type, event.stream_id, event.data)
        envelope["sealed"] = {"scheme": SCHEME, "key_id": str(subject), "fields": fields}
    return envelope


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

"""The Kafka side of a projector: its consumer settings, turning a record into an envelope
(or refusing it as poison), and the trace context a record carries in its headers."""

from __future__ import annotations

from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from opentelemetry.context import Context

from infra.tracing.batches import Attributes
from infra.tracing.propagation import header_value, sampled_parent
from projections.envelope import decode_envelope
from projections.operations import Envelope
from projections.unsealing import check_sealed


def consumer_config(bootstrap_servers: str, group_id: str, **overrides: Any) -> dict[str, Any]:
    """KafkaConsumer settings of a projector: manual commits, start at the beginning."""
    return {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "client_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
        "max_poll_interval_ms": 300_000,
        "max_poll_records": 500,
        # kafka-python backs off up to 30 s between reconnects; a broker back from a restart
        # should be noticed in seconds.
        "reconnect_backoff_max_ms": 2_000,
    } | overrides


# The search projector feeds indices that refresh once a second, so nothing is searchable sooner
# if it reads each event the moment it lands: the broker holds its fetches until a quarter of a
# second has passed (or plenty has arrived), and under a steady trickle of commands it reads,
# bulk-writes and commits a batch per fetch instead of one event at a time; the broker's and the
# projector's CPU per event fall accordingly (bench/http: CPU seconds of both during a run).
SEARCH_FETCH: dict[str, Any] = {"fetch_min_bytes": 1 << 20, "fetch_max_wait_ms": 250}

# The notifier's webhooks and mails may leave a tenth of a second later; in exchange it stores
# a batch of deliveries per PostgreSQL transaction instead of one per event (bench/pipeline:
# CPU seconds of the notifier, PostgreSQL and Kafka per command).
NOTIFIER_FETCH: dict[str, Any] = {"fetch_min_bytes": 64 << 10, "fetch_max_wait_ms": 100}


def decode_record(record: ConsumerRecord) -> Envelope:
    """The envelope in ``record``; ValueError if it is not a usable one."""
    if record.value is None:
        raise ValueError("record has no value")
    envelope = decode_envelope(record.value)
    version = envelope["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"envelope version {version!r} is not a positive int")
    for key in ("stream_id", "stream_type", "type", "event_id"):
        if not isinstance(envelope[key], str) or not envelope[key]:
            raise ValueError(f"envelope {key} {envelope[key]!r} is not a non-empty string")
    if not isinstance(envelope["data"], dict):
        raise ValueError("envelope data is not an object")
    check_sealed(envelope)
    return envelope


def correlation_id_of(record: ConsumerRecord, envelope: Envelope | None) -> str | None:
    if envelope is not None:
        metadata = envelope.get("metadata")
        if isinstance(metadata, dict) and metadata.get("correlation_id"):
            return str(metadata["correlation_id"])
    for key, value in record.headers or []:
        if key == "correlation_id" and value:
            return bytes(value).decode(errors="replace")
    return None


def trace_parents(records: list[ConsumerRecord]) -> list[tuple[int, Context, Attributes]]:
    """(index, sampled trace context, the record's span attributes) of every record in
    ``records`` whose ``traceparent`` header is sampled (none while tracing is off)."""
    parents: list[tuple[int, Context, Attributes]] = []
    for index, record in enumerate(records):
        parent = sampled_parent(header_value(record.headers))
        if parent is not None:
            event_type = dict(record.headers or []).get("event_type") or b""
            attributes: Attributes = {
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
                "ledgerline.event_type": bytes(event_type).decode("ascii", "replace"),
            }
            parents.append((index, parent, attributes))
    return parents

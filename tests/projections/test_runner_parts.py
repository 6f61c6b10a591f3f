"""Server-free parts of the runner: record decoding, dead-letter headers, the document cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import TopicPartition

from projections.cache import DocumentCache
from projections.consumer import correlation_id_of, decode_record
from projections.dead_letter import DeadLetter, dead_letter_topic
from projections.envelope import encode_envelope
from tests.projections.scenario import mixed_story


def a_record(value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> ConsumerRecord:
    return ConsumerRecord(
        topic="events",
        partition=3,
        leader_epoch=0,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"stream-key",
        value=value,
        headers=headers or [],
        checksum=None,
        serialized_key_size=10,
        serialized_value_size=0 if value is None else len(value),
        serialized_header_size=0,
    )


def an_envelope(**changes: Any) -> dict[str, Any]:
    return {**mixed_story().ledger.envelopes[0], **changes}


def test_a_relay_envelope_decodes() -> None:
    envelope = an_envelope()
    assert decode_record(a_record(encode_envelope(envelope))) == envelope


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"\xff\xfe not utf-8",
        b"{not json",
        b"[1, 2]",
        json.dumps({"type": "UserRegistered"}).encode(),
        encode_envelope(an_envelope(version="3")),
        encode_envelope(an_envelope(version=0)),
        encode_envelope(an_envelope(stream_id=None)),
        encode_envelope(an_envelope(data="nope")),
    ],
)
def test_anything_but_a_well_formed_envelope_is_refused_as_poison(value: bytes | None) -> None:
    with pytest.raises(ValueError):
        decode_record(a_record(value))


def test_a_dead_letter_keeps_key_value_and_headers_and_says_where_it_came_from() -> None:
    record = a_record(b"{broken", headers=[("event_type", b"AccountCredited")])
    letter = DeadLetter(record, ValueError("Expecting property name"), "ledgerline-mongo")
    headers = dict(letter.headers())
    assert headers == {
        "event_type": b"AccountCredited",
        "error": b"ValueError: Expecting property name",
        "source_topic": b"events",
        "source_partition": b"3",
        "source_offset": b"41",
        "consumer_group": b"ledgerline-mongo",
    }
    assert dead_letter_topic("ledgerline.events") == "ledgerline.events.dlq"


def test_correlation_id_comes_from_the_envelope_else_from_the_header() -> None:
    envelope = an_envelope()
    record = a_record(b"", headers=[("correlation_id", b"from-header")])
    assert correlation_id_of(record, envelope) == envelope["metadata"]["correlation_id"]
    assert correlation_id_of(record, None) == "from-header"
    assert correlation_id_of(a_record(b""), None) is None


def test_the_cache_forgets_revoked_partitions_and_stays_bounded() -> None:
    cache = DocumentCache(max_entries=3)
    p0, p1 = TopicPartition("t", 0), TopicPartition("t", 1)
    cache.put("a", p0, {"version": 1})
    cache.put("b", p1, {"version": 1})
    cache.put("c", p0, {"version": 1})
    cache.put("a", p0, {"version": 2})  # rewritten: now the newest
    cache.put("d", p1, {"version": 1})  # evicts the oldest, "b"
    assert [cache.get(k) is not None for k in "abcd"] == [True, False, True, True]
    cache.drop_partitions({p0})
    assert [cache.get(k) is not None for k in "abcd"] == [False, False, False, True]
    cache.discard(["d"])
    assert len(cache) == 0

"""The projectors end to end on real Kafka, a MongoDB-protocol server and Elasticsearch:
envelopes produced to a topic become read models, replays change nothing, a restarted or split
projector ends exactly where one uninterrupted projector does, poison goes to the DLQ."""

from __future__ import annotations

import uuid
from typing import Any

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from projections.envelope import encode_envelope
from projections.mongo_projection import MONGO_PROJECTION
from projections.search_projection import SEARCH_PROJECTION
from tests.projections.conftest import (
    PARTITIONS,
    Pipeline,
    RunningProjector,
    mongo_dump,
    search_dump,
)
from tests.projections.scenario import Ledger, busy_ledger, mixed_story
from tests.projections.support import (
    MemoryReadModel,
    expected_account,
    expected_payment,
    subset,
    wait_for,
)

COLLECTIONS = {
    "users": "User",
    "accounts": "Account",
    "payments": "Payment",
    "transfers": "Transfer",
    "sessions": "Session",
}


def expected_mongo_dump(envelopes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """What the Mongo read model must hold: the pure fold of all events, per collection."""
    model = MemoryReadModel(MONGO_PROJECTION)
    model.apply(envelopes)
    stream_types = {e["stream_id"]: e["stream_type"] for e in envelopes}
    dump: dict[str, list[dict[str, Any]]] = {}
    for name, stream_type in COLLECTIONS.items():
        docs = [d for sid, d in model.docs.items() if stream_types[sid] == stream_type]
        dump[name] = sorted(docs, key=lambda d: d["_id"])
    for kind, lines in model.inserts.items():
        dump[kind] = sorted(lines.values(), key=lambda d: d["_id"])
    return dict(sorted(dump.items()))


def test_a_mixed_history_becomes_mongo_documents_and_search_documents(pipeline: Pipeline) -> None:
    story = mixed_story()
    pipeline.publish(story.ledger.envelopes)
    mongo_options = pipeline.options("mongo")
    search_options = pipeline.options("search")
    with RunningProjector(mongo_options), RunningProjector(search_options):
        pipeline.wait_caught_up(mongo_options.group_id)
        pipeline.wait_caught_up(search_options.group_id)

    assert mongo_dump(pipeline.mongo) == expected_mongo_dump(story.ledger.envelopes)
    accounts = pipeline.mongo["accounts"]
    for account in story.ledger.accounts.values():
        expected = expected_account(account)
        assert subset(accounts.find_one({"_id": str(account.id)}), expected) == expected
    assert pipeline.mongo["account_entries"].count_documents(
        {"account_id": str(story.ada_eur.id)}
    ) == sum(
        1
        for e in story.ledger.envelopes
        if e["stream_id"] == str(story.ada_eur.id) and e["type"].endswith(("Credited", "Debited"))
    )
    index_names = {i["name"] for i in pipeline.mongo["account_entries"].list_indexes()}
    assert any("account_id" in name and "version" in name for name in index_names)

    search = search_dump(pipeline.search, pipeline.search_prefix)
    pure = MemoryReadModel(SEARCH_PROJECTION)
    pure.apply(story.ledger.envelopes)
    assert {**search["payments"], **search["users"]} == pure.docs
    expected = expected_payment(story.captured)
    assert subset(search["payments"][str(story.captured.id)], expected) == expected

    # Explicit mappings behind the alias: analysed text, keyword subfields, longs, dates.
    payments = f"{pipeline.search_prefix}-payments"
    found = pipeline.search.search(index=payments, query={"match": {"description": "groceries"}})
    assert [h["_id"] for h in found["hits"]["hits"]] == [str(story.captured.id)]
    exact = pipeline.search.search(index=payments, query={"term": {"merchant.raw": "Bean There"}})
    assert [h["_id"] for h in exact["hits"]["hits"]] == [str(story.pending.id)]
    aliases = pipeline.search.indices.get_alias(name=payments)
    assert list(aliases) == [f"{payments}-v1"]
    properties = pipeline.search.indices.get_mapping(index=payments)[f"{payments}-v1"]
    fields = properties["mappings"]["properties"]
    assert fields["amount"]["type"] == "long"
    assert fields["status"]["type"] == "keyword"
    assert fields["created_at"]["type"] == "date"


def test_redelivered_events_leave_the_read_models_unchanged(pipeline: Pipeline) -> None:
    story = mixed_story()
    pipeline.publish(story.ledger.envelopes)
    mongo_options, search_options = pipeline.options("mongo"), pipeline.options("search")
    with RunningProjector(mongo_options), RunningProjector(search_options):
        pipeline.wait_caught_up(mongo_options.group_id)
        pipeline.wait_caught_up(search_options.group_id)
        mongo_before = mongo_dump(pipeline.mongo)
        search_before = search_dump(pipeline.search, pipeline.search_prefix)
        # The relay republishes a batch after a crash: the same events arrive again.
        pipeline.publish(story.ledger.envelopes)
        pipeline.wait_caught_up(mongo_options.group_id)
        pipeline.wait_caught_up(search_options.group_id)
    assert mongo_dump(pipeline.mongo) == mongo_before
    assert search_dump(pipeline.search, pipeline.search_prefix) == search_before

    # A new group reads the whole topic again (twice every event) into the same read models,
    # with cold caches: everything is loaded from the servers and skipped by version.
    replay_mongo = pipeline.options("mongo", group_id=f"{pipeline.topic}-replay-mongo")
    replay_search = pipeline.options("search", group_id=f"{pipeline.topic}-replay-search")
    with RunningProjector(replay_mongo) as mongo, RunningProjector(replay_search) as search:
        pipeline.wait_caught_up(replay_mongo.group_id)
        pipeline.wait_caught_up(replay_search.group_id)
        assert mongo.runner.stats.applied == 0
        assert search.runner.stats.dead_lettered == 0
    assert mongo_dump(pipeline.mongo) == mongo_before
    assert search_dump(pipeline.search, pipeline.search_prefix) == search_before


def test_a_projector_stopped_mid_stream_resumes_and_ends_like_an_uninterrupted_one(
    pipeline: Pipeline,
) -> None:
    ledger = busy_ledger(3_000)
    pipeline.publish(ledger.envelopes)
    total = len(ledger.envelopes)
    interrupted = pipeline.options("mongo", max_records=100)
    uninterrupted = pipeline.options(
        "mongo", group_id=f"{pipeline.topic}-whole", database=f"{pipeline.topic}_whole"
    )
    with RunningProjector(uninterrupted):
        with RunningProjector(interrupted) as first:
            wait_for(lambda: first.runner.stats.records >= 600, what="a partial run")
        done_before = first.runner.stats.records
        assert done_before < total, "the first run should have stopped mid-stream"
        assert 0 < pipeline.lag(interrupted.group_id) < total

        with RunningProjector(interrupted) as second:
            pipeline.wait_caught_up(interrupted.group_id)
        # Resumed from the committed offsets: nothing before them was read again.
        assert second.runner.stats.records == total - done_before
        pipeline.wait_caught_up(uninterrupted.group_id)

    whole = pipeline.mongo.client[f"{pipeline.topic}_whole"]
    assert mongo_dump(pipeline.mongo) == mongo_dump(whole)
    assert mongo_dump(pipeline.mongo) == expected_mongo_dump(ledger.envelopes)


def test_two_instances_in_one_group_split_the_partitions_and_agree_with_one(
    pipeline: Pipeline,
) -> None:
    ledger = busy_ledger(3_000, seed=11)
    options = pipeline.options("mongo")
    every_partition = {TopicPartition(pipeline.topic, p) for p in range(PARTITIONS)}
    with RunningProjector(options) as one, RunningProjector(options) as two:

        def split() -> bool:
            a, b = one.runner.assignment, two.runner.assignment
            return bool(a) and bool(b) and not (a & b) and (a | b) == every_partition

        wait_for(split, what="the group to split the partitions")
        pipeline.publish(ledger.envelopes)
        pipeline.wait_caught_up(options.group_id)
        assert one.runner.stats.records > 0
        assert two.runner.stats.records > 0
        assert one.runner.stats.records + two.runner.stats.records >= len(ledger.envelopes)

    alone = pipeline.options(
        "mongo", group_id=f"{pipeline.topic}-alone", database=f"{pipeline.topic}_alone"
    )
    with RunningProjector(alone):
        pipeline.wait_caught_up(alone.group_id)
    assert mongo_dump(pipeline.mongo) == mongo_dump(pipeline.mongo.client[alone.mongo_database])


def test_poison_goes_to_the_dead_letter_topic_and_later_events_are_still_projected(
    pipeline: Pipeline,
) -> None:
    ledger = Ledger()
    ada = ledger.register("ada@example.com", "Ada")
    account = ledger.open_account(ada)
    before = list(ledger.envelopes)
    ledger.deposit(account, 12_00, "after the poison")
    after = ledger.envelopes[len(before) :]
    key = str(account.id).encode()  # same key: same partition as the events after it
    unknown = {**after[0], "type": "AccountTeleported", "event_id": str(uuid.uuid4())}
    unknown_bytes = encode_envelope(unknown)

    pipeline.publish(before)
    pipeline.send(key, b"{this is not json")
    pipeline.send(key, unknown_bytes, unknown)
    pipeline.publish(after)

    options = pipeline.options("mongo")
    with RunningProjector(options) as projector:
        pipeline.wait_caught_up(options.group_id)
        assert projector.runner.stats.dead_lettered == 2

    doc = pipeline.mongo["accounts"].find_one({"_id": str(account.id)})
    assert doc is not None and doc["balance"] == 12_00 and doc["version"] == account.version

    letters = read_all(pipeline, f"{pipeline.topic}.dlq", expected=2)
    assert [letter.value for letter in letters] == [b"{this is not json", unknown_bytes]
    assert all(letter.key == key for letter in letters)
    headers = [dict(letter.headers) for letter in letters]
    assert headers[0]["error"].startswith(b"JSONDecodeError")
    assert b"AccountTeleported" in headers[1]["error"]
    assert headers[1]["event_type"] == b"AccountTeleported"
    source_offsets = [int(h["source_offset"]) for h in headers]
    assert source_offsets[1] == source_offsets[0] + 1
    assert headers[0]["source_partition"] == headers[1]["source_partition"]
    assert headers[0]["consumer_group"] == options.group_id.encode()


def read_all(pipeline: Pipeline, topic: str, expected: int) -> list[Any]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=pipeline.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    records: list[Any] = []
    try:

        def enough() -> bool:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
            return len(records) >= expected

        wait_for(enough, what=f"{expected} records on {topic}")
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))

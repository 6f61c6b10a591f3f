"""The live projector next to a rebuild: right after a swap a document can be behind the events
the projector sees (the rebuild's tail has not written them yet). A version gap is retried, not
dead-lettered, for a patience window; a write that lost to a newer document is folded again
from that document instead of being committed unwritten."""

from __future__ import annotations

import threading
from typing import Any

import structlog
from kafka import KafkaConsumer

from projections.consumer import consumer_config
from projections.dead_letter import DeadLetterQueue, make_dead_letter_producer
from projections.fold import fold_batch
from projections.mongo_projection import MONGO_PROJECTION
from projections.mongo_sink import MongoSink, ensure_mongo_collections
from projections.runner import ProjectorRunner, RunnerConfig
from projections.topics import ensure_topics
from tests.projections.conftest import FAST_CONSUMER, Pipeline, RunningProjector
from tests.projections.scenario import Ledger
from tests.projections.support import wait_for

Doc = dict[str, Any]


def account_history(deposits: int) -> tuple[Ledger, str, list[Doc]]:
    """A user and an account with ``deposits`` credits; the account stream's envelopes."""
    ledger = Ledger()
    ada = ledger.register("ada@example.com", "Ada")
    account = ledger.open_account(ada)
    for number in range(deposits):
        ledger.deposit(account, 10_00, f"deposit {number}")
    stream = [e for e in ledger.envelopes if e["stream_id"] == str(account.id)]
    return ledger, str(account.id), stream


def write_directly(pipeline: Pipeline, envelopes: list[Doc]) -> None:
    """What a rebuild's tail does: fold events onto the live documents and write them."""
    sink = MongoSink(pipeline.mongo)
    streams = {e["stream_id"]: e["stream_type"] for e in envelopes}
    sink.write(fold_batch(envelopes, sink.load(streams), MONGO_PROJECTION))


def test_a_version_gap_is_retried_until_the_missing_version_lands(pipeline: Pipeline) -> None:
    ledger, account, stream = account_history(2)  # versions 1 (opened), 2, 3 (credited)
    ensure_mongo_collections(pipeline.mongo)
    write_directly(pipeline, ledger.envelopes[:2])  # user + account at version 1
    options = pipeline.options("mongo")
    with structlog.testing.capture_logs() as logs, RunningProjector(options) as projector:
        pipeline.publish([stream[2]])  # version 3: version 2 is missing from the read model
        wait_for(lambda: projector.runner.stats.gap_retries >= 2, what="gap retries")
        assert pipeline.lag(options.group_id) == 1  # nothing committed meanwhile
        write_directly(pipeline, [stream[1]])  # the tail lands version 2
        pipeline.wait_caught_up(options.group_id)
        assert projector.runner.stats.dead_lettered == 0
    doc = pipeline.mongo["accounts"].find_one({"_id": account})
    assert doc is not None and (doc["version"], doc["balance"]) == (3, 20_00)
    waiting = [e for e in logs if e["event"] == "projector_waiting_for_version_gap"]
    assert waiting and waiting[0]["streams"] == [account]
    assert pipeline.topic_size(f"{pipeline.topic}.dlq") == 0


def test_a_version_gap_that_outlasts_the_patience_is_dead_lettered(pipeline: Pipeline) -> None:
    ledger, account, stream = account_history(3)  # versions 1..4
    ensure_mongo_collections(pipeline.mongo)
    write_directly(pipeline, ledger.envelopes[:2])
    group_id = f"{pipeline.topic}-patience"
    dlq = f"{pipeline.topic}.dlq"
    ensure_topics(pipeline.bootstrap_servers, {dlq: 1})
    runner = ProjectorRunner(
        KafkaConsumer(**consumer_config(pipeline.bootstrap_servers, group_id, **FAST_CONSUMER)),
        MongoSink(pipeline.mongo),
        MONGO_PROJECTION,
        DeadLetterQueue(lambda: make_dead_letter_producer(pipeline.bootstrap_servers), dlq),
        RunnerConfig(topic=pipeline.topic, group_id=group_id, version_gap_patience_s=0.5),
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    with structlog.testing.capture_logs() as logs:
        thread.start()
        try:
            pipeline.publish([stream[2]])
            pipeline.wait_caught_up(group_id)
            assert runner.stats.dead_lettered == 1 and runner.stats.gap_retries >= 1
            retries = runner.stats.gap_retries
            # The stream is stuck now: its next gap is dead-lettered without waiting again.
            pipeline.publish([stream[3]])
            pipeline.wait_caught_up(group_id)
            assert runner.stats.dead_lettered == 2 and runner.stats.gap_retries == retries
        finally:
            stop.set()
            thread.join(30)
    exhausted = [e for e in logs if e["event"] == "projector_version_gap_patience_exhausted"]
    assert [e["streams"] for e in exhausted] == [[account]]
    assert pipeline.topic_size(dlq) == 2
    doc = pipeline.mongo["accounts"].find_one({"_id": account})
    assert doc is not None and doc["version"] == 1


def test_a_write_that_lost_to_a_newer_document_is_folded_again_from_it(
    pipeline: Pipeline,
) -> None:
    ledger, account, stream = account_history(3)  # versions 1..4
    options = pipeline.options("mongo")
    with RunningProjector(options) as projector:
        pipeline.publish([*ledger.envelopes[:2], stream[1]])  # up to version 2, now cached
        pipeline.wait_caught_up(options.group_id)
        # A swapped-in generation got version 3 from the rebuild's tail meanwhile ...
        write_directly(pipeline, [stream[2]])
        # ... and the projector, whose cache says version 2, now sees versions 3 and 4.
        pipeline.publish(stream[2:])
        pipeline.wait_caught_up(options.group_id)
        assert projector.runner.stats.refolds >= 1
        assert projector.runner.stats.dead_lettered == 0
    doc = pipeline.mongo["accounts"].find_one({"_id": account})
    assert doc is not None and (doc["version"], doc["balance"]) == (4, 30_00)

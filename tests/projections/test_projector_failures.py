"""How projectors fail: a read-model outage is waited out (nothing committed, dead-lettered or
lost), an unexpected error crashes loudly without committing, and the entry function runs from
settings until told to stop."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import structlog
from kafka import KafkaConsumer
from kafka.errors import KafkaConnectionError
from pymongo import MongoClient

from infra.servers import MongoServer, free_port
from infra.settings import Settings
from projections.consumer import consumer_config
from projections.dead_letter import DeadLetterQueue, make_dead_letter_producer
from projections.fold import FoldResult
from projections.mongo_projection import MONGO_PROJECTION
from projections.operations import Document
from projections.process import run_projector
from projections.runner import ProjectorRunner, RunnerConfig
from tests.projections.conftest import (
    FAST_CONSUMER,
    Pipeline,
    RunningProjector,
    mongo_dump,
    search_dump,
)
from tests.projections.scenario import mixed_story
from tests.projections.support import wait_for
from tests.projections.test_projectors import expected_mongo_dump


def test_a_mongo_outage_is_waited_out_without_committing_dead_lettering_or_losing(
    pipeline: Pipeline,
) -> None:
    envelopes = mixed_story().ledger.envelopes
    first, second = envelopes[:20], envelopes[20:]
    with tempfile.TemporaryDirectory(prefix="ledgerline-outage-") as root:
        server = MongoServer(Path(root), free_port())
        server.start()
        try:
            options = pipeline.options("mongo", mongo_url=server.url, server_timeout_ms=300)
            pipeline.publish(first)
            with (
                structlog.testing.capture_logs() as logs,
                RunningProjector(options) as projector,
            ):
                pipeline.wait_caught_up(options.group_id)
                server.stop()
                pipeline.publish(second)
                wait_for(lambda: projector.runner.stats.retries >= 4, what="retries")
                # Nothing past the unwritten events is committed, nothing dead-lettered.
                assert pipeline.lag(options.group_id) == len(second)
                assert projector.runner.stats.dead_lettered == 0
                server.start()
                pipeline.wait_caught_up(options.group_id)
                assert projector.runner.stats.dead_lettered == 0
            retrying = [e for e in logs if e["event"] == "projector_retrying"]
            assert retrying and retrying[0]["unavailable"] == "sink"
            assert any(e["event"] == "projector_recovered" for e in logs)

            client: MongoClient[dict[str, Any]] = MongoClient(server.url)
            try:
                dump = mongo_dump(client[options.mongo_database])
            finally:
                client.close()
        finally:
            server.stop()
    assert dump == expected_mongo_dump(envelopes)
    assert pipeline.topic_size(f"{pipeline.topic}.dlq") == 0


class BrokenSink:
    """A sink with a bug: its write raises something that is not an outage."""

    def load(self, streams: dict[str, str]) -> dict[str, Document]:
        return {}

    def write(self, result: FoldResult) -> set[str]:
        raise RuntimeError("bug in the sink")


def test_an_unexpected_error_crashes_the_projector_and_commits_nothing(
    pipeline: Pipeline,
) -> None:
    envelopes = mixed_story().ledger.envelopes
    pipeline.publish(envelopes)
    group_id = f"{pipeline.topic}-broken"
    consumer = KafkaConsumer(
        **consumer_config(pipeline.bootstrap_servers, group_id, **FAST_CONSUMER)
    )
    runner = ProjectorRunner(
        consumer,
        BrokenSink(),
        MONGO_PROJECTION,
        DeadLetterQueue(lambda: make_dead_letter_producer(pipeline.bootstrap_servers), "unused"),
        RunnerConfig(topic=pipeline.topic, group_id=group_id),
    )
    with pytest.raises(RuntimeError, match="bug in the sink"):
        runner.run(threading.Event())
    assert consumer._closed
    assert pipeline.lag(group_id) == len(envelopes)


def test_run_projector_projects_from_settings_until_stopped(
    pipeline: Pipeline, database_url: str
) -> None:
    story = mixed_story()
    pipeline.publish(story.ledger.envelopes)
    settings = Settings(
        # The projector reads the store's epoch topic (projections.epochs) before Kafka.
        LEDGERLINE_DATABASE_URL=database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=pipeline.bootstrap_servers,
        LEDGERLINE_ELASTICSEARCH_URL=pipeline.elasticsearch_url,
        LEDGERLINE_MONGO_URL=pipeline.mongo_url,
        kafka_topic=pipeline.topic,
        mongo_database=pipeline.mongo.name,
        search_index_prefix=pipeline.search_prefix,
        projector_search_metrics_port=0,
    )
    stop = threading.Event()
    group_id = f"{pipeline.topic}-settings"
    errors: list[BaseException] = []

    def main() -> None:
        try:
            run_projector(settings, "search", stop, group_id=group_id)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        pipeline.wait_caught_up(group_id)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and errors == []
    found = search_dump(pipeline.search, pipeline.search_prefix)
    assert set(found["payments"]) == set(story.ledger.payments)
    assert set(found["users"]) == set(story.ledger.users)


class UnreachableBrokerConsumer:
    """A consumer whose broker is down for its first ``failures`` polls (kafka-python raises
    from poll then), after which the test is over."""

    def __init__(self, stop: threading.Event, failures: int) -> None:
        self.stop, self.failures, self.polls = stop, failures, 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def subscribe(self, topics: list[str], listener: object) -> None:
        pass

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, Any]:
        self.polls += 1
        if self.polls <= self.failures:
            raise KafkaConnectionError("111 ECONNREFUSED")
        self.stop.set()
        return {}

    def close(self, autocommit: bool) -> None:
        pass


def test_a_broker_that_does_not_answer_a_poll_is_waited_for_not_a_crash() -> None:
    stop = threading.Event()
    consumer = UnreachableBrokerConsumer(stop, failures=3)
    runner = ProjectorRunner(
        consumer,  # type: ignore[arg-type]
        BrokenSink(),
        MONGO_PROJECTION,
        DeadLetterQueue(lambda: make_dead_letter_producer("127.0.0.1:1"), "unused"),
        RunnerConfig(topic="t", group_id="g", initial_backoff_s=0.01),
    )
    runner.run(stop)
    assert consumer.polls == 4
    assert runner.stats.retries == 3

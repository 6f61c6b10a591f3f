"""A topic written before personal data travelled sealed is found by ``topics check`` and
replaced by a new topic generation, which the relay fills from the start of the store, sealed;
the old generation is then deleted (``ledgerline topics``)."""

from __future__ import annotations

import threading
from uuid import uuid4

import psycopg
import pytest
from typer.testing import CliRunner, Result

from commands.bus import CommandBus
from commands.context import ANONYMOUS
from commands.messages import RegisterUser
from event_store.commit_order import read_committed
from event_store.records import Checkpoint
from event_store.store import EventStore
from infra.backup.epoch import DDL as EPOCHS_DDL
from infra.cli.topics import app as topics_cli
from infra.servers import KafkaServer, free_port
from infra.settings import Settings
from projections.dead_letter import dead_letter_topic
from projections.epochs import follow_store_epoch
from projections.producer import make_producer
from projections.relay import publish
from projections.retry import Stopped
from projections.topics import ensure_topics, list_topics, read_whole_topic
from tests.commands.conftest import context
from tests.polling import wait_for
from tests.relay.conftest import append_credits
from tests.relay.test_relay import start_relay

EMAIL, NAME = "margaret.hamilton@apollo.example", "Margaret Hamilton"


def topics(bootstrap_servers: str, topic: str, *args: str, database_url: str = "") -> Result:
    env = {"LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers, "LEDGERLINE_KAFKA_TOPIC": topic}
    if database_url:
        env["LEDGERLINE_DATABASE_URL"] = database_url
    return CliRunner().invoke(topics_cli, list(args), env=env)


def test_an_old_clear_topic_is_replaced_by_a_sealed_generation_and_deleted(
    event_store: EventStore, kafka_server: KafkaServer, database_url: str
) -> None:
    bootstrap = kafka_server.bootstrap_servers
    old, new = f"old-{uuid4().hex[:8]}", f"new-{uuid4().hex[:8]}"
    CommandBus(event_store).execute(RegisterUser(email=EMAIL, full_name=NAME), context(ANONYMOUS))
    append_credits(event_store, uuid4(), 1, 3)
    # What an older relay published: the records with their personal fields in clear.
    ensure_topics(bootstrap, {old: 3})
    producer = make_producer(bootstrap)
    publish(producer, old, read_committed(event_store, Checkpoint(), 100, reveal=True))
    producer.close()

    found = topics(bootstrap, old, "check")
    assert found.exit_code == 1
    assert f"{old}: 4 records, 1 with personal data in clear" in found.output
    assert "new-generation" in found.output

    assert topics(bootstrap, old, "new-generation", old).exit_code == 1  # the one in use
    created = topics(bootstrap, old, "new-generation", new)
    assert created.exit_code == 0, created.output
    assert {new, dead_letter_topic(new)} <= list_topics(bootstrap)
    assert f"LEDGERLINE_KAFKA_TOPIC={new}" in created.output
    again = topics(bootstrap, old, "new-generation", new)
    assert again.exit_code == 1 and "already exists" in again.output

    # The relay keeps a checkpoint per topic: pointed at the new generation, it publishes the
    # whole store there, sealed.
    _relay, stop, thread = start_relay(event_store, kafka_server, new, database_url)
    try:
        wait_for(lambda: len(list(read_whole_topic(bootstrap, new))) == 4, 30, what="4 records")
    finally:
        stop.set()
        thread.join(10)
    on_new = b"\n".join(read_whole_topic(bootstrap, new))
    assert EMAIL.encode() not in on_new and NAME.encode() not in on_new
    clean = topics(bootstrap, new, "check")
    assert clean.exit_code == 0, clean.output
    assert f"{new}: 4 records, 0 with personal data in clear" in clean.output

    assert topics(bootstrap, new, "delete", new, "--yes").exit_code == 1  # the one in use
    unconfirmed = topics(bootstrap, new, "delete", old)
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.output
    assert old in list_topics(bootstrap)
    deleted = topics(bootstrap, new, "delete", old, "--yes", database_url=database_url)
    assert deleted.exit_code == 0, deleted.output
    wait_for(lambda: old not in list_topics(bootstrap), 30, what=f"{old} deleted")
    gone = topics(bootstrap, old, "check")
    assert gone.exit_code == 1 and "does not exist" in gone.output


def test_an_unreachable_broker_is_one_line_and_exit_1() -> None:
    result = topics(f"127.0.0.1:{free_port()}", "ledgerline.events", "check")
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach Kafka at 127.0.0.1:")
    assert len(result.output.strip().splitlines()) == 1


def test_processes_follow_the_topic_of_the_stores_epoch_which_is_never_deleted(
    kafka_server: KafkaServer, database_url: str
) -> None:
    """After a restore (``infra.backup.epoch``) the store names its epoch's topic generation;
    every process that uses the topic takes it in place of a configured topic of the same line
    (``projections.epochs``), and ``topics delete`` refuses it."""
    bootstrap = kafka_server.bootstrap_servers
    line = f"line-{uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(EPOCHS_DDL)
        conn.execute(
            "INSERT INTO store_epochs (epoch, restored_from, target, head_position, topic)"
            " VALUES (2, 'b1', 'latest', 0, %s)",
            (f"{line}.e2",),
        )
    never = threading.Event()
    expected = {line: f"{line}.e2", f"{line}.e5": f"{line}.e2", "other": "other"}
    for configured, used in expected.items():
        settings = Settings(LEDGERLINE_DATABASE_URL=database_url, kafka_topic=configured)
        assert follow_store_epoch(settings, never).kafka_topic == used

    ensure_topics(bootstrap, {f"{line}.e2": 1})
    refused = topics(bootstrap, line, "delete", f"{line}.e2", "--yes", database_url=database_url)
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        f"error: {line}.e2 is the topic of the event store's current epoch (a restore made it)"
    )
    assert f"{line}.e2" in list_topics(bootstrap)
    unknown = topics(bootstrap, line, "delete", f"{line}.e2", "--yes", database_url=_nowhere())
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (
        "error: cannot tell which topic is in use: PostgreSQL does not answer"
    )


def test_a_process_waiting_for_postgresql_to_learn_its_topic_stops_when_asked() -> None:
    settings = Settings(LEDGERLINE_DATABASE_URL=_nowhere(), kafka_topic="ledgerline.events")
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        follow_store_epoch(settings, stop)


def _nowhere() -> str:
    return f"postgresql://ledgerline@127.0.0.1:{free_port()}/ledgerline"

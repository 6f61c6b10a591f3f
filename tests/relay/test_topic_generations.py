"""A topic written before personal data travelled sealed is found by ``topics check`` and
replaced by a new topic generation, which the relay fills from the start of the store, sealed;
the old generation is then deleted (``ledgerline topics``)."""

from __future__ import annotations

from uuid import uuid4

from typer.testing import CliRunner, Result

from commands.bus import CommandBus
from commands.context import ANONYMOUS
from commands.messages import RegisterUser
from event_store.commit_order import read_committed
from event_store.records import Checkpoint
from event_store.store import EventStore
from infra.cli.topics import app as topics_cli
from infra.servers import KafkaServer, free_port
from projections.dead_letter import dead_letter_topic
from projections.producer import make_producer
from projections.relay import publish
from projections.topics import ensure_topics, list_topics, read_whole_topic
from tests.commands.conftest import context
from tests.polling import wait_for
from tests.relay.conftest import append_credits
from tests.relay.test_relay import start_relay

EMAIL, NAME = "margaret.hamilton@apollo.example", "Margaret Hamilton"


def topics(bootstrap_servers: str, topic: str, *args: str) -> Result:
    env = {"LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers, "LEDGERLINE_KAFKA_TOPIC": topic}
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
    deleted = topics(bootstrap, new, "delete", old, "--yes")
    assert deleted.exit_code == 0, deleted.output
    wait_for(lambda: old not in list_topics(bootstrap), 30, what=f"{old} deleted")
    gone = topics(bootstrap, old, "check")
    assert gone.exit_code == 1 and "does not exist" in gone.output


def test_an_unreachable_broker_is_one_line_and_exit_1() -> None:
    result = topics(f"127.0.0.1:{free_port()}", "ledgerline.events", "check")
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach Kafka at 127.0.0.1:")
    assert len(result.output.strip().splitlines()) == 1

"""Relay replicas against real PostgreSQL and Kafka: one leader publishes, another takes over
when it stops or loses its lock session, a deposed leader's checkpoint write is fenced, and the
stale batch it may still send never puts a stream out of order (projections/leadership.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

from event_store.records import Checkpoint
from event_store.store import EventStore
from infra.servers import KafkaServer
from projections.checkpoints import CheckpointStore, Fenced
from projections.leadership import LeaderConfig, LeaderElection, Term, connect_for_lock, lock_key
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig, relay_checkpoint_name
from tests.polling import wait_for
from tests.relay.conftest import TopicReader, append_credits

FAST = LeaderConfig(lease_s=2.0, retry_s=0.1)


class Replicas:
    """Relays on one topic, each with its own election, on threads of this process."""

    def __init__(self, store: EventStore, bootstrap: str, topic: str, database_url: str) -> None:
        self._store, self._bootstrap = store, bootstrap
        self._topic, self._database_url = topic, database_url
        self.relays: list[Relay] = []
        self._running: list[tuple[threading.Event, threading.Thread]] = []

    def start(self, count: int) -> None:
        for _ in range(count):
            relay = Relay(
                self._store,
                RelayConfig(topic=self._topic),
                lambda: make_producer(self._bootstrap, max_block_ms=2000),
                election=LeaderElection(
                    self._database_url, relay_checkpoint_name(self._topic), FAST
                ),
            )
            stop = threading.Event()
            thread = threading.Thread(target=relay.run, args=(stop,))
            thread.start()
            self.relays.append(relay)
            self._running.append((stop, thread))

    def leader(self) -> Relay:
        leader = wait_for(lambda: self._only_leader(), 20, what="exactly one leader")
        assert leader is not None
        return leader

    def _only_leader(self) -> Relay | None:
        leaders = [relay for relay in self.relays if relay.leading]
        return leaders[0] if len(leaders) == 1 else None

    def stop(self, relay: Relay) -> None:
        stop, thread = self._running[self.relays.index(relay)]
        stop.set()
        thread.join(20)
        assert not thread.is_alive()

    def stop_all(self) -> None:
        for relay in self.relays:
            self.stop(relay)


@pytest.fixture
def replicas(
    event_store: EventStore, kafka_server: KafkaServer, topic: str, database_url: str
) -> Iterator[Replicas]:
    replicas = Replicas(event_store, kafka_server.bootstrap_servers, topic, database_url)
    yield replicas
    replicas.stop_all()


def first_seen_versions(reader: TopicReader) -> dict[str, list[int]]:
    """Each stream's versions in the order they first appear on the topic."""
    per_stream: dict[str, list[int]] = {}
    for envelope in reader.envelopes():
        versions = per_stream.setdefault(str(envelope["stream_id"]), [])
        if int(str(envelope["version"])) not in versions:
            versions.append(int(str(envelope["version"])))
    return per_stream


def test_of_three_replicas_one_publishes_and_the_next_continues_from_its_checkpoint(
    event_store: EventStore, replicas: Replicas, reader: TopicReader
) -> None:
    streams = [uuid4() for _ in range(4)]
    for stream in streams:
        append_credits(event_store, stream, 1, 5)
    replicas.start(3)
    first = replicas.leader()
    wait_for(lambda: reader.drain() >= 20, 30, what="the first 20 events")
    assert [relay.published for relay in replicas.relays if relay is not first] == [0, 0]

    replicas.stop(first)  # a clean stop: its checkpoint covers everything it published
    for stream in streams:
        append_credits(event_store, stream, 6, 5)
    second = replicas.leader()
    assert second is not first
    wait_for(lambda: reader.drain() >= 40, 30, what="the next 20 events")
    assert second.published == 20
    assert len(reader.messages) == 40  # continued from the checkpoint: nothing repeated
    assert first_seen_versions(reader) == {str(s): list(range(1, 11)) for s in streams}


def test_a_leader_whose_lock_session_ends_steps_down_and_publishing_goes_on(
    event_store: EventStore, replicas: Replicas, reader: TopicReader, database_url: str
) -> None:
    """What a PostgreSQL fail-over (or an administrator's pg_terminate_backend) does to the
    leader's lock connection: it notices at its next heartbeat and a term starts again."""
    stream = uuid4()
    append_credits(event_store, stream, 1, 3)
    replicas.start(2)
    leader = replicas.leader()
    wait_for(lambda: reader.drain() >= 3, 30, what="the first events")
    with psycopg.connect(database_url, autocommit=True) as admin:
        # The test's database is its own: the one advisory lock held in it is the leader's.
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND database = (SELECT oid FROM pg_database"
            " WHERE datname = current_database())"
        ).fetchall()
    assert ended == [(True,)]
    wait_for(lambda: not leader.leading or leader.terms == 2, 20, what="the term to end")
    wait_for(lambda: sum(relay.terms for relay in replicas.relays) == 2, 20, what="a new term")
    append_credits(event_store, stream, 4, 3)
    wait_for(lambda: reader.drain() >= 6, 30, what="events after the new term started")
    assert first_seen_versions(reader) == {str(stream): [1, 2, 3, 4, 5, 6]}


def test_a_deposed_leaders_batch_is_fenced_and_only_repeats_what_the_next_one_sends(
    event_store: EventStore, kafka_server: KafkaServer, topic: str, reader: TopicReader
) -> None:
    """The window between a stale leader's send and its checkpoint write, made deterministic:
    the old leader sends its batch after the new one claimed its term."""

    def relay() -> Relay:
        return Relay(
            event_store,
            RelayConfig(topic=topic),
            lambda: make_producer(kafka_server.bootstrap_servers, max_block_ms=2000),
        )

    stream = uuid4()
    append_credits(event_store, stream, 1, 2)
    old, new = relay(), relay()
    old.claim()
    assert old.run_once() == 2
    append_credits(event_store, stream, 3, 2)
    new.claim()  # takes over from the checkpoint after version 2
    with pytest.raises(Fenced):
        old.run_once()  # sends versions 3 and 4, then its checkpoint write fails
    assert new.run_once() == 2  # versions 3 and 4 again, from the stored checkpoint
    append_credits(event_store, stream, 5, 1)
    assert new.run_once() == 1
    wait_for(lambda: reader.drain() >= 7, 30, what="both leaders' sends")
    assert [int(str(e["version"])) for e in reader.envelopes()] == [1, 2, 3, 4, 3, 4, 5]
    assert first_seen_versions(reader) == {str(stream): [1, 2, 3, 4, 5]}
    stored = CheckpointStore(event_store).load(relay_checkpoint_name(topic))
    assert stored == new.checkpoint


def test_a_checkpoint_write_of_an_ended_term_changes_nothing(event_store: EventStore) -> None:
    checkpoints = CheckpointStore(event_store)
    name = f"relay:{uuid4().hex}"
    first, start = checkpoints.claim(name)
    second, _ = checkpoints.claim(name)
    assert second == first + 1
    with pytest.raises(Fenced):
        checkpoints.save_fenced(name, first, Checkpoint(tx_id=5, position=5))
    assert checkpoints.load(name) == start
    checkpoints.save(name, Checkpoint(tx_id=7, position=7))  # an operator's write
    with pytest.raises(Fenced):  # ends the running term too
        checkpoints.save_fenced(name, second, Checkpoint(tx_id=9, position=9))
    assert checkpoints.load(name).position == 7


def test_a_term_whose_heartbeat_is_older_than_the_lease_is_over(database_url: str) -> None:
    now = [1000.0]
    config = LeaderConfig(lease_s=30.0)  # heartbeats every 6 s: none during this test
    conn = connect_for_lock(database_url, config)
    conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("heartbeat-test"),))
    term = Term(conn, config, clock=lambda: now[0])
    try:
        now[0] += 29.9
        assert term.active()
        now[0] += 0.2
        assert not term.active()
    finally:
        term.end()
    with psycopg.connect(database_url, autocommit=True) as other:  # end released the lock
        row = other.execute(
            "SELECT pg_try_advisory_lock(%s)", (lock_key("heartbeat-test"),)
        ).fetchone()
    assert row == (True,)

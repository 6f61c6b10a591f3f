"""The relay process: ``run_relay(settings, stop)`` wires the relay from settings and runs it
as one of any number of replicas (it publishes only while it holds the leader lock:
``projections.leadership``); ``listening_for_new_events(settings, wakeup)`` is its subscription
to the write API's "new events" signal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.metric_families import RELAY, process_registry
from infra.process_http import ProcessEndpoint, check_kafka_reachable
from infra.redis.connection import RedisNames, sync_client
from infra.redis.signals import SignalListener, Wakeup
from infra.settings import Settings
from projections.epochs import follow_store_epoch
from projections.leadership import LeaderConfig, LeaderElection
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig, relay_checkpoint_name
from projections.retry import Stopped
from projections.topics import ensure_topics

log = structlog.get_logger(__name__)


@contextmanager
def listening_for_new_events(settings: Settings, wakeup: Wakeup) -> Iterator[SignalListener]:
    """Every "new events" signal sets ``wakeup``, while the context lasts."""
    listener = SignalListener(
        lambda: sync_client(settings.redis_url, subscriber=True),
        [RedisNames.of(settings).new_events],
        wakeup.signal,
    )
    try:
        yield listener
    finally:
        listener.close()


def run_relay(settings: Settings, stop: threading.Event, metrics_port: int | None = None) -> None:
    """Publish events to Kafka (while leader) until ``stop`` is set. Errors other than Kafka or
    PostgreSQL outages (which it rides out) propagate, so a supervisor sees the process die.
    ``metrics_port`` overrides ``settings.relay_metrics_port`` (a second replica on one host)."""
    try:
        settings = follow_store_epoch(settings, stop)
    except Stopped:
        return
    pool = open_pool(settings.database_url, min_size=1, max_size=2, name="relay")
    try:
        ensure_topics(
            settings.kafka_bootstrap_servers, {settings.kafka_topic: settings.kafka_partitions}
        )
    except BaseException:
        pool.close()
        raise

    def ready() -> None:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        check_kafka_reachable(settings.kafka_bootstrap_servers)

    port = settings.relay_metrics_port if metrics_port is None else metrics_port
    endpoint = ProcessEndpoint(settings.bind_host, port, ready, process_registry(RELAY)).start()
    try:
        wakeup = Wakeup()
        with listening_for_new_events(settings, wakeup):
            relay = Relay(
                EventStore(pool),
                RelayConfig(topic=settings.kafka_topic),
                lambda: make_producer(settings.kafka_bootstrap_servers),
                wakeup,
                LeaderElection(
                    settings.database_url,
                    relay_checkpoint_name(settings.kafka_topic),
                    LeaderConfig(
                        lease_s=settings.relay_leader_lease_s,
                        retry_s=settings.relay_leader_retry_s,
                    ),
                ),
            )
            relay.run(stop)
    finally:
        endpoint.close()
        pool.close()

"""The notifier process (``ledgerline notify``): wiring from settings, and its threads.

Threads: the intake (Kafka consumer group ``<prefix>-notify``: events -> stored deliveries and
owed mails), the webhook dispatcher, and the mailer (``mail_sender``). They share one
PostgreSQL pool; the intake hands new deliveries to the dispatcher and wakes the mailer.
``Notifier`` is also what tests build, with an injected clock, to drive the dispatcher and the
mailer pass by pass.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog
from kafka import KafkaConsumer
from kafka.errors import KafkaError

from event_store.connection import open_pool
from event_store.errors import StoreUnavailable
from event_store.store import EventStore
from infra.bootstrap import build_email_tokens, build_key_store
from infra.mail import Mailer
from infra.metric_families import NOTIFIER, process_registry
from infra.process_http import ProcessEndpoint, check_kafka_reachable
from infra.settings import Settings
from projections.consumer import NOTIFIER_FETCH, consumer_config
from projections.epochs import follow_store_epoch
from projections.notifier.deliveries import DeliveryStore
from projections.notifier.dispatcher import Dispatcher, DispatcherConfig
from projections.notifier.endpoints import endpoint_store
from projections.notifier.facts import StreamFacts
from projections.notifier.intake import Intake
from projections.notifier.links import MailLinks
from projections.notifier.mail_outbox import MailOutbox, OwedMail, add_mails, mail_id
from projections.notifier.mail_sender import MailSender
from projections.notifier.planner import Planner
from projections.notifier.schema import ensure_tables
from projections.notifier.sender import Sender
from projections.retry import Backoff, Stopped, retrying
from projections.topics import ensure_topics

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def notifier_group_id(settings: Settings) -> str:
    return f"{settings.kafka_group_prefix}-notify"


class Notifier:
    """Every part of the notifier over one event store; ``run`` starts the threads."""

    def __init__(self, settings: Settings, store: EventStore, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.endpoints = endpoint_store(settings, store)
        self.deliveries = DeliveryStore(store.connection)
        self.outbox = MailOutbox(store.connection)
        self.sender = Sender(
            allow_private=settings.webhooks_private_addresses_allowed,
            timeout_s=settings.webhook_timeout_s,
            max_connections=settings.webhook_workers * 2,
            clock=clock,
        )
        self.dispatcher = Dispatcher(
            self.deliveries,
            self.endpoints,
            self.sender,
            clock=clock,
            config=DispatcherConfig(
                workers=settings.webhook_workers,
                per_endpoint=settings.webhook_endpoint_concurrency,
                lease=timedelta(seconds=settings.webhook_claim_lease_s),
                timeout_s=settings.webhook_timeout_s,
                retry_delay_scale=settings.webhook_retry_delay_scale,
            ),
            on_disabled=self.owe_disabled_mail,
        )
        self.mail_sender = MailSender(
            self.outbox,
            store,
            Mailer(settings),
            MailLinks(
                settings.public_url,
                build_email_tokens(settings, build_key_store(settings, store, clock), clock),
                clock,
            ),
            clock=clock,
        )
        self.planner = Planner(
            StreamFacts(store),
            self.endpoints,
            large_withdrawal_minor=settings.mail_large_withdrawal_minor,
        )

    def close(self) -> None:
        self.dispatcher.close()
        self.sender.close()

    def owe_disabled_mail(self, endpoint_id: uuid.UUID) -> None:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            return
        mail = OwedMail(
            id=mail_id(
                "webhook_endpoint_disabled",
                str(endpoint.owner_id),
                f"{endpoint.id}:{endpoint.updated_at.isoformat()}",
            ),
            user_id=endpoint.owner_id,
            kind="webhook_endpoint_disabled",
            stream_id=None,
            version=None,
            details={
                "endpoint_id": str(endpoint.id),
                "endpoint_url": endpoint.url,
                "since": (endpoint.failing_since or endpoint.updated_at).isoformat(),
            },
        )
        with self.store.connection() as conn:
            add_mails(conn, [mail], self.clock())

    def intake(self, consumer: KafkaConsumer) -> Intake:
        return Intake(
            consumer,
            self.settings.kafka_topic,
            self.planner,
            self.store.connection,
            clock=self.clock,
            hand_over=self.dispatcher.accept,
            lease=timedelta(seconds=self.settings.webhook_claim_lease_s),
            on_mail=self.mail_sender.wake,
        )

    def run(self, stop: threading.Event) -> None:
        """Intake on this thread, dispatcher (and mailer) on their own, until ``stop``."""
        consumer = KafkaConsumer(
            **consumer_config(
                self.settings.kafka_bootstrap_servers,
                notifier_group_id(self.settings),
                **NOTIFIER_FETCH,
            )
        )
        workers = [
            threading.Thread(target=self.dispatcher.run, args=(stop,), name="dispatcher"),
            threading.Thread(target=self.mail_sender.run, args=(stop,), name="mailer"),
        ]
        for worker in workers:
            worker.start()
        try:
            self.intake(consumer).run(stop)
        finally:
            stop.set()
            for worker in workers:
                worker.join()


@contextmanager
def open_notifier(
    settings: Settings, stop: threading.Event, clock: Clock = utc_now
) -> Iterator[Notifier]:
    """A notifier whose servers answered and whose tables and topic exist; closed on exit."""
    with ExitStack() as stack:
        pool = open_pool(
            settings.database_url,
            min_size=0,
            max_size=settings.webhook_workers + 4,
            timeout=settings.db_pool_timeout_s,
            name="notifier",
        )
        stack.callback(pool.close)
        store = EventStore(pool)
        _until_up(stop, lambda: ensure_tables(store.connection))
        settings = follow_store_epoch(settings, stop)
        _until_up(
            stop,
            lambda: ensure_topics(
                settings.kafka_bootstrap_servers, {settings.kafka_topic: settings.kafka_partitions}
            ),
        )
        notifier = Notifier(settings, store, clock=clock)
        stack.callback(notifier.close)
        yield notifier


def run_notifier(settings: Settings, stop: threading.Event) -> None:
    def ready() -> None:
        check_kafka_reachable(settings.kafka_bootstrap_servers)
        psycopg.connect(settings.database_url, connect_timeout=2).close()

    endpoint = ProcessEndpoint(
        settings.bind_host, settings.notifier_metrics_port, ready, process_registry(NOTIFIER)
    ).start()
    try:
        with open_notifier(settings, stop) as notifier:
            notifier.run(stop)
    except Stopped:
        log.info("notifier_stopped_during_setup")
    finally:
        endpoint.close()


def _until_up(stop: threading.Event, setup: Callable[[], Any]) -> None:
    def on_retry(error: BaseException, attempt: int, wait_s: float) -> None:
        log.warning("notifier_waiting_for_server", error=repr(error), attempt=attempt)

    retrying(
        stop,
        setup,
        retry_on=(StoreUnavailable, KafkaError, psycopg.OperationalError),
        backoff=Backoff(0.2, 5.0),
        on_retry=on_retry,
    )

"""Which Kafka topic generation the event store's current epoch publishes to, read by every
process that uses the topic when it starts.

A restore (``ledgerline backup restore``, ``infra.backup.epoch``) starts a new epoch of the event
store with a topic generation of its own, ``<topic>.e<N>``, recorded in the ``store_epochs``
table. The relay, the projectors and the notifier look there before they touch Kafka and use the
current epoch's topic in place of the configured one when both are of the same line (the same
name once an ``.e<N>`` suffix is removed). So nothing is re-configured after a restore, in a
service manager or in a Helm release, and no process can use the lost future's topic by mistake:

- a relay on the old topic would publish the restored events after the lost future's, under the
  checkpoint restored with the store, with the same positions and stream versions, and
  consumers would drop them as duplicates;
- a projector or the notifier on the old topic would wait, past its committed offsets, for
  records that no relay publishes there any more.

A configured topic of another line (``ledgerline topics new-generation`` names it freely) is used
as configured. Until PostgreSQL answers the process waits (the pipeline's retry policy): one
started during an outage right after a restore must not settle on the old topic.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import psycopg
import structlog

from infra.settings import Settings
from projections.retry import retrying

log = structlog.get_logger(__name__)


def generation_topic(topic: str, epoch: int) -> str:
    """``ledgerline.events`` -> ``ledgerline.events.e2``; ``….e2`` -> ``….e3``."""
    return f"{re.sub(r'[.]e[0-9]+$', '', topic)}.e{epoch}"


def same_line(one: str, other: str) -> bool:
    return generation_topic(one, 0) == generation_topic(other, 0)


def current_epoch(conn: psycopg.Connection[Any]) -> tuple[int, str] | None:
    """The store's newest epoch (number, topic), or None when it was never restored."""
    found = conn.execute("SELECT to_regclass('store_epochs')").fetchone()
    if found is None or found[0] is None:
        return None
    row = conn.execute(
        "SELECT epoch, topic FROM store_epochs ORDER BY epoch DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def topic_of_current_epoch(conn: psycopg.Connection[Any], configured: str) -> str:
    """The topic to use: the current epoch's if it is of ``configured``'s line, else
    ``configured``."""
    epoch = current_epoch(conn)
    if epoch is None or not same_line(epoch[1], configured):
        return configured
    return epoch[1]


def follow_store_epoch(settings: Settings, stop: threading.Event) -> Settings:
    """``settings`` with ``kafka_topic`` set to the store's current epoch's topic (see the module
    docstring). Waits for PostgreSQL; raises ``projections.retry.Stopped`` if ``stop`` is set
    meanwhile."""

    def read() -> str:
        with psycopg.connect(settings.database_url, connect_timeout=5) as conn:
            return topic_of_current_epoch(conn, settings.kafka_topic)

    def waiting(error: BaseException, attempt: int, wait_s: float) -> None:
        log.warning(
            "kafka_topic_waits_for_event_store",
            error=type(error).__name__,
            attempt=attempt,
            retry_in_s=round(wait_s, 2),
        )

    topic = retrying(stop, read, retry_on=(psycopg.OperationalError,), on_retry=waiting)
    if topic == settings.kafka_topic:
        return settings
    log.info("kafka_topic_follows_store_epoch", configured=settings.kafka_topic, topic=topic)
    return settings.model_copy(update={"kafka_topic": topic})

"""`ledgerline topics check|new-generation|delete`: the Kafka topics of the event stream.

Records on Kafka cannot be changed, so a topic that holds personal data in clear (written by a
version before personal fields travelled sealed) is replaced, not repaired:
1. ``topics check`` tells whether a topic (and its dead-letter topic) holds any;
2. ``topics new-generation NEW`` creates the new topic and its dead-letter topic;
3. the operator sets ``LEDGERLINE_KAFKA_TOPIC=NEW`` and restarts the relay and the projectors:
   the relay keeps a checkpoint per topic, so it publishes the whole store, sealed, into NEW,
   and the projectors' groups start NEW from its beginning (every write is guarded by stream
   version, so the read models do not change);
4. once ``projections status`` shows no lag, ``topics delete OLD --yes`` deletes the old
   generation (refused for the topic the settings name, and for the event store's current
   epoch's topic after a restore: ``projections.epochs``).
Failures are one line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import psycopg
import typer
from kafka.errors import KafkaError

from infra.cli.failures import fail
from infra.settings import Settings
from projections.dead_letter import dead_letter_topic
from projections.epochs import topic_of_current_epoch
from projections.topics import (
    delete_topic_generation,
    ensure_topics,
    list_topics,
    scan_for_clear_personal_data,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Kafka topics: look for personal data in clear, move to a new topic generation.",
    pretty_exceptions_enable=False,
)


def _kafka_down(settings: Settings, error: KafkaError) -> NoReturn:
    fail(f"cannot reach Kafka at {settings.kafka_bootstrap_servers}: {type(error).__name__}")


def _topic_of_the_store(settings: Settings) -> str:
    """The topic the processes use; after a restore, the current epoch's (projections.epochs)."""
    try:
        with psycopg.connect(settings.database_url, connect_timeout=5) as conn:
            return topic_of_current_epoch(conn, settings.kafka_topic)
    except psycopg.OperationalError:
        fail("cannot tell which topic is in use: PostgreSQL does not answer")


@app.command()
def check(
    topic: Annotated[
        str | None, typer.Argument(help="Topic to read (default: LEDGERLINE_KAFKA_TOPIC).")
    ] = None,
) -> None:
    """Read every record of a topic and its dead-letter topic; exit 1 if any carries personal
    data in clear."""
    settings = Settings()
    topic = topic or settings.kafka_topic
    try:
        existing = list_topics(settings.kafka_bootstrap_servers)
        if topic not in existing:
            fail(f"topic {topic} does not exist")
        scans = [
            scan_for_clear_personal_data(settings.kafka_bootstrap_servers, name)
            for name in (topic, dead_letter_topic(topic))
            if name in existing
        ]
    except KafkaError as error:
        _kafka_down(settings, error)
    for scan in scans:
        typer.echo(
            f"{scan.topic}: {scan.records} records, {scan.clear} with personal data in clear"
            + (f", {scan.unreadable} not envelopes" if scan.unreadable else "")
        )
    if any(scan.clear for scan in scans):
        typer.echo(
            f"personal data in clear: move to a new topic generation"
            f" (ledgerline topics new-generation NEW) and delete {topic} afterwards",
            err=True,
        )
        raise typer.Exit(1)


@app.command("new-generation")
def new_generation(
    new_topic: Annotated[str, typer.Argument(help="Name of the new event topic.")],
) -> None:
    """Create a new event topic (and its dead-letter topic) for the relay to fill from the
    start of the event store."""
    settings = Settings()
    if new_topic == settings.kafka_topic:
        fail(f"{new_topic} is the topic in use (LEDGERLINE_KAFKA_TOPIC); name a new one")
    try:
        if new_topic in list_topics(settings.kafka_bootstrap_servers):
            fail(f"topic {new_topic} already exists")
        ensure_topics(
            settings.kafka_bootstrap_servers,
            {new_topic: settings.kafka_partitions, dead_letter_topic(new_topic): 1},
        )
    except KafkaError as error:
        _kafka_down(settings, error)
    typer.echo(
        f"created {new_topic} ({settings.kafka_partitions} partitions) and"
        f" {dead_letter_topic(new_topic)}.\n"
        f"Next: set LEDGERLINE_KAFKA_TOPIC={new_topic} and restart the relay and the projectors;"
        f" the relay publishes the whole event store into {new_topic}.\n"
        f"When `ledgerline projections status` shows no lag:"
        f" ledgerline topics delete {settings.kafka_topic} --yes"
    )


@app.command()
def delete(
    topic: Annotated[str, typer.Argument(help="The old topic generation to delete.")],
    yes: Annotated[bool, typer.Option("--yes", help="Really delete it.")] = False,
) -> None:
    """Delete a topic and its dead-letter topic (never the one in use)."""
    settings = Settings()
    if topic == settings.kafka_topic:
        fail(f"{topic} is the topic in use (LEDGERLINE_KAFKA_TOPIC); switch to a new one first")
    if not yes:
        fail(f"deleting {topic} and {dead_letter_topic(topic)} cannot be undone; add --yes")
    if topic == _topic_of_the_store(settings):
        fail(f"{topic} is the topic of the event store's current epoch (a restore made it)")
    try:
        deleted = delete_topic_generation(settings.kafka_bootstrap_servers, topic)
    except KafkaError as error:
        _kafka_down(settings, error)
    if not deleted:
        fail(f"topic {topic} does not exist")
    typer.echo(f"deleted {', '.join(deleted)}")

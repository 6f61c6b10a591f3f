"""After a restore to an earlier point nothing of the lost future is visible anywhere, and new
commands flow end to end: the whole system (write and query API behind the gateway, relay, both
projectors, notifier) runs on a primary with a streaming WAL archive; a user signed up after the
restore point is in the store, the Kafka topic, MongoDB, Elasticsearch and the notifier's mail
outbox; after ``ledgerline backup restore --to-time`` and a restart with the same settings (the
processes find the new topic generation in the store) it is in none of them, while a user signed
up before is everywhere and a new one flows through."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from elasticsearch import Elasticsearch, NotFoundError
from pymongo import MongoClient
from typer.testing import CliRunner

from infra.cli import app
from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer, free_port
from infra.settings import Settings
from infra.supervisor import Supervisor, stop_processes
from projections.dead_letter import dead_letter_topic
from projections.status import StatusSources, pipeline_status
from projections.topics import read_whole_topic
from tests.backup.conftest import Primary
from tests.gateway.conftest import Gateway, sign_up, system_behind_gateway
from tests.polling import wait_for
from tests.server_fixtures import temporary_root

PROCESSES = ("write-api", "read-api", "relay", "projector-mongo", "projector-search", "notifier")


@pytest.fixture
def system(
    primary: Primary,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> Iterator[Gateway]:
    with (
        temporary_root() as console_dir,
        system_behind_gateway(
            primary.server,
            kafka_server,
            mongo_server,
            elasticsearch_server,
            redis_server,
            console_dir=console_dir,
            instances=1,
            processes=PROCESSES,
            smtp_port=free_port(),  # nothing listens: mails stay owed, as planned by the intake
        ) as system,
    ):
        yield system


def traces_of(settings: Settings, user_id: str) -> dict[str, bool]:
    """Where the user's events or documents are visible."""
    with psycopg.connect(settings.database_url) as conn:
        stored = conn.execute("select count(*) from events where stream_id = %s", (user_id,))
        in_store = stored.fetchone() != (0,)
        owed = conn.execute("select count(*) from mail_outbox where user_id = %s", (user_id,))
        in_outbox = owed.fetchone() != (0,)
    in_topic = any(
        json.loads(raw)["stream_id"] == user_id
        for raw in read_whole_topic(settings.kafka_bootstrap_servers, settings.kafka_topic)
    )
    mongo: MongoClient[dict[str, object]] = MongoClient(settings.mongo_url)
    with mongo:
        database = mongo[settings.mongo_database]
        match = {"$or": [{"id": user_id}, {"user_id": user_id}, {"_id": user_id}]}
        in_mongo = any(database[name].count_documents(match) for name in ["users", "notifications"])
    users = f"{settings.search_index_prefix}-users"
    with Elasticsearch(settings.elasticsearch_url) as search:
        try:
            search.indices.refresh(index=users)
            found = search.count(index=users, query={"ids": {"values": [user_id]}})["count"]
        except NotFoundError:  # the projector has not created the index yet
            found = 0
    return {
        "store": in_store,
        "topic": in_topic,
        "mongo": in_mongo,
        "search": found > 0,
        "outbox": in_outbox,
    }


def everywhere(settings: Settings, user_id: str) -> bool:
    return all(traces_of(settings, user_id).values())


def backup_cli(primary: Primary, settings: Settings, *args: str) -> str:
    env = settings.process_environment() | {
        "LEDGERLINE_DATA_DIR": str(primary.root),
        "LEDGERLINE_POSTGRES_PORT": str(primary.server.port),
        "LEDGERLINE_BACKUP_DIR": str(primary.catalog.root),
    }
    result = CliRunner().invoke(app, ["backup", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_restore_leaves_nothing_of_the_lost_future_and_new_commands_flow(
    system: Gateway, primary: Primary
) -> None:
    settings = system.settings
    with system.client() as client:
        kept, _ = sign_up(client)
        wait_for(lambda: everywhere(settings, kept), 60, what="the first user everywhere")
        backup_cli(primary, settings, "create")
        restore_point = datetime.now(UTC)
        lost, _ = sign_up(client)
        wait_for(lambda: everywhere(settings, lost), 60, what="the lost user everywhere")

    # The operator stops the processes and the primary, keeping Kafka, MongoDB, Elasticsearch.
    system.server.stop()
    stop_processes(settings, include_supervisor=False)
    primary.archived()
    primary.server.stop()
    output = backup_cli(primary, settings, "restore", "--to-time", restore_point.isoformat())
    assert "read models rebuilt" in output
    new_topic = f"{settings.kafka_topic}.e2"
    assert f"topic generation {new_topic}" in " ".join(output.split())

    # Restarted with the settings unchanged: every process finds the new topic in the store.
    supervisor = Supervisor(
        settings,
        dict(settings.process_environment()) | _path_environment(),
        only=PROCESSES,
        instances=1,
        gateway=True,
    )
    supervisor.start_all(timeout_s=90)
    restarted = settings.model_copy(update={"kafka_topic": new_topic})  # where to look
    try:
        with system.client() as client:
            fresh, _ = sign_up(client)
            wait_for(lambda: everywhere(restarted, fresh), 60, what="a new user everywhere")
            status = pipeline_status(StatusSources.from_settings(settings))
            assert status.dead_letter_topic == dead_letter_topic(new_topic)
            profile = client.get(f"/v1/users/{fresh}", headers=system.token(fresh))
            assert profile.status_code == 200, profile.text
        assert traces_of(restarted, lost) == dict.fromkeys(traces_of(restarted, lost), False)
        # The user from before the restore point: in the store, the outbox and the rebuilt read
        # models; not re-published, since the old relay had published it before that point.
        before = traces_of(restarted, kept)
        assert before == {**dict.fromkeys(before, True), "topic": False}
    finally:
        supervisor.stop_all()


def _path_environment() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if not name.startswith("LEDGERLINE")}

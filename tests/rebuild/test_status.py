"""``projections status`` and ``GET /v1/projections``: relay checkpoint and backlog from the
event store, projector consumer-group lag per partition from Kafka, as a table, JSON and API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata, TopicPartition
from pydantic import SecretStr
from typer.testing import CliRunner

from event_store.commit_order import checkpoint_of
from infra.cli.projections import app
from infra.http.auth import mint_token
from infra.servers import KafkaServer, free_port
from infra.settings import Settings
from projections.checkpoints import CheckpointStore
from projections.dead_letter import dead_letter_topic
from projections.producer import make_producer
from projections.relay import publish, relay_checkpoint_name
from projections.status import StatusSources, StatusUnavailable, pipeline_status
from read_api.app import create_app
from tests.projections.scenario import mixed_story
from tests.rebuild.conftest import World, all_events

PARTITIONS = 3
runner = CliRunner()


@dataclass
class Scene:
    world: World
    bootstrap: str
    topic: str
    events: int
    relayed: int
    ends: dict[int, int]
    committed: dict[int, int]
    dead_letters: dict[str, int]

    def env(self) -> dict[str, str]:
        return self.world.env(
            LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            LEDGERLINE_KAFKA_TOPIC=self.topic,
            COLUMNS="200",
        )


@pytest.fixture
def scene(world: World, kafka_server: KafkaServer) -> Iterator[Scene]:
    """39 events; the relay published the first 30 to a private topic; group ``ledgerline-mongo``
    committed all of partition 0, one record less on partition 1, nothing on partition 2; the
    dead-letter topic holds two letters of the mongo projector and one of the search one."""
    world.append(mixed_story().ledger.envelopes)
    events = all_events(world.store)
    relayed = 30
    topic = f"status{uuid.uuid4().hex[:8]}"
    CheckpointStore(world.store).save(
        relay_checkpoint_name(topic), checkpoint_of(events[relayed - 1])
    )
    bootstrap = kafka_server.bootstrap_servers
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1),
            NewTopic(dead_letter_topic(topic), num_partitions=1, replication_factor=1),
        ]
    )
    producer = make_producer(bootstrap)
    publish(producer, topic, events[:relayed])
    dead_letters = {"ledgerline-mongo": 2, "ledgerline-search": 1}
    for group, count in dead_letters.items():
        for _ in range(count):
            headers = [("error", b"ValueError: poison"), ("consumer_group", group.encode())]
            producer.send(dead_letter_topic(topic), value=b"{}", headers=headers)
    producer.flush()
    producer.close()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    group = KafkaConsumer(bootstrap_servers=bootstrap, group_id="ledgerline-mongo")
    ends = {tp.partition: offset for tp, offset in group.end_offsets(tps).items()}
    committed = {0: ends[0], 1: max(0, ends[1] - 1)}
    group.commit({tps[p]: OffsetAndMetadata(o, "", -1) for p, o in committed.items()})
    group.close()
    try:
        yield Scene(world, bootstrap, topic, len(events), relayed, ends, committed, dead_letters)
    finally:
        admin.delete_topics([topic, dead_letter_topic(topic)])
        admin.close()


def test_status_reports_relay_backlog_and_projector_lag_per_partition(scene: Scene) -> None:
    status = pipeline_status(StatusSources(scene.world.database_url, scene.bootstrap, scene.topic))

    relay, mongo, search = status.consumers
    assert status.head_position == max(e.position for e in all_events(scene.world.store))
    assert relay.name == "relay" and relay.behind == scene.events - scene.relayed
    assert relay.oldest_unprocessed_age_s is not None and relay.oldest_unprocessed_age_s >= 0
    lags = {p.partition: (p.committed, p.end, p.lag) for p in mongo.partitions}
    assert lags == {
        0: (scene.ends[0], scene.ends[0], 0),
        1: (scene.committed[1], scene.ends[1], scene.ends[1] - scene.committed[1]),
        2: (None, scene.ends[2], scene.ends[2]),
    }
    assert mongo.group_id == "ledgerline-mongo"
    assert mongo.position == scene.committed[0] + scene.committed[1]
    assert mongo.behind == relay.behind + sum(lag for _, _, lag in lags.values())
    assert mongo.oldest_unprocessed_age_s is not None
    assert search.group_id == "ledgerline-search" and search.position == 0
    assert search.behind == scene.events  # never consumed: everything is ahead of it
    assert status.pending_rebuilds == []
    assert (mongo.dead_letters, search.dead_letters, relay.dead_letters) == (2, 1, None)
    assert (status.dead_letter_topic, status.dead_letters) == (dead_letter_topic(scene.topic), 3)


def test_an_absent_dead_letter_topic_counts_none(world: World, kafka_server: KafkaServer) -> None:
    topic = f"status{uuid.uuid4().hex[:8]}"
    status = pipeline_status(
        StatusSources(world.database_url, kafka_server.bootstrap_servers, topic)
    )

    assert status.dead_letters == 0
    assert [c.dead_letters for c in status.consumers] == [None, 0, 0]


def test_the_cli_prints_status_as_a_table_and_as_json(scene: Scene) -> None:
    table = runner.invoke(app, ["status"], env=scene.env())
    assert table.exit_code == 0, table.output
    relay_row = next(line for line in table.output.splitlines() if "relay" in line)
    assert f"{scene.events - scene.relayed}" in relay_row
    assert "mongo (ledgerline-mongo)" in table.output
    assert f"2:{scene.ends[2]}" in table.output
    assert f"Dead letters: 3 on {scene.topic}.dlq" in table.output

    as_json = runner.invoke(app, ["status", "--json"], env=scene.env())
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert [c["name"] for c in body["consumers"]] == ["relay", "mongo", "search"]


def test_the_query_api_serves_status_to_operators_auditors_and_admins_only(scene: Scene) -> None:
    settings = Settings(
        LEDGERLINE_DATABASE_URL=scene.world.database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=scene.bootstrap,
        LEDGERLINE_MONGO_URL=scene.world.mongo_url,
        LEDGERLINE_ELASTICSEARCH_URL=scene.world.elasticsearch_url,
        kafka_topic=scene.topic,
        mongo_database=scene.world.mongo.name,
        search_index_prefix=scene.world.prefix,
        jwt_secret=SecretStr("status-tests-secret-long-enough-for-hs256"),
    )

    def headers(*roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(settings, uuid.uuid4(), roles, 60)}"}

    with TestClient(create_app(settings)) as client:
        for role in ("operator", "auditor", "admin"):
            response = client.get("/v1/projections", headers=headers(role))
            assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["consumers"][0] == {
            "name": "relay",
            "kind": "relay",
            "position": body["consumers"][0]["position"],
            "behind": scene.events - scene.relayed,
            "oldest_unprocessed_age_s": body["consumers"][0]["oldest_unprocessed_age_s"],
            "group_id": None,
            "topic": None,
            "partitions": [],
            "dead_letters": None,
        }
        assert len(body["consumers"][1]["partitions"]) == PARTITIONS
        assert [c["dead_letters"] for c in body["consumers"]] == [None, 2, 1]
        assert body["dead_letters"] == 3
        refused = client.get("/v1/projections", headers=headers("customer"))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/v1/projections").status_code == 401


def test_an_unreachable_kafka_is_a_one_line_error(world: World) -> None:
    sources = StatusSources(world.database_url, f"127.0.0.1:{free_port()}", "t", timeout_s=1)
    with pytest.raises(StatusUnavailable, match=r"^Kafka: "):
        pipeline_status(sources)


def test_the_query_api_answers_503_when_kafka_does_not(world: World) -> None:
    settings = Settings(
        LEDGERLINE_DATABASE_URL=world.database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
        LEDGERLINE_MONGO_URL=world.mongo_url,
        LEDGERLINE_ELASTICSEARCH_URL=world.elasticsearch_url,
        jwt_secret=SecretStr("status-tests-secret-long-enough-for-hs256"),
    )
    token = mint_token(settings, uuid.uuid4(), ["operator"], 60)
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/projections", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"

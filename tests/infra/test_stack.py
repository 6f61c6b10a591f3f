"""`dev up` / `dev down` end to end: seven real servers that answer real requests, then none."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psutil
import psycopg
import pytest
import redis
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import MongoClient

from infra import devstack
from infra.mail import Mailer, OutgoingMail
from infra.servers import StartOutcome
from infra.servers.process import port_accepts
from infra.settings import Settings
from tests.mailbox import Mailbox
from tests.server_fixtures import temporary_root


@pytest.fixture
def stack_settings() -> Iterator[Settings]:
    with temporary_root() as root:
        settings = devstack.throwaway_settings(root, elasticsearch_quick_start=True)
        try:
            yield settings
        finally:
            devstack.stop_stack(settings)  # in case the test failed half-way


def test_dev_up_starts_seven_servers_that_answer_and_dev_down_stops_them(
    stack_settings: Settings,
) -> None:
    stack = devstack.start_stack(stack_settings)
    pids = [server.pid() for server in stack.servers.values()]
    ports = [port for server in stack.servers.values() for port in server.ports()]
    assert all(pid is not None for pid in pids)

    assert_postgres_stores_rows(stack.postgres.url())
    assert_kafka_delivers_a_message(stack.kafka.bootstrap_servers)
    assert_mongo_finds_a_document(stack.mongo.url)
    assert_elasticsearch_searches_a_document(stack.elasticsearch.url)
    assert_mailpit_receives_a_mail(stack_settings, stack.mailpit.url)
    assert_redis_keeps_a_key(stack.redis.url)
    assert stack.jaeger.is_ready()  # its query API answers (tests/observability has the rest)

    # Stopping covers the gateway, its exporter and Prometheus too, which only the supervisor
    # starts.
    stopped = devstack.stop_stack(stack_settings)
    assert stopped == dict.fromkeys(devstack.SUPERVISED_NAMES, False) | dict.fromkeys(
        devstack.SERVER_NAMES, True
    )
    assert not [port for port in ports if port_accepts(port)]
    assert not [pid for pid in pids if pid is not None and _alive(pid)]
    assert not any(status.running for status in devstack.stack_status(stack_settings))


def test_dev_up_again_reuses_the_running_servers_and_their_data(stack_settings: Settings) -> None:
    first = devstack.start_stack(stack_settings, only=["postgres"])
    with psycopg.connect(first.postgres.url(), autocommit=True) as conn:
        conn.execute("create table kept (id int)")

    again = devstack.start_stack(stack_settings, only=["postgres"])
    assert again.outcomes["postgres"] is StartOutcome.ALREADY_RUNNING
    assert again.postgres.pid() == first.postgres.pid()

    devstack.stop_stack(stack_settings)
    restarted = devstack.start_stack(stack_settings, only=["postgres"])
    assert restarted.outcomes["postgres"] is StartOutcome.STARTED
    with psycopg.connect(restarted.postgres.url()) as conn:
        assert conn.execute("select count(*) from kept").fetchone() == (0,)


def assert_redis_keeps_a_key(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.set("launcher_check", "hello")
        assert client.get("launcher_check") == b"hello"
        # Nothing in Redis is the only copy of anything: no snapshots, no append-only file.
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


def assert_postgres_stores_rows(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("create table launcher_check (id int primary key, note text)")
        conn.execute("insert into launcher_check values (1, 'hello')")
        assert conn.execute("select note from launcher_check").fetchall() == [("hello",)]
        assert conn.execute("show fsync").fetchone() == ("on",)
        assert conn.execute("show synchronous_commit").fetchone() == ("on",)


def assert_kafka_delivers_a_message(bootstrap_servers: str) -> None:
    topic = f"launcher-check-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers)
    try:
        sent = producer.send(topic, key=b"k", value=b"hello").get(timeout=30)
    finally:
        producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        deadline = time.monotonic() + 30
        received: list[bytes] = []
        while not received and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend(record.value for record in records)
    finally:
        consumer.close()
    assert received == [b"hello"]


def assert_mongo_finds_a_document(url: str) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        checks = client["launcher_check"]["checks"]
        checks.insert_one({"_id": "one", "note": "hello"})
        assert checks.find_one({"_id": "one"}) == {"_id": "one", "note": "hello"}
    finally:
        client.close()


def assert_elasticsearch_searches_a_document(url: str) -> None:
    client = Elasticsearch(url)
    try:
        client.index(index="launcher-check", id="1", document={"note": "hello world"})
        client.indices.refresh(index="launcher-check")
        found = client.search(index="launcher-check", query={"match": {"note": "hello"}})
        assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]
    finally:
        client.close()


def assert_mailpit_receives_a_mail(settings: Settings, url: str) -> None:
    # What the settings say is where mail goes: the mailer built from them reaches this Mailpit.
    mailer = Mailer(settings)
    mailer.send(
        OutgoingMail(
            to="launcher-check@example.com",
            subject="launcher check",
            text="hello",
            html="<p>hello</p>",
            message_id=mailer.message_id_for(uuid.uuid4().hex),
        )
    )
    with Mailbox(url) as box:
        assert box.wait_for_message(to="launcher-check@example.com").text.strip() == "hello"


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False

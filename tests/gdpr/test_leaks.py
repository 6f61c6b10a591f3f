"""A whole run, every process as its own OS process with debug logs: a user with a recognisable
name and address signs up, changes their name, is searched for, makes money move, trips over
bad input, and is forgotten; then the read models are rebuilt. Neither the name nor the address
may appear anywhere outside the event store (where they are sealed) and the read models before
forgetting: not in any record of any of the system's topics, not in any log line, not in any
metrics page, not in any problem body."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from event_store.schema import migrate
from infra.http.auth import mint_token
from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MailpitServer,
    MongoServer,
    RedisServer,
    free_port,
)
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics
from tests.credentials import PASSWORD
from tests.polling import wait_for

ADMIN = "00000000-0000-4000-8000-00000000ad01"


def _letters(n: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(n))


class Run:
    """The system's settings, HTTP clients and tokens."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.write = httpx.Client(base_url=f"http://127.0.0.1:{settings.write_api_port}")
        self.read = httpx.Client(base_url=f"http://127.0.0.1:{settings.read_api_port}")
        self.admin = self.auth(ADMIN, "admin")

    def auth(self, user_id: str, *roles: str) -> dict[str, str]:
        token = mint_token(self.settings, user_id, roles or ("customer",), 600)
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, headers: dict[str, str], status: int) -> Any:
        response = self.write.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def user(self, user_id: str, min_version: int) -> Any:
        response = self.read.get(
            f"/v1/users/{user_id}", params={"min_version": min_version}, headers=self.admin
        )
        assert response.status_code == 200, response.text
        return response.json()

    def search_users(self, q: str) -> list[Any]:
        response = self.read.get("/v1/search/users", params={"q": q}, headers=self.admin)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@pytest.fixture
def run(
    fresh_database_url: str,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    mailpit_server: MailpitServer,
    redis_server: RedisServer,
    tmp_path: Path,
) -> Iterator[Run]:
    name = f"leak{uuid.uuid4().hex[:8]}"
    settings = Settings(
        LEDGERLINE_DATABASE_URL=fresh_database_url,
        LEDGERLINE_REDIS_URL=redis_server.url,
        redis_prefix=name,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=kafka_server.bootstrap_servers,
        LEDGERLINE_MONGO_URL=mongo_server.url,
        LEDGERLINE_ELASTICSEARCH_URL=elasticsearch_server.url,
        data_dir=tmp_path,
        kafka_topic=f"{name}.events",
        kafka_partitions=3,
        kafka_group_prefix=name,
        mongo_database=name,
        search_index_prefix=name,
        write_api_port=free_port(),
        read_api_port=free_port(),
        relay_metrics_port=free_port(),
        projector_mongo_metrics_port=free_port(),
        projector_search_metrics_port=free_port(),
        notifier_metrics_port=free_port(),
        smtp_port=mailpit_server.port,
        log_level="DEBUG",
    )
    migrate(fresh_database_url)
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    supervisor = Supervisor(settings, os.environ | settings.process_environment())
    try:
        supervisor.start_all()
        yield Run(settings)
    finally:
        supervisor.stop_all()


def _topic_bytes(bootstrap_servers: str, prefix: str) -> tuple[int, bytes]:
    """How many records every topic named ``prefix*`` holds, and all their keys, values and
    headers, read from the beginning with a plain consumer."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        topics = [t for t in consumer.topics() if t.startswith(prefix)]
        partitions = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        chunks: list[bytes] = []
        count = 0

        def read_to_end() -> bool:
            nonlocal count
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    count += 1
                    chunks.extend([record.key or b"", record.value or b""])
                    chunks.extend(bytes(v or b"") + k.encode() for k, v in record.headers or [])
            return all(consumer.position(tp) >= end for tp, end in ends.items())

        wait_for(read_to_end, 60, 0, what="every record of the topics")
        return count, b"\n".join(chunks)
    finally:
        consumer.close()


def test_a_forgotten_users_name_and_address_appear_nowhere_outside_the_event_store(
    run: Run,
) -> None:
    surname = _letters(10).capitalize()
    name, new_name = f"Quintessa {surname}", f"Quintessa {surname} Marvel"
    email = f"quintessa.{surname.lower()}@leak-test.example"
    # The password and any argon2 hash of it must not leave the event store in clear either.
    markers = [surname.lower(), email.split("@")[0], PASSWORD, "$argon2"]

    problems: list[str] = []
    user = run.post("/v1/users", {"email": email, "full_name": name, "password": PASSWORD}, {}, 201)
    uid = user["id"]
    as_user = run.auth(uid)
    taken = run.write.post(
        "/v1/users", json={"email": email, "full_name": name, "password": PASSWORD}
    )
    problems.append(taken.text)
    assert taken.status_code == 409
    invalid = run.write.post(
        "/v1/users", json={"email": name, "full_name": email, "password": PASSWORD}
    )
    problems.append(invalid.text)
    assert invalid.status_code == 422
    too_long = run.write.patch(f"/v1/users/{uid}", json={"full_name": name * 40}, headers=as_user)
    problems.append(too_long.text)
    assert too_long.status_code == 422
    # A login's user agent and address are sealed in its events like the profile.
    agent = {"User-Agent": f"Quintessa{surname}Browser/1.0"}
    login = {"email": email, "password": PASSWORD}
    logged_in = run.write.post("/v1/auth/login", json=login, headers=agent)
    assert logged_in.status_code == 200, logged_in.text
    wrong = run.write.post("/v1/auth/login", json=login | {"password": "not " + PASSWORD})
    problems.append(wrong.text)
    assert wrong.status_code == 401
    account = run.post("/v1/accounts", {"owner_id": uid, "currency": "EUR"}, as_user, 201)
    deposit = {"amount": 500, "reference": "x"}
    run.post(f"/v1/accounts/{account['id']}/deposits", deposit, as_user, 200)
    changed = run.write.patch(f"/v1/users/{uid}", json={"full_name": new_name}, headers=as_user)
    assert changed.status_code == 200, changed.text

    # Before forgetting, the read models hold the clear values.
    assert run.user(uid, changed.json()["version"])["full_name"] == new_name
    wait_for(lambda: len(run.search_users(surname)) == 1, 30, what="the user in search")
    assert run.search_users(surname)[0]["email"] == email

    forgotten = run.write.delete(f"/v1/users/{uid}/personal-data", headers=as_user)
    assert forgotten.status_code == 200, forgotten.text
    after = run.user(uid, forgotten.json()["version"])
    assert (after["email"], after["full_name"], after["personal_data_forgotten"]) == (
        None,
        None,
        True,
    )
    wait_for(lambda: run.search_users(surname) == [], 30, what="the user gone from search")

    rebuild = subprocess.run(
        [sys.executable, "-m", "infra.cli", "projections", "rebuild", "all"],
        env=os.environ | run.settings.process_environment(),
        capture_output=True,
        timeout=300,
    )
    assert rebuild.returncode == 0, rebuild.stderr.decode()
    rebuilt = run.user(uid, forgotten.json()["version"])
    assert (rebuilt["email"], rebuilt["full_name"]) == (None, None)
    assert run.search_users(surname) == []

    metrics = [
        httpx.get(f"http://127.0.0.1:{port}/metrics").text
        for port in (
            run.settings.write_api_port,
            run.settings.read_api_port,
            run.settings.relay_metrics_port,
            run.settings.projector_mongo_metrics_port,
            run.settings.projector_search_metrics_port,
            run.settings.notifier_metrics_port,
        )
    ]
    records, on_kafka = _topic_bytes(run.settings.kafka_bootstrap_servers, run.settings.kafka_topic)
    assert records >= 5  # registration, account, deposit, profile change, forgetting
    logs = {
        path.name: path.read_text(errors="replace")
        for path in (run.settings.data_dir / "logs").glob("*.log")
    }
    logs["rebuild"] = (rebuild.stdout + rebuild.stderr).decode(errors="replace")
    # The logs are worth searching: every process logged this user's events by id.
    assert {
        "write-api.log",
        "read-api.log",
        "relay.log",
        "projector-mongo.log",
        "notifier.log",
    } <= logs.keys()
    assert uid in logs["relay.log"] and uid in logs["projector-mongo.log"]

    places = {
        "kafka": on_kafka.decode(errors="replace"),
        "problem bodies": "\n".join(problems),
        "metrics": "\n".join(metrics),
        **{f"log {name}": text for name, text in logs.items()},
    }
    for place, text in places.items():
        for marker in markers:
            assert marker not in text.lower(), f"{marker!r} found in {place}"

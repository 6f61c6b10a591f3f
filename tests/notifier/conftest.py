"""The notification service against real servers: the write API and query API (TestClient),
the relay in a thread, the notifier's intake on the real Kafka topic, and its dispatcher driven
pass by pass with a clock the tests move (no sleeping through back-off). Receivers are real HTTP
servers on loopback."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer
from pydantic import SecretStr

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.http.auth import mint_token
from infra.servers import ElasticsearchServer, KafkaServer, MailpitServer, MongoServer
from infra.settings import Settings
from projections.consumer import consumer_config
from projections.notifier.schema import ensure_tables
from projections.notifier.service import Notifier, notifier_group_id
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig
from projections.topics import ensure_topics
from read_api.app import create_app as create_read_app
from tests.credentials import PASSWORD
from tests.mailbox import Mail, Mailbox, MailSummary
from tests.notifier.receiver import Receiver, receiver
from tests.polling import wait_for
from write_api.app import create_app as create_write_app
from write_api.app import open_resources


class Clock:
    """Real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass
class NotifySystem:
    settings: Settings
    write: TestClient
    read: TestClient
    notifier: Notifier
    clock: Clock

    def token(self, user_id: UUID | str, *roles: str) -> dict[str, str]:
        token = mint_token(self.settings, user_id, roles or ("customer",), 3600 * 24 * 30)
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, headers: dict[str, str], status: int = 200) -> Any:
        response = self.write.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str, headers: dict[str, str], **params: Any) -> Any:
        response = self.read.get(path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def user(self, **extra: str) -> tuple[str, dict[str, str]]:
        user = self.sign_up(**extra)
        return user["id"], self.token(user["id"])

    def sign_up(self, **extra: str) -> dict[str, Any]:
        email = f"{uuid.uuid4().hex[:12]}@notify-test.example"
        body = {"email": email, "full_name": "Ada Lovelace", "password": PASSWORD} | extra
        return dict(self.post("/v1/users", body, {}, 201)) | {"email": body["email"]}

    def send_mail(self, mailbox: Mailbox, to: str, subject_contains: str = "") -> Mail:
        """Run mailer passes until a mail to ``to`` has arrived; that mail."""

        def arrived() -> list[MailSummary]:
            self.notifier.mail_sender.run_once()
            return [m for m in mailbox.messages_to(to) if subject_contains in m.subject]

        return mailbox.message(wait_for(arrived, 30, what=f"a mail to {to}")[0].id)

    def account(self, owner: str, headers: dict[str, str], funds: int = 0) -> str:
        account = self.post("/v1/accounts", {"owner_id": owner, "currency": "EUR"}, headers, 201)
        if funds:
            self.deposit(account["id"], funds, headers)
        return str(account["id"])

    def deposit(self, account_id: str, amount: int, headers: dict[str, str]) -> None:
        self.post(
            f"/v1/accounts/{account_id}/deposits",
            {"amount": amount, "reference": "top-up"},
            headers,
        )

    def endpoint(
        self, headers: dict[str, str], url: str, types: list[str] | None = None
    ) -> dict[str, Any]:
        body = {"url": url, "event_types": types or ["*"], "description": "test"}
        return dict(self.post("/v1/webhooks", body, headers, 201))

    def dispatch_until(self, receiver: Receiver, count: int, what: str = "") -> None:
        """Run dispatcher passes (at the clock's time) until ``receiver`` has ``count``
        successful deliveries; the intake runs on its own thread, so new work may still come."""

        def done() -> bool:
            self.notifier.dispatcher.run_once()
            return len(receiver.delivered()) >= count

        wait_for(done, 30, what=what or f"{count} deliveries")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def notify_settings(
    database_url: str,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    mailpit_server: MailpitServer,
) -> Settings:
    name = f"nt{uuid.uuid4().hex[:8]}"
    return Settings(
        LEDGERLINE_DATABASE_URL=database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=kafka_server.bootstrap_servers,
        LEDGERLINE_MONGO_URL=mongo_server.url,
        LEDGERLINE_ELASTICSEARCH_URL=elasticsearch_server.url,
        env="test",
        kafka_topic=f"{name}.events",
        kafka_partitions=3,
        kafka_group_prefix=name,
        mongo_database=name,
        search_index_prefix=name,
        jwt_secret=SecretStr("notify-secret-long-enough-for-hs256-signatures"),
        rate_limit_enabled=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        webhook_workers=4,
        smtp_port=mailpit_server.port,
    )


@pytest.fixture
def system(notify_settings: Settings, clock: Clock) -> Iterator[NotifySystem]:
    settings = notify_settings
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    stop = threading.Event()
    pool = open_pool(settings.database_url, min_size=1, max_size=12)
    store = EventStore(pool)
    ensure_tables(store.connection)
    relay = Relay(
        store,
        RelayConfig(topic=settings.kafka_topic),
        lambda: make_producer(settings.kafka_bootstrap_servers),
    )
    notifier = Notifier(settings, store, clock=clock)
    consumer = KafkaConsumer(
        **consumer_config(settings.kafka_bootstrap_servers, notifier_group_id(settings))
    )
    threads = [
        threading.Thread(target=relay.run, args=(stop,)),
        threading.Thread(target=notifier.intake(consumer).run, args=(stop,)),
    ]
    for thread in threads:
        thread.start()
    try:
        with (
            TestClient(
                create_write_app(settings, resources=lambda s: open_resources(s, clock))
            ) as write,
            TestClient(create_read_app(settings)) as read,
        ):
            yield NotifySystem(settings, write, read, notifier, clock)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        notifier.close()
        pool.close()
    assert not any(thread.is_alive() for thread in threads)


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as running:
        yield running

"""A rebuild of both read models on a running system: the relay and both live projectors keep
running, commands keep arriving, and the query API is read in a loop the whole time. Every read
answers, never from an empty or partial model, and every balance it shows is one the account
really had; afterwards the read models equal a fold of the whole event store."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.http.auth import mint_token
from infra.servers import KafkaServer
from infra.settings import Settings
from projections.envelope import to_envelope
from projections.mongo_projection import MONGO_PROJECTION
from projections.process import ProjectorOptions
from projections.producer import make_producer
from projections.rebuild.run import RebuildOptions, rebuild
from projections.relay import Relay, RelayConfig
from projections.topics import ensure_topics
from read_api.app import create_app
from tests.projections.conftest import FAST_CONSUMER, RunningProjector
from tests.projections.scenario import Ledger, busy_ledger
from tests.projections.support import wait_for
from tests.rebuild.conftest import World, all_events

PARTITIONS = 3


@dataclass
class Observations:
    """What the reader saw: (account id, version, balance) per read, and anything that failed."""

    balances: list[tuple[str, int, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reads: int = 0
    reads_before_swap: int = 0
    reads_after_swap: int = 0


class Reader(threading.Thread):
    """Reads accounts, users and payment search through the query API in a loop, and checks
    the live collections and indices are never emptier than they were at the start."""

    def __init__(self, client: TestClient, world: World, ledger: Ledger, token: str) -> None:
        super().__init__(daemon=True)
        self.client, self.world = client, world
        self.accounts = list(ledger.accounts)[:4]
        self.users = list(ledger.users)[:2]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.floor = {
            "users": world.mongo["users"].count_documents({}),
            "accounts": world.mongo["accounts"].count_documents({}),
            "payments": world.search.count(index=f"{world.prefix}-payments")["count"],
        }
        self.seen = Observations()
        self.swapped = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.read_once()
            except Exception as error:  # every failure is a finding
                self.seen.failures.append(repr(error))
            self.seen.reads += 1
            if self.swapped.is_set():
                self.seen.reads_after_swap += 1

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, headers=self.headers, params=params)
        if response.status_code != 200:
            raise AssertionError(f"GET {path}: {response.status_code} {response.text}")
        return response.json()

    def read_once(self) -> None:
        for account in self.accounts:
            doc = self.get(f"/v1/accounts/{account}")
            self.seen.balances.append((account, doc["version"], doc["balance"]))
        for user in self.users:
            assert self.get(f"/v1/users/{user}")["id"] == user
        total = self.get("/v1/search/payments", limit=1)["total"]
        assert total >= self.floor["payments"], f"search saw {total} payments"
        for name in ("users", "accounts"):
            count = self.world.mongo[name].count_documents({})
            assert count >= self.floor[name], f"{name} had {count} documents"


class SwapSpotter:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def phase(self, name: str, detail: str = "") -> None:
        if name == "tail":
            self.reader.seen.reads_before_swap = self.reader.seen.reads
            self.reader.swapped.set()

    def progress(self, done: int, total: int) -> None:
        pass


class Writer(threading.Thread):
    """Deposits, withdrawals and payments on the ledger's accounts, appended as they happen."""

    def __init__(self, world: World, ledger: Ledger) -> None:
        super().__init__(daemon=True)
        self.world, self.ledger = world, ledger
        self.stop = threading.Event()
        self.commands = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(3)
        accounts = list(self.ledger.accounts.values())
        try:
            while not self.stop.wait(0.02):  # a steady trickle, not a flood
                start = len(self.ledger.envelopes)
                account = rng.choice(accounts)
                if rng.random() < 0.6 or account.available < 100:
                    self.ledger.deposit(account, rng.randint(1, 90_00), "live")
                else:
                    payee = rng.choice([a for a in accounts if a is not account])
                    payment = self.ledger.authorize(account, payee, 50, "coffee", "Bean There")
                    self.ledger.capture(payment)
                self.world.record(self.ledger, start)
                self.commands += 1
        except BaseException as error:
            self.error = error


@pytest.fixture
def running_system(world: World, kafka_server: KafkaServer) -> Iterator[Settings]:
    name = f"live{uuid.uuid4().hex[:8]}"
    settings = Settings(
        LEDGERLINE_DATABASE_URL=world.database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=kafka_server.bootstrap_servers,
        LEDGERLINE_MONGO_URL=world.mongo_url,
        LEDGERLINE_ELASTICSEARCH_URL=world.elasticsearch_url,
        kafka_topic=f"{name}.events",
        kafka_partitions=PARTITIONS,
        mongo_database=world.mongo.name,
        search_index_prefix=world.prefix,
        jwt_secret=SecretStr("live-rebuild-secret-long-enough-for-hs256"),
    )
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: PARTITIONS})
    stop = threading.Event()
    relay = Relay(
        world.store,
        RelayConfig(topic=settings.kafka_topic),
        lambda: make_producer(settings.kafka_bootstrap_servers),
    )
    relay_thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    relay_thread.start()
    projectors = [
        RunningProjector(
            ProjectorOptions(
                kind=kind,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                topic=settings.kafka_topic,
                group_id=f"{name}-{kind}",
                partitions=PARTITIONS,
                mongo_url=settings.mongo_url,
                mongo_database=settings.mongo_database,
                elasticsearch_url=settings.elasticsearch_url,
                search_prefix=settings.search_index_prefix,
                consumer_overrides=FAST_CONSUMER,
                max_backoff_s=0.5,
                database_url=settings.database_url,
            )
        )
        for kind in ("mongo", "search")
    ]
    try:
        with projectors[0], projectors[1]:
            yield settings
    finally:
        stop.set()
        relay_thread.join(30)


def differences(world: World) -> list[tuple[str, str, Any, Any]]:
    """(collection, id, live, expected) of every document that differs, for failure messages."""
    found = []
    for live, expected in (
        (world.mongo_dump(), world.expected_mongo()),
        (world.search_dump(), world.expected_search()),
    ):
        for name in expected:
            for id in sorted(live[name].keys() | expected[name].keys()):
                if live[name].get(id) != expected[name].get(id):
                    found.append((name, id, live[name].get(id), expected[name].get(id)))
    return found


def balances_by_version(world: World, account: str) -> dict[int, int]:
    doc = None
    history = {}
    for event in all_events(world.store):
        if str(event.stream_id) == account:
            doc = MONGO_PROJECTION.project(to_envelope(event), doc).doc
            assert doc is not None
            history[doc["version"]] = doc["balance"]
    return history


def test_queries_and_live_projectors_keep_working_during_a_rebuild_and_agree_after_it(
    world: World, running_system: Settings
) -> None:
    settings = running_system
    ledger = busy_ledger(1000, users=12)
    world.append(ledger.envelopes)
    wait_for(
        lambda: (
            world.mongo_dump() == world.expected_mongo()
            and world.search_dump() == world.expected_search()
        ),
        timeout=60,
        interval=0.2,
        what="the live projectors to project the seed",
    )
    token = mint_token(settings, uuid.uuid4(), ["auditor"], 600)
    with TestClient(create_app(settings)) as client:
        reader = Reader(client, world, ledger, token)
        writer = Writer(world, ledger)
        reader.start()
        writer.start()
        try:
            wait_for(lambda: writer.commands >= 5 and reader.seen.reads >= 3, what="traffic")
            before, reads_before = writer.commands, reader.seen.reads
            report = rebuild(
                world.store,
                world.targets("mongo", "search"),
                RebuildOptions(batch_size=50),
                SwapSpotter(reader),
            )
            during = writer.commands - before
            wait_for(lambda: reader.seen.reads_after_swap >= 10, what="reads after the swap")
        finally:
            writer.stop.set()
            writer.join(30)
            reader.stop.set()
            reader.join(30)
    assert writer.error is None, writer.error
    assert reader.seen.failures == [], reader.seen.failures[:5]
    assert during >= 5, "commands must arrive while the rebuild runs"
    assert reader.seen.reads_before_swap - reads_before >= 3, "reads while the rebuild builds"
    assert report.events >= 1000

    # Afterwards the live projectors (still running) and the rebuild agree with a fresh fold.
    try:
        wait_for(
            lambda: (
                world.mongo_dump() == world.expected_mongo()
                and world.search_dump() == world.expected_search()
            ),
            timeout=30,
            interval=0.2,
            what="the read models to equal a fold of the event store",
        )
    except AssertionError:
        raise AssertionError(differences(world)) from None
    for account in reader.accounts:
        history = balances_by_version(world, account)
        for seen, version, balance in reader.seen.balances:
            if seen == account:
                assert history[version] == balance, (account, version, balance)

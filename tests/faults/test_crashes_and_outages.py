"""Crashes and outages under a steady mixed workload (deposits, withdrawals, transfers, payments
captured, voided and refunded by several concurrent clients), each followed, once the pipeline
has drained, by the full set of checks in ``tests.soak.checks``: ``projections verify`` finds
no difference in either read model, every stored event is on the topic, no statement line or
notification is doubled, no idempotency key took effect twice, and the money adds up.

Every process is a real OS process and every server a real server; kills are SIGKILL (of the
processes, of Elasticsearch and of the MongoDB-protocol server), outages stop the server
(PostgreSQL with a fast shutdown) and start it again on the same data.
"""

from __future__ import annotations

import random
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.polling import wait_for
from tests.soak.checks import check_all, lag, wait_drained
from tests.soak.system import System
from tests.soak.workload import Workload

pytestmark = pytest.mark.faults


@contextmanager
def under_load(system: System, clients: int = 4) -> Iterator[Workload]:
    # A steady stream well within what the 2-core machine projects while it also runs the
    # servers, so catching up after a fault takes seconds (bench/soak.py goes further).
    workload = Workload(system.write_url, system.settings, clients=clients, holders=8, rate=60)
    workload.setup()
    workload.start()
    try:
        yield workload
    finally:
        workload.stop()


def traffic(workload: Workload, commands: int) -> None:
    """Until the clients have completed ``commands`` more commands."""
    target = workload.stats.commands + commands
    wait_for(
        lambda: workload.stats.commands >= target,
        timeout=60,
        interval=0.02,
        what=f"{commands} more commands",
    )


def outage(workload: Workload, seconds: float, commands: int = 0) -> None:
    """Let ``seconds`` pass with the fault in place, while (``commands``) the clients keep
    completing commands: the write side must not need the server that is down."""
    until = time.monotonic() + seconds
    target = workload.stats.commands + commands
    wait_for(
        lambda: time.monotonic() >= until and workload.stats.commands >= target,
        timeout=seconds + 60,
        interval=0.05,
        what=f"{seconds:.0f} s of outage and {commands} commands",
    )


def behind(system: System, process: str) -> int:
    return lag(system.settings)[process.removeprefix("projector-")][0]


def assert_nothing_lost_or_doubled(system: System, workload: Workload) -> None:
    assert workload.crashes == []
    assert dict(workload.stats.unexpected) == {}, workload.stats.summary()
    assert system.crashed() == [], f"see {system.settings.data_dir}/logs"
    wait_drained(system.settings, timeout_s=120)
    report = check_all(system.settings)
    assert report.ok, report.describe()
    assert report.figures["records on the topic"] >= report.figures["events in the store"]


def test_the_relay_killed_three_times_at_random_moments(system: System) -> None:
    rng = random.Random(61)
    with under_load(system) as workload:
        for _ in range(3):
            traffic(workload, rng.randint(20, 120))
            system.supervisor.kill("relay")
            traffic(workload, 30)  # commands keep succeeding without the relay
            system.supervisor.restart("relay")
        traffic(workload, 30)
    assert_nothing_lost_or_doubled(system, workload)


def test_each_projector_killed_three_times_mid_batch(system: System) -> None:
    rng = random.Random(62)
    with under_load(system) as workload:
        for _ in range(3):
            for projector in ("projector-mongo", "projector-search"):
                traffic(workload, rng.randint(10, 60))
                # Mid-batch: it has records it has not committed yet.
                wait_for(lambda p=projector: behind(system, p) > 0, what=f"{projector} busy")
                system.supervisor.kill(projector)
                traffic(workload, 20)
                system.supervisor.restart(projector)
        traffic(workload, 30)
    assert_nothing_lost_or_doubled(system, workload)


def test_kafka_stopped_for_ten_seconds(system: System) -> None:
    with under_load(system) as workload:
        traffic(workload, 50)
        system.stack.kafka.stop()
        outage(workload, 10, commands=50)
        system.stack.kafka.start()
        traffic(workload, 50)
    assert_nothing_lost_or_doubled(system, workload)


def test_mongodb_and_elasticsearch_stopped_for_ten_seconds_each(system: System) -> None:
    with under_load(system) as workload:
        for server in (system.stack.mongo, system.stack.elasticsearch):
            traffic(workload, 50)
            server.stop()
            outage(workload, 10, commands=50)
            server.start()
        traffic(workload, 50)
    assert_nothing_lost_or_doubled(system, workload)


def projected(system: System, projector: str) -> float:
    """Events the projector has written (its metrics endpoint)."""
    port = (
        system.settings.projector_search_metrics_port
        if projector == "search"
        else system.settings.projector_mongo_metrics_port
    )
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "ledgerline_projector_events_total"
        and sample.labels == {"projector": projector, "outcome": "applied"}
    )


@pytest.mark.parametrize("server", ["elasticsearch", "mongo"])
def test_a_read_model_server_killed_twice_just_after_its_projector_wrote(
    system: System, server: str
) -> None:
    """SIGKILL right after a write was acknowledged (and its offsets, likely, committed): the
    server must have kept it (MongoDB writes are journaled; see projections/process.py)."""
    projector = "search" if server == "elasticsearch" else "mongo"
    managed = system.stack.servers[server]
    with under_load(system) as workload:
        for _ in range(2):
            traffic(workload, 50)
            before = projected(system, projector)
            wait_for(lambda b=before: projected(system, projector) > b, what="a write")
            assert managed.kill()
            traffic(workload, 30)  # commands keep succeeding without the read model
            managed.start()
        traffic(workload, 50)
    assert_nothing_lost_or_doubled(system, workload)


def test_postgresql_restarted_while_commands_arrive(system: System) -> None:
    with under_load(system) as workload:
        traffic(workload, 50)
        system.stack.postgres.stop()  # pg_ctl stop -m fast: in-flight transactions abort
        outage(workload, 3)
        system.stack.postgres.start()
        traffic(workload, 100)
    # The clients saw the outage as 503 problems with Retry-After (or refused connections
    # while the write API's own connections were down) and retried; none saw a 500.
    assert workload.stats.retried["503"] > 0, workload.stats.summary()
    assert_nothing_lost_or_doubled(system, workload)

"""Drill (a) in small: a system behind the gateway under a steady load loses its primary (killed,
data directory deleted) and, 8 s later, fails over to the synchronous standby. No acknowledged
command is lost (RPO = 0), commands succeed again within seconds of the promotion, and afterwards
the audit chain, the read models, Kafka and the money all check out (``tests.failover.drill``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer
from tests.failover.drill import System, run_drill, system_on
from tests.failover.pair import Pair
from tests.server_fixtures import SharedServers

OPERATOR_DELAY_S = 8.0


@pytest.fixture
def system(
    pair: Pair,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> Iterator[System]:
    servers = SharedServers(
        kafka_server.bootstrap_servers,
        mongo_server.url,
        elasticsearch_server.url,
        redis_server.url,
    )
    with system_on(pair, servers) as running:
        yield running


def test_losing_the_primary_under_load_loses_no_acknowledged_command(
    pair: Pair, system: System, tmp_path: Path
) -> None:
    result = run_drill(
        pair,
        system,
        tmp_path / "load.jsonl",
        before_s=3,
        after_s=2,
        clients=3,
        operator_delay_s=OPERATOR_DELAY_S,
    )
    assert result.acknowledged > 20
    assert result.missing == []  # RPO = 0
    # Commands succeed within seconds of the promotion, however long the pools had been failing
    # to reconnect (with psycopg_pool's doubling back-off alone this took 15 s from the loss).
    assert result.rto_s <= OPERATOR_DELAY_S + 5
    assert {name: found for name, found in result.problems.items() if found} == {}

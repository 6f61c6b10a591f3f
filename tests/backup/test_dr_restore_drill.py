"""Drill (b), small: under a steady command load through the gateway the primary is destroyed
with no standby and recovered from the base backup and the streamed WAL (bench/dr_restore.py);
acknowledged commands survive, commands succeed again, and audit verify, projections verify and
the money invariant all pass afterwards."""

from __future__ import annotations

from bench.dr_restore import run_drill
from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer
from tests.server_fixtures import SharedServers, temporary_root


def test_the_primary_is_recovered_from_backup_and_wal_under_load(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> None:
    shared = SharedServers(
        kafka_server.bootstrap_servers, mongo_server.url, elasticsearch_server.url, redis_server.url
    )
    with temporary_root() as root:
        figures = run_drill(root, shared, rate=10, before_s=3, after_s=2)
    assert figures.acknowledged > 20
    # The archive streams synchronously: what is lost was acknowledged in the last second.
    assert figures.lost_span_s <= 1.0, figures.report()
    assert figures.rto_s < 120, figures.report()
    assert figures.audit_breaks == 0
    assert figures.verify_problems == []
    assert figures.money_problems == []

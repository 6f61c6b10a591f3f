"""The eventsourcing library's own recorder test cases, run unchanged against our store."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
)
from psycopg_pool import ConnectionPool

from event_store.connection import open_pool
from event_store.eventsourcing_recorder import (
    LedgerlineAggregateRecorder,
    LedgerlineApplicationRecorder,
)
from event_store.schema import migrate
from event_store.store import EventStore


class _FreshSchemaPerRecorder:
    """Each recorder gets its own PostgreSQL schema, so positions start at 1 as the library's
    tests expect."""

    database_url: str
    pools: list[ConnectionPool]

    @pytest.fixture(autouse=True)
    def _database(self, fresh_database_url: str):  # type: ignore[no-untyped-def]
        self.database_url = fresh_database_url
        self.pools = []
        yield
        for pool in self.pools:
            pool.close()

    def fresh_store(self) -> EventStore:
        schema = f"es_{uuid4().hex[:12]}"
        migrate(self.database_url, schema=schema)
        pool = open_pool(self.database_url, min_size=1, max_size=12, search_path=schema)
        self.pools.append(pool)
        return EventStore(pool)


class TestAggregateRecorder(_FreshSchemaPerRecorder, AggregateRecorderTestCase):
    def create_recorder(self) -> LedgerlineAggregateRecorder:
        return LedgerlineAggregateRecorder(self.fresh_store())


class TestApplicationRecorder(_FreshSchemaPerRecorder, ApplicationRecorderTestCase):
    def create_recorder(self) -> LedgerlineApplicationRecorder:
        return LedgerlineApplicationRecorder(self.fresh_store())

"""Event store fixtures: a migrated store in a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from psycopg_pool import ConnectionPool

from event_store.connection import open_pool
from event_store.schema import migrate
from event_store.store import EventStore


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    migrate(fresh_database_url)
    return fresh_database_url


@pytest.fixture
def event_store(database_url: str) -> Iterator[EventStore]:
    pool = open_pool(database_url, min_size=1, max_size=12)
    try:
        yield EventStore(pool)
    finally:
        pool.close()


@pytest.fixture
def pool_factory(database_url: str) -> Iterator[Callable[..., ConnectionPool]]:
    pools: list[ConnectionPool] = []

    def make(**kwargs: object) -> ConnectionPool:
        pool = open_pool(database_url, **kwargs)  # type: ignore[arg-type]
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()

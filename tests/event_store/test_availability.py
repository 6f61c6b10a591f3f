"""The event store's availability as this process sees it: up after a use that worked, down
(and counted) after one PostgreSQL did not answer."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from event_store.connection import open_pool
from event_store.errors import StoreUnavailable
from event_store.store import EventStore
from infra.servers import free_port


def _up() -> float | None:
    return REGISTRY.get_sample_value("ledgerline_event_store_up")


def _failures() -> float:
    return REGISTRY.get_sample_value("ledgerline_event_store_unavailable_total") or 0.0


def test_a_use_that_works_reports_up_and_one_that_cannot_connect_reports_down(
    event_store: EventStore,
) -> None:
    with event_store.connection() as conn:
        conn.execute("select 1")
    assert _up() == 1.0

    failures = _failures()
    nowhere = open_pool(f"postgresql://postgres@127.0.0.1:{free_port()}/x", min_size=0, timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable), EventStore(nowhere).connection():
            pass
    finally:
        nowhere.close()
    assert _up() == 0.0
    assert _failures() == failures + 1

    with event_store.connection() as conn:
        conn.execute("select 1")
    assert _up() == 1.0

"""The notification service's tables, created at start-up by every process that uses them
(write API, query API, notifier): idempotent, serialised by an advisory lock."""

from __future__ import annotations

from event_store.schema import create_under_lock
from projections.notifier import deliveries, endpoints, mail_outbox
from projections.notifier.endpoints import Connect

_DDL_LOCK = 0x4C4C5748  # pg_advisory_xact_lock id: "LLWH"


def ensure_tables(connect: Connect) -> None:
    with connect() as conn:
        create_under_lock(conn, _DDL_LOCK, endpoints.DDL, deliveries.DDL, mail_outbox.DDL)

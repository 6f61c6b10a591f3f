"""Our event store as the ``eventsourcing`` library's application recorder.

The library's stored events are (originator_id, originator_version, topic, state bytes); they go
into the same ``events`` table through the same single-statement append, with ``type`` = topic and
the opaque state in the ``state`` column. Notification ids are ``position``.

Where the library's contract and ours differ: the library promises that notification ids are
handed out in commit order, which it gets by locking the table in every writer. We do not lock,
so ids alone are not commit order. ``select_notifications`` and ``max_notification_id`` therefore
only return rows whose writing transaction is below the snapshot horizon (see
``commit_order.py``), in id order. That is exact whenever writers do not overlap; with
overlapping writers a row with a smaller id can become visible after a larger one was returned.
Ledgerline's own readers never page by id: they use ``commit_order.read_committed`` with a
(transaction id, position) checkpoint, which is exact under any concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    Notification,
    OperationalError,
    StoredEvent,
    Subscription,
)

from event_store.append_statement import InsertRow
from event_store.errors import ConcurrencyConflict, StoreUnavailable
from event_store.store import EventStore

_HORIZON = "tx_id < pg_snapshot_xmin(pg_current_snapshot())"


def _stream_type_of(topic: str) -> str:
    # "package.module:Account.Credited" -> "Account"
    qualname = topic.rsplit(":", 1)[-1]
    return qualname.split(".", 1)[0] if ":" in topic else "eventsourcing"


class LedgerlineAggregateRecorder(AggregateRecorder):
    """``eventsourcing.persistence.AggregateRecorder`` backed by ``EventStore``."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert(stored_events)
        return None  # aggregate recorders have no notification ids

    def _insert(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        rows = [
            InsertRow(
                stream_id=UUID(str(e.originator_id)),
                stream_type=_stream_type_of(e.topic),
                version=e.originator_version,
                type=e.topic,
                schema_version=1,
                data=None,
                state=e.state,
                metadata="{}",
            )
            for e in stored_events
        ]
        try:
            return [position for position, *_ in self.store.insert_rows(rows)]
        except ConcurrencyConflict as error:
            raise IntegrityError(str(error)) from error
        except StoreUnavailable as error:
            raise OperationalError(str(error)) from error

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        query = "SELECT stream_id, version, type, state FROM events WHERE stream_id = %s"
        params: list[Any] = [UUID(str(originator_id))]
        if gt is not None:
            query += " AND version > %s"
            params.append(gt)
        if lte is not None:
            query += " AND version <= %s"
            params.append(lte)
        query += " ORDER BY version DESC" if desc else " ORDER BY version"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        rows = self._fetch(query, params)
        return [StoredEvent(r[0], r[1], r[2], bytes(r[3])) for r in rows]

    def _fetch(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            with self.store.connection() as conn:
                return conn.execute(query.encode(), params).fetchall()
        except StoreUnavailable as error:
            raise OperationalError(str(error)) from error


class LedgerlineApplicationRecorder(LedgerlineAggregateRecorder, ApplicationRecorder):
    """``eventsourcing.persistence.ApplicationRecorder`` backed by ``EventStore``."""

    def __init__(self, store: EventStore, *, poll_interval_s: float = 0.05) -> None:
        super().__init__(store)
        self.poll_interval_s = poll_interval_s

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._insert(stored_events) if stored_events else None

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        query = (
            "SELECT position, stream_id, version, type, state FROM events"
            f" WHERE state IS NOT NULL AND {_HORIZON}"
        )
        params: list[Any] = []
        if start is not None:
            query += " AND position >= %s" if inclusive_of_start else " AND position > %s"
            params.append(start)
        if stop is not None:
            query += " AND position <= %s"
            params.append(stop)
        if topics:
            query += " AND type = ANY(%s)"
            params.append(list(topics))
        query += " ORDER BY position LIMIT %s"
        params.append(limit)
        rows = self._fetch(query, params)
        return [
            Notification(
                id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=bytes(r[4])
            )
            for r in rows
        ]

    def max_notification_id(self) -> int | None:
        rows = self._fetch(f"SELECT max(position) FROM events WHERE {_HORIZON}", [])
        value = rows[0][0]
        return None if value is None else int(value)

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return PollingSubscription(self, gt=gt, topics=topics)


class PollingSubscription(Subscription[ApplicationRecorder]):
    """Yields notifications after ``gt``, polling for new ones until stopped."""

    def __init__(
        self, recorder: LedgerlineApplicationRecorder, gt: int | None, topics: Sequence[str]
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._poll_interval_s = recorder.poll_interval_s
        self._buffer: list[Notification] = []
        self._stopped = threading.Event()

    def stop(self) -> None:
        super().stop()
        self._stopped.set()

    def __next__(self) -> Notification:
        while not self._buffer:
            if self._has_been_stopped:
                raise StopIteration
            self._buffer = list(
                self._recorder.select_notifications(
                    self._last_notification_id,
                    limit=500,
                    topics=self._topics,
                    inclusive_of_start=False,
                )
            )
            if not self._buffer:
                self._stopped.wait(self._poll_interval_s)
        if self._has_been_stopped:
            raise StopIteration
        notification = self._buffer.pop(0)
        self._last_notification_id = notification.id
        return notification

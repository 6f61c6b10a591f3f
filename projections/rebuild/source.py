"""What rebuilds and verify read: the event store in commit order, from the start.

A rebuild that feeds a projection of every stream type (MongoDB, or both read models) reads
with ``event_store.commit_order.read_committed`` itself. A rebuild of read models that only
project some stream types (Elasticsearch: users and payments) reads only those streams' events:
the same commit-order rule -- rows below the snapshot horizon, after the checkpoint, ordered by
``(tx_id, position)``, personal data revealed the same way -- with ``stream_type`` restricted.
The skipped events could not change such a read model (a projection ignores streams it does not
track), and skipping them spares reading and decoding three quarters of a typical store.
``tests/rebuild/test_replay_source.py`` checks the restricted reader returns exactly
``read_committed``'s events of those stream types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.registry import AGGREGATE_TYPES
from event_store.commit_order import read_committed
from event_store.personal_data import reveal_records
from event_store.records import Checkpoint, RecordedEvent
from event_store.rows import EVENT_COLUMNS, to_recorded_event
from event_store.store import EventStore
from projections.operations import Projection

ALL_STREAM_TYPES = frozenset(AGGREGATE_TYPES)

_READ_COMMITTED_OF_TYPES = f"""
SELECT {EVENT_COLUMNS}
FROM events
WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (tx_id, position) > (%s::text::xid8, %s)
  AND data IS NOT NULL
  AND stream_type = ANY(%s)
ORDER BY tx_id, position
LIMIT %s
"""


@dataclass(frozen=True)
class StoreHead:
    events: int
    position: int | None


@dataclass(frozen=True)
class ReplaySource:
    store: EventStore
    # None: every event; otherwise only events of streams of these types.
    stream_types: frozenset[str] | None = None

    @classmethod
    def for_projections(cls, store: EventStore, projections: Iterable[Projection]) -> ReplaySource:
        tracked: frozenset[str] = frozenset().union(*(p.stream_types for p in projections))
        return cls(store, None if tracked >= ALL_STREAM_TYPES else tracked)

    def read(self, after: Checkpoint, limit: int) -> list[RecordedEvent]:
        """Up to ``limit`` events after ``after``, in commit order."""
        if self.stream_types is None:
            return read_committed(self.store, after, limit, reveal=True)
        with self.store.connection() as conn:
            rows = conn.execute(
                _READ_COMMITTED_OF_TYPES.encode(),
                (str(after.tx_id), after.position, sorted(self.stream_types), limit),
            ).fetchall()
            return reveal_records(conn, [to_recorded_event(row) for row in rows])

    def head(self) -> StoreHead:
        """How many events there are to read and the store's highest position."""
        types = None if self.stream_types is None else sorted(self.stream_types)
        with self.store.connection() as conn:
            row = conn.execute(
                b"SELECT count(*) FILTER (WHERE %s::text[] IS NULL OR stream_type = ANY(%s)),"
                b" max(position) FROM events WHERE data IS NOT NULL",
                (types, types),
            ).fetchone()
        assert row is not None
        return StoreHead(events=int(row[0]), position=None if row[1] is None else int(row[1]))

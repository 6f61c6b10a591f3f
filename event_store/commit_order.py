"""Reading the whole store in commit order, without locking out writers.

Why this is not simply ``ORDER BY position``
--------------------------------------------
``position`` comes from an identity sequence, and a sequence hands out numbers when rows are
inserted, not when their transactions commit. Two writers can take positions 7 and 8, and the one
holding 8 can commit first. A reader that pages with "position > last seen" would read 8, move
its cursor past 7, and never see 7 when it commits a moment later. The eventsourcing library
avoids this by taking ``LOCK TABLE ... IN EXCLUSIVE MODE`` in every writer, so positions are
handed out in commit order and writers queue behind each other; Marten instead lets readers wait
for gaps to fill and skips them after a timeout, which can lose a slow transaction's events.

What we do instead
------------------
Each row records the id of the transaction that wrote it (``tx_id``, an ``xid8`` that never
wraps). A reader takes its snapshot's ``xmin`` -- ``pg_snapshot_xmin(pg_current_snapshot())`` --
the oldest transaction id still running when the snapshot was taken. Every transaction with a
smaller id has already committed or rolled back, so the rows it wrote are all visible now, and
nothing can ever be added below that horizon again. The reader therefore only reads rows with
``tx_id < xmin``, ordered by ``(tx_id, position)``, and checkpoints the last pair it read.

Why nothing is skipped: a row read later either belongs to a transaction that was below the
horizon then (so it was visible and has already been read, or sorts after the checkpoint), or to
a transaction whose id was at or above the horizon -- which sorts after every pair already read,
because every pair read had ``tx_id`` below that horizon. Transaction ids only grow, so a writer
that starts after the read gets a larger id still.

What order this is: for two transactions where one began writing after the other committed, the
later one has the larger id (ids are assigned at the first write), so causally ordered writes --
in particular successive versions of one stream -- are always read in that order. Transactions
that overlapped in time observed neither's writes, and are read in transaction-id order.

Costs, stated plainly: writers never wait for each other or for readers; readers never wait on a
timeout and never skip. A transaction that stays open (anywhere in the cluster: the horizon is
cluster-wide) holds the horizon back, so readers see nothing newer until it ends; keep
transactions short, and ``idle_in_transaction_session_timeout`` bounds forgotten ones. Readers
must read from the primary, not a hot standby.
"""

from __future__ import annotations

from typing import Any

import psycopg

from event_store.personal_data import reveal_records
from event_store.records import Checkpoint, RecordedEvent
from event_store.rows import EVENT_COLUMNS, to_recorded_event
from event_store.store import EventStore

_READ_COMMITTED = f"""
SELECT {EVENT_COLUMNS}
FROM events
WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (tx_id, position) > (%s::text::xid8, %s)
  AND data IS NOT NULL
ORDER BY tx_id, position
LIMIT %s
"""


def read_committed(
    store: EventStore, after: Checkpoint, limit: int, *, reveal: bool = False
) -> list[RecordedEvent]:
    """Up to ``limit`` events after ``after``, in commit order (see the module docstring).

    Personal fields come as stored (sealed) unless ``reveal``: what leaves the event store (the
    relay's records) must stay sealed; rebuilds, which write read models that forgetting
    clears, ask for them revealed."""
    with store.connection() as conn:
        rows = conn.execute(
            _READ_COMMITTED.encode(), (str(after.tx_id), after.position, limit)
        ).fetchall()
        records = [to_recorded_event(row) for row in rows]
        return reveal_records(conn, records) if reveal else records


def checkpoint_of(event: RecordedEvent) -> Checkpoint:
    return Checkpoint(tx_id=event.tx_id, position=event.position)


_BACKLOG = b"""
SELECT count(*), extract(epoch FROM clock_timestamp() - min(recorded_at))
FROM events
WHERE (tx_id, position) > (%s::text::xid8, %s) AND data IS NOT NULL
"""


def backlog_after(conn: psycopg.Connection[Any], after: Checkpoint) -> tuple[int, float | None]:
    """How many events a reader at ``after`` has still to read, and the age in seconds of the
    oldest of them (None when there are none): the relay's lag."""
    row = conn.execute(_BACKLOG, (str(after.tx_id), after.position)).fetchone()
    if row is None or not row[0]:
        return 0, None
    return int(row[0]), None if row[1] is None else float(row[1])

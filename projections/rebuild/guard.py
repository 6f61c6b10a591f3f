"""What keeps rebuilds and verify safe against each other and against crashes, kept in the event
store's PostgreSQL:

- a session-level advisory lock per read model (``mongo:<database>``, ``search:<prefix>``):
  one rebuild or verify at a time per read model, because each drops the leftovers of
  interrupted runs when it starts. The server releases the lock when the session ends, so a
  killed rebuild (kill -9) never leaves it taken.
- a swap journal: just before a rebuild swaps a generation in, it records the generation and
  the checkpoint its tail starts from as a row of the ``checkpoints`` table, named
  ``rebuild:<read model>:<generation>:<keep|drop>``, and deletes the row once the tail is
  projected. A row that is still there means a rebuild died between its swap and the end of its
  tail; the next rebuild finishes that swap and tail first (``projections.rebuild``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.checkpoints import CheckpointStore

JOURNAL_PREFIX = "rebuild:"


class RebuildBusy(Exception):
    """Another rebuild or verify of the same read model is running."""

    def __init__(self, key: str) -> None:
        super().__init__(f"another rebuild or verify of {key} is running")
        self.key = key


@dataclass(frozen=True)
class PendingSwap:
    """A generation being swapped in, and where its tail starts."""

    key: str
    generation: str
    keep_old: bool
    checkpoint: Checkpoint

    @property
    def consumer(self) -> str:
        keep = "keep" if self.keep_old else "drop"
        return f"{JOURNAL_PREFIX}{self.key}:{self.generation}:{keep}"


def _parse(consumer: str, tx_id: int, position: int) -> PendingSwap | None:
    body = consumer.removeprefix(JOURNAL_PREFIX)
    parts = body.rsplit(":", 2)
    if len(parts) != 3 or parts[2] not in ("keep", "drop"):
        return None
    return PendingSwap(parts[0], parts[1], parts[2] == "keep", Checkpoint(tx_id, position))


class RebuildGuard:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._checkpoints = CheckpointStore(store)

    @contextmanager
    def locked(self, keys: Sequence[str]) -> Iterator[None]:
        """Hold the locks of ``keys`` (sorted, so two runs never wait on each other in a cycle);
        RebuildBusy at once if one is taken."""
        with self._store.connection() as conn:
            taken: list[str] = []
            try:
                for key in sorted(set(keys)):
                    row = conn.execute(
                        b"SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                        (_lock_name(key),),
                    ).fetchone()
                    if not (row and row[0]):
                        raise RebuildBusy(key)
                    taken.append(key)
                yield
            finally:
                # A broken connection has released them already.
                with contextlib.suppress(psycopg.Error):
                    for key in taken:
                        conn.execute(
                            b"SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                            (_lock_name(key),),
                        )

    def pending(self, key: str | None = None) -> list[PendingSwap]:
        """Journal rows of ``key`` (all read models if None), oldest first."""
        prefix = JOURNAL_PREFIX if key is None else f"{JOURNAL_PREFIX}{key}:"
        with self._store.connection() as conn:
            rows = conn.execute(
                b"SELECT consumer, tx_id::text::int8, position FROM checkpoints"
                b" WHERE starts_with(consumer, %s) ORDER BY updated_at, consumer",
                (prefix,),
            ).fetchall()
        found = [_parse(str(consumer), tx_id, position) for consumer, tx_id, position in rows]
        return [swap for swap in found if swap is not None and (key is None or swap.key == key)]

    def record(self, swap: PendingSwap) -> None:
        self._checkpoints.save(swap.consumer, swap.checkpoint)

    def clear(self, swap: PendingSwap) -> None:
        with self._store.connection() as conn:
            conn.execute(b"DELETE FROM checkpoints WHERE consumer = %s", (swap.consumer,))


def _lock_name(key: str) -> str:
    return f"ledgerline-rebuild:{key}"

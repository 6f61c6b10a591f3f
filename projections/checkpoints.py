"""Checkpoints of consumers that write to PostgreSQL (the relay): the last (tx_id, position)
they finished, stored in the ``checkpoints`` table."""

from __future__ import annotations

from event_store.records import Checkpoint
from event_store.store import EventStore


class CheckpointStore:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    def load(self, consumer: str) -> Checkpoint:
        with self._store.connection() as conn:
            row = conn.execute(
                b"SELECT tx_id::text::int8, position FROM checkpoints WHERE consumer = %s",
                (consumer,),
            ).fetchone()
        return Checkpoint() if row is None else Checkpoint(tx_id=row[0], position=row[1])

    def save(self, consumer: str, checkpoint: Checkpoint) -> None:
        with self._store.connection() as conn:
            conn.execute(
                b"INSERT INTO checkpoints (consumer, tx_id, position)"
                b" VALUES (%s, %s::text::xid8, %s)"
                b" ON CONFLICT (consumer) DO UPDATE SET tx_id = excluded.tx_id,"
                b" position = excluded.position, updated_at = now()",
                (consumer, str(checkpoint.tx_id), checkpoint.position),
            )

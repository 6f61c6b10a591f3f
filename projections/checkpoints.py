"""Checkpoints of consumers that write to PostgreSQL (the relay): the last (tx_id, position)
they finished, stored in the ``checkpoints`` table, and the leader term that fences the relay's
writes (``claim`` / ``save_fenced``; see ``projections.leadership`` for why)."""

from __future__ import annotations

from event_store.records import Checkpoint
from event_store.store import EventStore


class Fenced(Exception):
    """A checkpoint write of a term that is no longer the row's: another leader took over (or an
    operator moved the checkpoint), so this writer must stop publishing."""


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
        """Set the checkpoint whoever writes it (an operator's tool, a rebuild's journal). It
        also starts a new term, so a relay publishing under the old one stops at its next write
        and its successor starts from this checkpoint rather than overwriting it."""
        with self._store.connection() as conn:
            conn.execute(
                b"INSERT INTO checkpoints (consumer, tx_id, position)"
                b" VALUES (%s, %s::text::xid8, %s)"
                b" ON CONFLICT (consumer) DO UPDATE SET tx_id = excluded.tx_id,"
                b" position = excluded.position, updated_at = now(),"
                b" leader_epoch = checkpoints.leader_epoch + 1",
                (consumer, str(checkpoint.tx_id), checkpoint.position),
            )

    def claim(self, consumer: str) -> tuple[int, Checkpoint]:
        """Start a new term: increment the row's term and read its checkpoint in one statement
        (so the checkpoint is the last one any earlier term managed to store). Returns the new
        term and where to continue from."""
        with self._store.connection() as conn:
            row = conn.execute(
                b"INSERT INTO checkpoints (consumer, tx_id, position, leader_epoch)"
                b" VALUES (%s, '0'::xid8, 0, 1)"
                b" ON CONFLICT (consumer) DO UPDATE"
                b" SET leader_epoch = checkpoints.leader_epoch + 1, updated_at = now()"
                b" RETURNING leader_epoch, tx_id::text::int8, position",
                (consumer,),
            ).fetchone()
        assert row is not None  # INSERT ... RETURNING always yields the row
        return int(row[0]), Checkpoint(tx_id=row[1], position=row[2])

    def save_fenced(self, consumer: str, term: int, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint`` only if ``term`` is still the row's; ``Fenced`` otherwise."""
        with self._store.connection() as conn:
            cursor = conn.execute(
                b"UPDATE checkpoints SET tx_id = %s::text::xid8, position = %s, updated_at = now()"
                b" WHERE consumer = %s AND leader_epoch = %s",
                (str(checkpoint.tx_id), checkpoint.position, consumer, term),
            )
            if cursor.rowcount != 1:
                raise Fenced(f"checkpoint {consumer!r}: term {term} is no longer the leader's")

"""Reading the event store into generation builders: the fold of the whole store, the catch-up
passes, the tail after a swap, and stream states as of a checkpoint (see ``run`` for how a
rebuild strings them together). Progress goes to an ``Observer``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol
from uuid import UUID

import structlog

from event_store.commit_order import checkpoint_of
from event_store.personal_data import reveal_records
from event_store.records import Checkpoint, RecordedEvent
from event_store.rows import EVENT_COLUMNS, to_recorded_event
from event_store.store import EventStore
from projections.envelope import to_envelope
from projections.fold import fold_batch
from projections.operations import Document, Projection
from projections.rebuild.builder import GenerationBuilder
from projections.rebuild.overlap import read_ahead
from projections.rebuild.source import ReplaySource
from projections.rebuild.targets import Loader

log = structlog.get_logger(__name__)


class Observer(Protocol):
    """Progress reporting (the CLI draws a progress bar with it)."""

    def phase(self, name: str, detail: str = "") -> None: ...

    def progress(self, done: int, total: int) -> None: ...


class SilentObserver:
    def phase(self, name: str, detail: str = "") -> None:
        log.info("rebuild_phase", phase=name, detail=detail)

    def progress(self, done: int, total: int) -> None:
        pass


def fold_into(
    source: ReplaySource,
    builders: Sequence[GenerationBuilder],
    after: Checkpoint,
    batch_size: int,
    observer: Observer | None = None,
    total: int = 0,
    done: int = 0,
) -> tuple[Checkpoint, int]:
    """Read from ``after`` until a read comes back short of ``batch_size``, folding every
    batch into every builder. Returns the last checkpoint and how many events were read."""
    read = 0
    for events in read_ahead(_reader(source, after, batch_size), "rebuild-reader"):
        envelopes = [to_envelope(event) for event in events]
        for builder in builders:
            builder.apply(envelopes)
        after = checkpoint_of(events[-1])
        read += len(events)
        if observer is not None:
            observer.progress(done + read, max(total, done + read))
    return after, read


def catch_up(
    source: ReplaySource,
    builders: Sequence[GenerationBuilder],
    after: Checkpoint,
    batch_size: int,
    observer: Observer | None = None,
    total: int = 0,
    done: int = 0,
) -> tuple[Checkpoint, int]:
    """Write the builders' buffered documents and fold what arrived meanwhile, until a pass
    finds less than a batch (writing buffered documents takes a while and events keep
    arriving; a pass that waited for silence might never end). Everything read is written
    when this returns. Returns the last checkpoint and how many events were read."""
    read = 0
    while True:
        for builder in builders:
            builder.flush()
        after, more = fold_into(source, builders, after, batch_size, observer, total, done + read)
        read += more
        if more < batch_size:
            for builder in builders:
                builder.flush()
            return after, read


def _reader(
    source: ReplaySource, after: Checkpoint, batch_size: int
) -> Callable[[], list[RecordedEvent] | None]:
    """Successive batches from ``after``; None after the first short (or empty) batch."""
    position: Checkpoint | None = after

    def read() -> list[RecordedEvent] | None:
        nonlocal position
        if position is None:
            return None
        events = source.read(position, batch_size)
        position = checkpoint_of(events[-1]) if len(events) == batch_size else None
        return events or None

    return read


# -- tail and recovery ------------------------------------------------------------------------


def project_tail(
    source: ReplaySource,
    builders: Sequence[GenerationBuilder],
    after: Checkpoint,
    batch_size: int,
) -> tuple[Checkpoint, int]:
    """Fold every event after ``after`` into builders retargeted at the live names, writing
    after each batch, until a read comes back short of ``batch_size``."""
    read = 0
    while True:
        events = source.read(after, batch_size)
        if not events:
            return after, read
        envelopes = [to_envelope(event) for event in events]
        for builder in builders:
            rejected = len(builder.stats.rejected)
            builder.apply(envelopes)
            builder.flush()
            for envelope, error in builder.stats.rejected[rejected:]:
                log.warning(
                    "rebuild_tail_event_rejected",
                    projection=builder.projection.name,
                    event_id=envelope.get("event_id"),
                    event_type=envelope.get("type"),
                    error=repr(error),
                )
        after = checkpoint_of(events[-1])
        read += len(events)
        if len(events) < batch_size:
            return after, read


_STREAMS_UP_TO = f"""
SELECT {EVENT_COLUMNS}
FROM events
WHERE stream_id = ANY(%s)
  AND (tx_id, position) <= (%s::text::xid8, %s)
  AND data IS NOT NULL
ORDER BY stream_id, version
"""


def state_at(store: EventStore, checkpoint: Checkpoint, projection: Projection) -> Loader:
    """A loader of stream documents as of ``checkpoint`` (the fold of each stream's events up to
    it, from the event store): the state a tail continues from when the rebuild no longer holds
    it in memory (evicted documents, or a journalled swap finished by a later run)."""

    def load(streams: Mapping[str, str]) -> dict[str, Document]:
        wanted = [UUID(stream_id) for stream_id in streams]
        if not wanted:
            return {}
        with store.connection() as conn:
            rows = conn.execute(
                _STREAMS_UP_TO.encode(),
                (wanted, str(checkpoint.tx_id), checkpoint.position),
            ).fetchall()
            events = reveal_records(conn, [to_recorded_event(row) for row in rows])
        folded = fold_batch([to_envelope(event) for event in events], {}, projection)
        return {change.stream_id: change.doc for change in folded.changes}

    return load

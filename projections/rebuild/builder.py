"""Folding the event store into a private read-model generation (rebuilds and verify).

A generation under construction has exactly one writer, this builder, and no reader, so it can
skip what the live projector needs for safety: there are no version-guarded writes and no
reading back of documents. Stream documents are kept in memory and written once, when the
builder is flushed (or earlier, when the bounded cache evicts one: it is then written and read
back on its next event); insert-once lines (statement lines, notifications) are final as soon as
they are folded and are written per batch. The stream-version rules and the projection itself
are the live projector's (``projections.fold``), so a rebuilt generation is what the live
projector would have built from the same events.

After a swap the same builder projects the rebuild's tail into the live names (``retarget``):
it keeps folding onto its own exact state instead of the live documents, so every tail event
yields its insert-once lines even when the live projector already advanced the stream document
(lines it wrote into the old generation went with it), and the store then writes documents
only where they are newer than the live ones.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from projections.fold import Rejected, fold_batch
from projections.operations import Document, Envelope, InsertKind, Projection
from projections.rebuild.overlap import BackgroundWriter


@dataclass(frozen=True)
class PendingDocument:
    """A stream document to write; ``written_before`` says whether an earlier flush wrote an
    older version of it (an insert suffices otherwise)."""

    stream_id: str
    stream_type: str
    doc: Document
    written_before: bool


class GenerationStore(Protocol):
    """Where a builder writes: one generation's collections or indices."""

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        """Documents of ``streams`` (stream id -> stream type) written earlier; absent omitted."""
        ...

    def write_documents(self, documents: Sequence[PendingDocument]) -> None:
        """Write stream documents (insert, or replace the older version written before)."""
        ...

    def write_inserts(self, inserts: Sequence[tuple[InsertKind, Document]]) -> None:
        """Write insert-once lines; a line already there is left alone."""
        ...

    def finish(self) -> None:
        """Make everything written visible to readers (e.g. an Elasticsearch refresh)."""
        ...


@dataclass
class BuildStats:
    events: int = 0
    applied: int = 0
    skipped: int = 0
    documents_written: int = 0
    lines_written: int = 0
    rejected: list[tuple[Envelope, Exception]] = field(default_factory=list)


class GenerationBuilder:
    """Write-behind fold of event batches into ``store`` (the generation's only writer)."""

    def __init__(
        self,
        store: GenerationStore,
        projection: Projection,
        max_cached: int = 200_000,
        *,
        load_missing: bool = False,
        overlap_writes: bool = False,
    ) -> None:
        """``load_missing``: ask the store for every stream not in memory (a builder that starts
        from an existing state); otherwise only for streams it evicted itself.
        ``overlap_writes``: write on a background thread while the next batch is folded
        (``projections.rebuild.overlap``); ``flush`` waits for the writes, ``close`` ends the
        thread."""
        self._store = store
        self._writer = BackgroundWriter(f"{projection.name}-writer") if overlap_writes else None
        self._projection = projection
        self._max_cached = max(1, max_cached)
        self._load_missing = load_missing
        # stream id -> (stream type, document); the most recently changed go last.
        self._docs: OrderedDict[str, tuple[str, Document]] = OrderedDict()
        # Changed since last written (insertion-ordered, used as an ordered set).
        self._dirty: dict[str, None] = {}
        self._written: set[str] = set()
        self._evicted = False
        self.stats = BuildStats()

    def retarget(self, store: GenerationStore) -> None:
        """Write to ``store`` from now on (flush first). Documents evicted earlier are then
        loaded through ``store`` too, which must return them as this builder left them. Nothing
        is evicted any more: ``store`` cannot give back what this builder wrote after the
        retarget (the tail is short, so the extra memory is small)."""
        self._drain()
        self._store = store
        self._max_cached = sys.maxsize

    def close(self, discard: bool = False) -> None:
        """End the background writer (``discard``: skip writes still queued, after a failure)."""
        if self._writer is not None:
            self._writer.close(discard)

    def _submit(self, call: Callable[..., object], *args: object) -> None:
        if self._writer is None:
            call(*args)
        else:
            self._writer.submit(call, *args)

    def _drain(self) -> None:
        if self._writer is not None:
            self._writer.drain()

    @property
    def projection(self) -> Projection:
        return self._projection

    def apply(self, envelopes: Sequence[Envelope]) -> None:
        """Fold one batch (commit order) into the generation."""
        tracked = self._projection.stream_types
        current: dict[str, Document] = {}
        missing: dict[str, str] = {}
        for envelope in envelopes:
            stream_id, stream_type = str(envelope["stream_id"]), envelope["stream_type"]
            if stream_type not in tracked or stream_id in current:
                continue
            cached = self._docs.get(stream_id)
            if cached is not None:
                current[stream_id] = cached[1]
            elif self._load_missing or (self._evicted and stream_id in self._written):
                missing[stream_id] = stream_type
        if missing:
            self._drain()  # an evicted document may still be on its way to the store
            current.update(self._store.load(missing))

        result = fold_batch(envelopes, current, self._projection)
        if result.inserts:
            self._submit(self._store.write_inserts, result.inserts)
            self.stats.lines_written += len(result.inserts)
        for change in result.changes:
            self._docs[change.stream_id] = (change.stream_type, change.doc)
            self._docs.move_to_end(change.stream_id)
            self._dirty[change.stream_id] = None
        self._evict()
        self.stats.events += len(envelopes)
        self.stats.applied += result.applied
        self.stats.skipped += result.skipped
        self.stats.rejected.extend(_rejections(envelopes, result.rejected))

    def flush(self) -> None:
        """Write every stream document changed since the last flush, wait for every write,
        then ``finish``."""
        self._write(list(self._dirty))
        self._drain()
        self._store.finish()

    def _evict(self) -> None:
        if len(self._docs) <= self._max_cached:
            return
        excess = len(self._docs) - self._max_cached
        oldest = [stream_id for stream_id, _ in zip(self._docs, range(excess), strict=False)]
        self._write([stream_id for stream_id in oldest if stream_id in self._dirty])
        for stream_id in oldest:
            del self._docs[stream_id]
        self._evicted = True

    def _write(self, stream_ids: list[str]) -> None:
        if not stream_ids:
            return
        pending = []
        for stream_id in stream_ids:
            stream_type, doc = self._docs[stream_id]
            pending.append(PendingDocument(stream_id, stream_type, doc, stream_id in self._written))
        self._submit(self._store.write_documents, pending)
        self._written.update(stream_ids)
        for stream_id in stream_ids:
            del self._dirty[stream_id]
        self.stats.documents_written += len(pending)


def _rejections(
    envelopes: Sequence[Envelope], rejected: Sequence[Rejected]
) -> list[tuple[Envelope, Exception]]:
    return [(envelopes[r.index], r.error) for r in rejected]

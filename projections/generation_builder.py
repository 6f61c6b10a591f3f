"""Folding the event store into a private read-model generation (rebuilds and verify).

A generation under construction has exactly one writer, this builder, and no reader, so it can
skip what the live projector needs for safety: there are no version-guarded writes and no
reading back of documents. Stream documents are kept in memory and written once, when the
builder is flushed (or earlier, when the bounded cache evicts one: it is then written and read
back on its next event); insert-once lines (statement lines, notifications) are final as soon as
they are folded and are written per batch. The stream-version rules and the projection itself
are the live projector's (``projections.fold``), so a rebuilt generation is what the live
projector would have built from the same events.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from projections.fold import Rejected, fold_batch
from projections.operations import Document, Envelope, InsertKind, Projection


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
        self, store: GenerationStore, projection: Projection, max_cached: int = 200_000
    ) -> None:
        self._store = store
        self._projection = projection
        self._max_cached = max(1, max_cached)
        # stream id -> (stream type, document); the most recently changed go last.
        self._docs: OrderedDict[str, tuple[str, Document]] = OrderedDict()
        self._dirty: set[str] = set()
        self._written: set[str] = set()
        self._evicted = False
        self.stats = BuildStats()

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
            elif self._evicted and stream_id in self._written:
                missing[stream_id] = stream_type
        if missing:
            current.update(self._store.load(missing))

        result = fold_batch(envelopes, current, self._projection)
        if result.inserts:
            self._store.write_inserts(result.inserts)
            self.stats.lines_written += len(result.inserts)
        for change in result.changes:
            self._docs[change.stream_id] = (change.stream_type, change.doc)
            self._docs.move_to_end(change.stream_id)
            self._dirty.add(change.stream_id)
        self._evict()
        self.stats.events += len(envelopes)
        self.stats.applied += result.applied
        self.stats.skipped += result.skipped
        self.stats.rejected.extend(_rejections(envelopes, result.rejected))

    def flush(self) -> None:
        """Write every stream document changed since the last flush, then ``finish``."""
        self._write([stream_id for stream_id in self._docs if stream_id in self._dirty])
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
        self._store.write_documents(pending)
        self._written.update(stream_ids)
        self._dirty.difference_update(stream_ids)
        self.stats.documents_written += len(pending)


def _rejections(
    envelopes: Sequence[Envelope], rejected: Sequence[Rejected]
) -> list[tuple[Envelope, Exception]]:
    return [(envelopes[r.index], r.error) for r in rejected]

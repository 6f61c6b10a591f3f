"""Writing one polled batch into a projector's sink until it settles.

Version gaps and lost write races are waited out before anything is dead-lettered. Right after a
rebuild swapped a fresh generation in (``projections.rebuild``), a document can be behind
this projector -- by the events the rebuild's tail has yet to write -- for a moment. So:
- a write that did not apply because the read model holds another version than the one we
  folded onto (``Sink.write`` conflicts) makes the batch fold again from the read model's
  documents (up to ``MAX_REFOLDS`` times): events the other writer already applied are skipped,
  the rest are applied, and an event the document is now too far behind for shows as a gap
  instead of being committed unwritten;
- a batch with a ``VersionGap`` writes what it can and is folded again with capped backoff
  (nothing committed meanwhile) for up to ``version_gap_patience_s``; only then are the events
  still behind a gap dead-lettered. Such a stream counts as stuck (an earlier event of it was
  dead-lettered, say): its later gaps are dead-lettered at once, without stalling every batch
  again, until one of its events applies again.

Tracing: loading the documents, the fold and the sink write are steps of the batch
(``infra.tracing.batches.batch_step``: ``<projector> load``, ``fold``, ``write``), recorded in
the trace of its first sampled event; every sampled event's own span covers the batch and links
there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import TopicPartition

from infra.tracing.batches import batch_step
from projections.cache import DocumentCache
from projections.fold import FoldResult, fold_batch
from projections.operations import Document, Envelope, Projection, Sink, VersionGap
from projections.retry import Stopped

if TYPE_CHECKING:
    from projections.runner import RunnerConfig, RunnerStats

# Folds of one batch in a row whose writes lost to another writer's newer documents; beyond that
# the batch is committed as before (the other writer's documents win).
MAX_REFOLDS = 5
MAX_STUCK_STREAMS = 10_000

Projected = tuple[FoldResult, set[str]]
# Runs a write step until the sink answers (the runner's retry policy).
Retrying = Callable[[Callable[[], Projected]], Projected]


class BatchWriter:
    """Folds batches onto the current documents (the cache, else the sink) and writes them."""

    def __init__(
        self,
        sink: Sink,
        projection: Projection,
        cache: DocumentCache,
        owned: Callable[[], frozenset[TopicPartition]],
        config: RunnerConfig,
        stats: RunnerStats,
        log: structlog.stdlib.BoundLogger,
    ) -> None:
        self._sink = sink
        self._projection = projection
        self._cache = cache
        self._owned = owned
        self._config = config
        self.stats = stats
        self._log = log
        # Streams whose version gap outlasted the patience (an event of theirs was dead-lettered,
        # say): their later gaps are dead-lettered at once instead of stalling every batch again.
        self._stuck: dict[str, None] = {}

    def write(
        self,
        envelopes: list[Envelope],
        origins: list[ConsumerRecord],
        stop: threading.Event,
        retrying: Retrying,
    ) -> FoldResult:
        """Project the batch until no write lost a race and no version gap is left, or the gap
        patience is exhausted (see the module docstring); ``retrying``
        runs a step until the sink answers. Returns the last fold, with
        ``applied`` counting every pass."""
        applied = 0
        refolds = 0
        gap_deadline: float | None = None
        backoff = self._config.initial_backoff_s
        while True:
            result, conflicts = retrying(lambda: self._project(envelopes, origins))
            applied += result.applied
            if conflicts and refolds < MAX_REFOLDS:
                refolds += 1
                self.stats.refolds += 1
                self._log.info("projector_refolding", streams=len(conflicts), attempt=refolds)
                continue
            gapped = {
                str(envelopes[r.index]["stream_id"])
                for r in result.rejected
                if isinstance(r.error, VersionGap)
            }
            self._forget_stuck(result)
            streams = sorted(gapped - self._stuck.keys())
            if not streams:
                break
            now = time.monotonic()
            if gap_deadline is None:
                gap_deadline = now + self._config.version_gap_patience_s
            if now >= gap_deadline:
                self._log.warning(
                    "projector_version_gap_patience_exhausted",
                    streams=streams,
                    patience_s=self._config.version_gap_patience_s,
                )
                self._stuck.update(dict.fromkeys(streams))
                while len(self._stuck) > MAX_STUCK_STREAMS:
                    del self._stuck[next(iter(self._stuck))]
                break
            self.stats.gap_retries += 1
            wait = min(backoff, gap_deadline - now)
            self._log.warning(
                "projector_waiting_for_version_gap",
                streams=streams,
                retry_in_s=round(wait, 3),
                patience_left_s=round(gap_deadline - now, 3),
            )
            self._cache.discard(streams)
            if stop.wait(wait):
                raise Stopped
            backoff = min(self._config.max_backoff_s, backoff * 2)
        # Events applied by an earlier pass were skipped by the later ones.
        result.skipped = max(0, result.skipped - (applied - result.applied))
        result.applied = applied
        return result

    def _forget_stuck(self, result: FoldResult) -> None:
        """A stuck stream whose events apply again (a rebuild repaired it) is waited for again."""
        if self._stuck:
            for change in result.changes:
                self._stuck.pop(change.stream_id, None)

    def _project(
        self, envelopes: list[Envelope], origins: list[ConsumerRecord]
    ) -> tuple[FoldResult, set[str]]:
        tracked = self._projection.stream_types
        partition_of: dict[str, TopicPartition] = {}
        current: dict[str, Document] = {}
        missing: dict[str, str] = {}
        for envelope, record in zip(envelopes, origins, strict=True):
            stream_id, stream_type = envelope["stream_id"], envelope["stream_type"]
            if stream_type not in tracked or stream_id in partition_of:
                continue
            partition_of[stream_id] = TopicPartition(record.topic, record.partition)
            cached = self._cache.get(stream_id)
            if cached is None:
                missing[stream_id] = stream_type
            else:
                current[stream_id] = cached
        name = self._projection.name
        if missing:
            with batch_step(f"{name} load", {"ledgerline.documents": len(missing)}):
                current.update(self._sink.load(missing))
        with batch_step(f"{name} fold", {"ledgerline.events": len(envelopes)}):
            result = fold_batch(envelopes, current, self._projection)
        with batch_step(
            f"{name} write",
            {"ledgerline.changes": len(result.changes), "ledgerline.inserts": len(result.inserts)},
        ) as spans:
            conflicts = self._sink.write(result)
            for span in spans:
                span.set_attribute("ledgerline.conflicts", len(conflicts))
        # Only after a successful write (the cache must never run ahead of the read model), and
        # only for partitions still ours: a revoked partition's documents are the next owner's.
        owned = self._owned()
        for change in result.changes:
            partition = partition_of[change.stream_id]
            if change.stream_id not in conflicts and partition in owned:
                self._cache.put(change.stream_id, partition, change.doc)
        self._cache.discard(conflicts)
        return result, conflicts

"""Blue/green rebuilds of the read models from the event store (the source of truth, not Kafka).

``rebuild(store, targets, options, observer)``, for one or both read models at once (one pass
over the event store feeds every target):

1. take the read models' locks (``projections.rebuild_guard``); finish any swap an earlier run
   journalled but did not complete (it died between its swap and the end of its tail); drop the
   leftovers of interrupted runs (``projections.generations``);
2. count the events (the progress bar's total), create a fresh generation per target and fold
   the whole store into it in commit order (``read_committed`` from the start), through the
   live projector's own pure folds (``projections.generation_builder``);
3. catch up: read until a read returns nothing, write the buffered documents, and repeat until
   a pass finds no new event, so the generation is at the head of the store when it is swapped;
4. journal the swap (generation + checkpoint), swap (MongoDB ``rename`` with ``dropTarget``,
   Elasticsearch one ``update_aliases`` call; see ``projections.generations``);
5. project the tail: continue ``read_committed`` from the rebuild's checkpoint until a read
   returns nothing, into the now-live names with the live projector's version-guarded sinks.
   The live projector kept writing into the old generation until the swap; whatever it wrote
   there after our checkpoint is gone with the old generation, and the tail writes it again.
   Until the tail lands, the live projector may find a document one or more versions behind an
   event; it waits for that (``RunnerConfig.version_gap_patience_s``) instead of dead-lettering;
6. clear the journal, drop the old generation unless ``keep_old``.

Interruptions: everything before step 4 happens in a generation nobody reads, so an exception,
Ctrl-C or kill -9 there leaves the live read model untouched; an exception or Ctrl-C drops the
new generation at once, a killed run leaves it to the next run's clean-up. Ctrl-C and SIGTERM
are deferred during steps 4-5 (a second one is not); a run killed there leaves its journal row,
and the next run completes that swap and tail before anything else.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

import structlog

from event_store.commit_order import checkpoint_of, read_committed
from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.envelope import to_envelope
from projections.fold import FoldResult, fold_batch
from projections.generation_builder import GenerationBuilder
from projections.generations import RebuildTarget
from projections.operations import Document, Envelope, Projection
from projections.rebuild_guard import PendingSwap, RebuildGuard
from projections.runner import Sink

log = structlog.get_logger(__name__)

# Refolds of one batch whose writes lost a race, before giving up (each one reloads the
# documents that lost, so a second attempt normally succeeds).
MAX_REFOLDS = 10


class RebuildError(Exception):
    """A rebuild could not complete (the message says what state it left)."""


@dataclass(frozen=True)
class RebuildOptions:
    batch_size: int = 2000
    keep_old: bool = False
    # Stream documents kept in memory while building; beyond that the oldest are written early.
    max_cached_documents: int = 200_000


class Observer(Protocol):
    """Progress reporting (the CLI draws a progress bar with it)."""

    def phase(self, name: str, detail: str = "") -> None: ...

    def progress(self, done: int, total: int) -> None: ...


class SilentObserver:
    def phase(self, name: str, detail: str = "") -> None:
        log.info("rebuild_phase", phase=name, detail=detail)

    def progress(self, done: int, total: int) -> None:
        pass


@dataclass
class TargetReport:
    kind: str
    generation: str
    live: list[str]
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    documents: int = 0
    rejected: int = 0


@dataclass
class RebuildReport:
    events: int = 0
    tail_events: int = 0
    seconds: float = 0.0
    recovered: list[str] = field(default_factory=list)
    leftovers_dropped: list[str] = field(default_factory=list)
    targets: list[TargetReport] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class StoreHead:
    events: int
    position: int | None


def store_head(store: EventStore) -> StoreHead:
    """How many events the store holds and the highest position (the progress bar's total)."""
    with store.connection() as conn:
        row = conn.execute(
            b"SELECT count(*), max(position) FROM events WHERE data IS NOT NULL"
        ).fetchone()
    assert row is not None
    return StoreHead(events=int(row[0]), position=None if row[1] is None else int(row[1]))


# -- dry run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetPlan:
    kind: str
    generation: str
    create: list[str]
    swap: list[str]
    drop_after: str
    leftovers: list[str]
    kept: list[str]
    pending: list[str]


@dataclass(frozen=True)
class RebuildPlan:
    head: StoreHead
    batch_size: int
    targets: list[TargetPlan]


def plan_rebuild(
    store: EventStore, targets: Sequence[RebuildTarget], options: RebuildOptions
) -> RebuildPlan:
    """What ``rebuild`` would do now; reads only, changes nothing."""
    guard = RebuildGuard(store)
    plans = []
    for target in targets:
        pending = guard.pending(target.key)
        generation = target.new_generation()
        if options.keep_old:
            drop_after = "nothing: the old generation is kept"
        elif target.kind == "mongo":
            drop_after = "nothing more: the renames dropped the old collections"
        else:
            drop_after = "the indices the aliases pointed to before the swap"
        plans.append(
            TargetPlan(
                kind=target.kind,
                generation=generation,
                create=target.generation_names(generation),
                swap=target.swap_steps(generation, options.keep_old),
                drop_after=drop_after,
                leftovers=target.leftovers(keep=[p.generation for p in pending]),
                kept=target.kept(),
                pending=[f"finish swap of {p.generation} and its tail" for p in pending],
            )
        )
    return RebuildPlan(store_head(store), options.batch_size, plans)


# -- rebuild ----------------------------------------------------------------------------------


@dataclass
class _Build:
    target: RebuildTarget
    generation: str
    builder: GenerationBuilder | None = None


def rebuild(
    store: EventStore,
    targets: Sequence[RebuildTarget],
    options: RebuildOptions = RebuildOptions(),
    observer: Observer | None = None,
) -> RebuildReport:
    """Rebuild ``targets`` (see the module docstring); returns what was done."""
    observer = observer or SilentObserver()
    guard = RebuildGuard(store)
    report = RebuildReport()
    started = time.monotonic()
    with guard.locked([target.key for target in targets]):
        for target in targets:
            for swap in guard.pending(target.key):
                observer.phase("recovering", f"{target.kind}: finishing swap of {swap.generation}")
                finish_swap(store, target, swap, guard, options.batch_size)
                report.recovered.append(f"{target.kind} {swap.generation}")
        for target in targets:
            leftovers = target.leftovers()
            if leftovers:
                observer.phase("cleaning", ", ".join(leftovers))
                target.drop(leftovers)
                report.leftovers_dropped.extend(leftovers)

        builds = [_Build(target, target.new_generation()) for target in targets]
        checkpoint = _build_generations(store, builds, options, observer, report)

        swaps = [
            PendingSwap(build.target.key, build.generation, options.keep_old, checkpoint)
            for build in builds
        ]
        with _interrupts_deferred():
            for swap in swaps:
                guard.record(swap)
            old: list[list[str]] = []
            for build in builds:
                observer.phase("swapping", f"{build.target.kind}: {build.generation}")
                old.append(build.target.swap(build.generation, options.keep_old))
                log.info("rebuild_swapped", target=build.target.key, generation=build.generation)
            observer.phase("tail", "projecting events that arrived during the rebuild")
            _, report.tail_events = project_tail(
                store,
                [(build.target.projection, build.target.live_sink()) for build in builds],
                checkpoint,
                options.batch_size,
            )
            for swap in swaps:
                guard.clear(swap)

        for build, old_names in zip(builds, old, strict=True):
            assert build.builder is not None
            target_report = TargetReport(
                kind=build.target.kind,
                generation=build.generation,
                live=build.target.live_names(),
                documents=build.builder.stats.documents_written + build.builder.stats.lines_written,
                rejected=len(build.builder.stats.rejected),
            )
            if options.keep_old:
                target_report.kept = build.target.kept()
            elif old_names:
                observer.phase("dropping", ", ".join(old_names))
                build.target.drop(old_names)
                target_report.dropped = old_names
            report.targets.append(target_report)
    report.seconds = time.monotonic() - started
    log.info(
        "rebuild_done",
        events=report.events,
        tail_events=report.tail_events,
        seconds=round(report.seconds, 3),
        targets=[build.target.key for build in builds],
    )
    return report


def _build_generations(
    store: EventStore,
    builds: Sequence[_Build],
    options: RebuildOptions,
    observer: Observer,
    report: RebuildReport,
) -> Checkpoint:
    """Create and fill the new generations up to the head of the store; on any failure drop
    them (they were never visible) and re-raise. Returns the checkpoint they reached."""
    try:
        builders = []
        for build in builds:
            observer.phase("creating", ", ".join(build.target.generation_names(build.generation)))
            store_ = build.target.create(build.generation)
            build.builder = GenerationBuilder(
                store_, build.target.projection, options.max_cached_documents
            )
            builders.append(build.builder)
        total = store_head(store).events
        observer.phase("building", f"{total} events")
        checkpoint, report.events = fold_into(
            store, builders, Checkpoint(), options.batch_size, observer, total
        )
        # Writing buffered documents takes a while and events keep arriving: catch up until a
        # pass over the store finds nothing new, so the swap happens at the head.
        while True:
            observer.phase("writing", "stream documents")
            for builder in builders:
                builder.flush()
            checkpoint, more = fold_into(
                store, builders, checkpoint, options.batch_size, observer, total, report.events
            )
            report.events += more
            if more == 0:
                return checkpoint
    except BaseException:
        for build in builds:
            with contextlib.suppress(Exception):
                build.target.drop(build.target.generation_names(build.generation))
        raise


def fold_into(
    store: EventStore,
    builders: Sequence[GenerationBuilder],
    after: Checkpoint,
    batch_size: int,
    observer: Observer | None = None,
    total: int = 0,
    done: int = 0,
) -> tuple[Checkpoint, int]:
    """Read from ``after`` until a read returns nothing, folding every batch into every
    builder. Returns the last checkpoint and how many events were read."""
    read = 0
    while True:
        events = read_committed(store, after, batch_size)
        if not events:
            return after, read
        envelopes = [to_envelope(event) for event in events]
        for builder in builders:
            builder.apply(envelopes)
        after = checkpoint_of(events[-1])
        read += len(events)
        if observer is not None:
            observer.progress(done + read, max(total, done + read))


# -- tail and recovery ------------------------------------------------------------------------


def project_tail(
    store: EventStore,
    sinks: Sequence[tuple[Projection, Sink]],
    after: Checkpoint,
    batch_size: int,
) -> tuple[Checkpoint, int]:
    """Project every event after ``after`` into live sinks, until a read returns nothing."""
    read = 0
    while True:
        events = read_committed(store, after, batch_size)
        if not events:
            return after, read
        envelopes = [to_envelope(event) for event in events]
        for projection, sink in sinks:
            result = apply_live(sink, projection, envelopes)
            for rejected in result.rejected:
                envelope = envelopes[rejected.index]
                log.warning(
                    "rebuild_tail_event_rejected",
                    projection=projection.name,
                    event_id=envelope.get("event_id"),
                    event_type=envelope.get("type"),
                    error=repr(rejected.error),
                )
        after = checkpoint_of(events[-1])
        read += len(events)


def apply_live(sink: Sink, projection: Projection, envelopes: list[Envelope]) -> FoldResult:
    """Fold a batch onto the live documents and write it with the sink's version guards. A
    write that loses to a newer document (the live projector's) is folded again from that
    document, so no event of the batch is left out."""
    streams = {
        str(e["stream_id"]): str(e["stream_type"])
        for e in envelopes
        if e["stream_type"] in projection.stream_types
    }
    current: dict[str, Document] = sink.load(streams)
    for _ in range(MAX_REFOLDS):
        result = fold_batch(envelopes, current, projection)
        conflicts = sink.write(result)
        if not conflicts:
            return result
        current.update(sink.load({sid: streams[sid] for sid in conflicts if sid in streams}))
        for change in result.changes:
            if change.stream_id not in conflicts:
                current[change.stream_id] = change.doc
    raise RebuildError(f"{projection.name}: writes kept losing races with the live projector")


def finish_swap(
    store: EventStore,
    target: RebuildTarget,
    swap: PendingSwap,
    guard: RebuildGuard,
    batch_size: int,
) -> None:
    """Complete a journalled swap (idempotent) and its tail, then drop the old generation."""
    log.warning("rebuild_recovering", target=swap.key, generation=swap.generation)
    with _interrupts_deferred():
        old = target.swap(swap.generation, swap.keep_old)
        project_tail(store, [(target.projection, target.live_sink())], swap.checkpoint, batch_size)
        guard.clear(swap)
    if old and not swap.keep_old:
        target.drop(old)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM while a swap and its tail run (main thread only: signal
    handlers cannot be set elsewhere). A second signal interrupts anyway; the journal lets the
    next run finish the job."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def defer(signum: int, frame: FrameType | None) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        log.warning("rebuild_interrupt_deferred", signal=signum)

    previous: dict[signal.Signals, Any] = {}
    for which in (signal.SIGINT, signal.SIGTERM):
        previous[which] = signal.signal(which, defer)
    try:
        yield
    finally:
        for which, handler in previous.items():
            signal.signal(which, handler)
    if received:
        raise KeyboardInterrupt

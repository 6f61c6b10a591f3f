"""Blue/green rebuilds of the read models from the event store (the source of truth, not Kafka).

``rebuild(store, targets, options, observer)``, for one or both read models at once (one pass
over the event store feeds every target):

1. take the read models' locks (``projections.rebuild.guard``); finish any swap an earlier run
   journalled but did not complete (it died between its swap and the end of its tail); drop the
   leftovers of interrupted runs (``targets``);
2. count the events (the progress bar's total), create a fresh generation per target (without
   secondary indexes) and fold
   the whole store into it in commit order from the start (``read_committed``; only the stream
   types the targets project, see ``projections.rebuild.source``), through the live projector's
   own pure folds (``projections.rebuild.builder``), reading, folding and writing overlapped
   (``projections.rebuild.overlap``);
3. catch up: read until a read comes back short of a batch (the head of the store as of that
   read), write the buffered documents, and repeat until a pass finds less than one batch, so
   the generation is within a batch of the head when it is swapped. Passes never wait for a
   read that returns nothing: on a busy store events arrive faster than a pass ends, and
   waiting for silence would never swap. Then index the generation and make it durable
   (``RebuildTarget.seal``);
4. journal the swap (generation + checkpoint), swap (MongoDB ``rename`` with ``dropTarget``,
   Elasticsearch one ``update_aliases`` call; see ``mongo_target`` and ``search_target``);
5. project the tail: read from the rebuild's checkpoint until a read comes back short, into the
   now-live names. That read started after the swap, so it covers every event the relay could
   have published before the swap (the relay reads below the same commit horizon). The live
   projector kept writing into the old generation until the swap; whatever it wrote there after
   our checkpoint (documents and insert-once lines) is gone with the old generation, and the
   tail writes it again. The tail folds onto the rebuild's own state, not onto the live
   documents, so it produces every tail event's lines even where the live projector has already
   advanced the stream document in the new generation; documents are written only where newer
   than the live ones (``RebuildTarget.live_store``). Until the tail lands, the live projector
   may find a document one or more versions behind an event; it waits for that
   (``RunnerConfig.version_gap_patience_s``) instead of dead-lettering;
6. clear the journal, drop the old generation unless ``keep_old``.

When nothing else runs (a restore), ``projections.rebuild.offline`` does without generations,
swap and tail.

Interruptions: everything before step 4 happens in a generation nobody reads, so an exception,
Ctrl-C or kill -9 there leaves the live read model untouched; an exception or Ctrl-C drops the
new generation at once, a killed run leaves it to the next run's clean-up. Ctrl-C and SIGTERM
are deferred during steps 4-5 (a second one is not); a run killed there leaves its journal row,
and the next run completes that swap and tail before anything else.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import structlog

from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.rebuild.builder import GenerationBuilder
from projections.rebuild.guard import PendingSwap, RebuildGuard
from projections.rebuild.replay import (
    Observer,
    SilentObserver,
    catch_up,
    fold_into,
    project_tail,
    state_at,
)
from projections.rebuild.source import ReplaySource, StoreHead
from projections.rebuild.targets import RebuildTarget

log = structlog.get_logger(__name__)


class RebuildError(Exception):
    """A rebuild could not complete (the message says what state it left)."""


@dataclass(frozen=True)
class RebuildOptions:
    batch_size: int = 2000
    keep_old: bool = False
    # Stream documents kept in memory while building; beyond that the oldest are written early.
    max_cached_documents: int = 200_000


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
    stream_types: frozenset[str] | None  # None: every event is read


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
    source = ReplaySource.for_projections(store, [target.projection for target in targets])
    return RebuildPlan(source.head(), options.batch_size, plans, source.stream_types)


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
    source = ReplaySource.for_projections(store, [target.projection for target in targets])
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
        try:
            checkpoint = _build_generations(source, builds, options, observer, report)
            old = _swap_and_tail(source, guard, builds, checkpoint, options, observer, report)
            for build, old_names in zip(builds, old, strict=True):
                report.targets.append(_finish(build, old_names, options, observer))
        finally:
            for build in builds:
                if build.builder is not None:
                    build.builder.close()
    report.seconds = time.monotonic() - started
    log.info(
        "rebuild_done",
        events=report.events,
        tail_events=report.tail_events,
        seconds=round(report.seconds, 3),
        targets=[target.key for target in targets],
    )
    return report


def _swap_and_tail(
    source: ReplaySource,
    guard: RebuildGuard,
    builds: Sequence[_Build],
    checkpoint: Checkpoint,
    options: RebuildOptions,
    observer: Observer,
    report: RebuildReport,
) -> list[list[str]]:
    """Journal, swap every target, project the tail, clear the journal. Returns each target's
    old generation still to drop."""
    swaps = [
        PendingSwap(build.target.key, build.generation, options.keep_old, checkpoint)
        for build in builds
    ]
    with _interrupts_deferred():
        for swap in swaps:
            guard.record(swap)
        try:
            old: list[list[str]] = []
            for build in builds:
                observer.phase("swapping", f"{build.target.kind}: {build.generation}")
                old.append(build.target.swap(build.generation, options.keep_old))
                log.info("rebuild_swapped", target=build.target.key, generation=build.generation)
            observer.phase("tail", "projecting events that arrived during the rebuild")
            tail_builders = []
            for build in builds:
                assert build.builder is not None
                loader = state_at(source.store, checkpoint, build.target.projection)
                build.builder.retarget(build.target.live_store(loader))
                tail_builders.append(build.builder)
            _, report.tail_events = project_tail(
                source, tail_builders, checkpoint, options.batch_size
            )
        except Exception as error:
            cause = (str(error).strip().splitlines() or [""])[0]
            raise RebuildError(
                f"the rebuild stopped while swapping in {', '.join(s.generation for s in swaps)} "
                "or projecting the events that arrived meanwhile; run it again to finish "
                f"({type(error).__name__}: {cause})"
            ) from error
        for swap in swaps:
            guard.clear(swap)
    return old


def _finish(
    build: _Build, old_names: list[str], options: RebuildOptions, observer: Observer
) -> TargetReport:
    """Drop (or keep) the old generation; what this target's rebuild did."""
    assert build.builder is not None
    stats = build.builder.stats
    done = TargetReport(
        kind=build.target.kind,
        generation=build.generation,
        live=build.target.live_names(),
        documents=stats.documents_written + stats.lines_written,
        rejected=len(stats.rejected),
    )
    if options.keep_old:
        done.kept = build.target.kept()
    elif old_names:
        observer.phase("dropping", ", ".join(old_names))
        build.target.drop(old_names)
        done.dropped = old_names
    return done


def _build_generations(
    source: ReplaySource,
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
                store_,
                build.target.projection,
                options.max_cached_documents,
                overlap_writes=True,
            )
            builders.append(build.builder)
        total = source.head().events
        observer.phase("building", f"{total} events")
        checkpoint, report.events = fold_into(
            source, builders, Checkpoint(), options.batch_size, observer, total
        )
        observer.phase("writing", "stream documents")
        checkpoint, more = catch_up(
            source, builders, checkpoint, options.batch_size, observer, total, report.events
        )
        report.events += more
        for build in builds:
            # Indexes and durability once, after the load (see ``targets``); events that arrive
            # meanwhile are the tail's.
            observer.phase("indexing", ", ".join(build.target.generation_names(build.generation)))
            build.target.seal(build.generation)
        return checkpoint
    except BaseException:
        for build in builds:
            with contextlib.suppress(Exception):
                if build.builder is not None:
                    build.builder.close(discard=True)
                build.target.drop(build.target.generation_names(build.generation))
        raise


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
        loader = state_at(store, swap.checkpoint, target.projection)
        # Unbounded: the loader gives states as of the checkpoint, not of this builder's progress.
        builder = GenerationBuilder(
            target.live_store(loader), target.projection, sys.maxsize, load_missing=True
        )
        source = ReplaySource.for_projections(store, [target.projection])
        project_tail(source, [builder], swap.checkpoint, batch_size)
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

"""Offline rebuilds: the read models replaced in place while nothing else uses them.

A restore (``ledgerline backup restore``) replaces every read model wholesale while every
Ledgerline process is stopped, and ``ledgerline projections rebuild --offline`` does the same for
an operator. Nobody reads the read models or writes them meanwhile, so the blue/green machinery of
``projections.rebuild.run`` buys nothing there and costs a lot on the MongoDB stand-in, whose
rename copies a collection (15 s of a 60 s rebuild at 100,000 events, growing with the size).
``rebuild_offline``:

1. takes the same locks as an online rebuild (``projections.rebuild.guard``), drops the leftovers
   of interrupted runs, and forgets journalled swaps of interrupted online rebuilds: their tails
   would only re-project events this rebuild folds anyway;
2. drops the live model and builds straight into the live names (``RebuildTarget.replace_live``:
   MongoDB collections without secondary indexes, written unjournaled; Elasticsearch a new
   generation that holds the aliases from the start, an alias move being free there);
3. folds the whole store through the live projector's pure folds, as an online rebuild does, and
   catches up until a read comes back short of a batch;
4. indexes what it built and makes it durable (``RebuildTarget.seal``: the index builds, then
   one journaled write) before it reports success.

Safe only while no projector, API or other writer of the read models runs: readers would see a
half-built model, and a live projector writing into it would collide with the bulk load. The
callers check (the restore and the CLI refuse while Ledgerline processes are running). An offline
rebuild that dies leaves a partial read model: run it again (it drops and rebuilds), or run an
online rebuild.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import structlog

from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.rebuild.builder import GenerationBuilder
from projections.rebuild.guard import RebuildGuard
from projections.rebuild.replay import Observer, SilentObserver, catch_up, fold_into
from projections.rebuild.run import RebuildOptions, RebuildReport, TargetReport
from projections.rebuild.source import ReplaySource
from projections.rebuild.targets import RebuildTarget

log = structlog.get_logger(__name__)

OFFLINE = "offline"  # the generation label of an offline rebuild's report: the live names


def rebuild_offline(
    store: EventStore,
    targets: Sequence[RebuildTarget],
    options: RebuildOptions = RebuildOptions(),
    observer: Observer | None = None,
) -> RebuildReport:
    """Replace ``targets`` by the fold of the event store, in place (see the module docstring).
    ``options.keep_old`` is refused: there is no old generation to keep."""
    if options.keep_old:
        raise ValueError("an offline rebuild replaces the live model and cannot keep it")
    observer = observer or SilentObserver()
    guard = RebuildGuard(store)
    source = ReplaySource.for_projections(store, [target.projection for target in targets])
    report = RebuildReport()
    started = time.monotonic()
    with guard.locked([target.key for target in targets]):
        for target in targets:
            for swap in guard.pending(target.key):
                guard.clear(swap)
                log.warning(
                    "rebuild_offline_forgot_swap", target=swap.key, generation=swap.generation
                )
            leftovers = target.leftovers()
            if leftovers:
                observer.phase("cleaning", ", ".join(leftovers))
                target.drop(leftovers)
                report.leftovers_dropped.extend(leftovers)

        builders: list[GenerationBuilder] = []
        dropped: list[list[str]] = []
        try:
            for target in targets:
                observer.phase("replacing", ", ".join(target.live_names()))
                store_, old = target.replace_live()
                dropped.append(old)
                builders.append(
                    GenerationBuilder(
                        store_,
                        target.projection,
                        options.max_cached_documents,
                        overlap_writes=True,
                    )
                )
            total = source.head().events
            observer.phase("building", f"{total} events")
            checkpoint, report.events = fold_into(
                source, builders, Checkpoint(), options.batch_size, observer, total
            )
            observer.phase("writing", "stream documents")
            _, more = catch_up(
                source, builders, checkpoint, options.batch_size, observer, total, report.events
            )
            report.events += more
            for target in targets:
                observer.phase("indexing", ", ".join(target.live_names()))
                target.seal(None)
        except BaseException:
            for builder in builders:  # skip queued writes: the run is lost, rerun it
                with contextlib.suppress(Exception):
                    builder.close(discard=True)
            raise
        for builder in builders:
            builder.close()
        for target, builder, old in zip(targets, builders, dropped, strict=True):
            stats = builder.stats
            report.targets.append(
                TargetReport(
                    kind=target.kind,
                    generation=OFFLINE,
                    live=target.live_names(),
                    dropped=old,
                    documents=stats.documents_written + stats.lines_written,
                    rejected=len(stats.rejected),
                )
            )
    report.seconds = time.monotonic() - started
    log.info(
        "rebuild_done",
        offline=True,
        events=report.events,
        seconds=round(report.seconds, 3),
        targets=[target.key for target in targets],
    )
    return report

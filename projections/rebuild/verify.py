"""Consistency check of the live read models against the event store.

``verify(store, targets, options)`` folds the whole event store into a scratch generation of
each target (the rebuild's builder, ``projections.rebuild.builder``; never swapped in,
always dropped at the end, also on failure) and compares it document by document with the live
model:

- a stream document present on both sides at the same version must be equal field by field:
  anything else is a difference at once (same events, same pure fold);
- a document at different versions on the two sides, present on one side only, or an
  insert-once line (statement line, notification) on one side only may just be in flight: the
  live projector is behind (or ahead of the scratch, for events that arrived after the scratch's
  last read). These are re-checked after catching the scratch up to the head of the store, until
  they agree or ``settle_s`` has passed; what still disagrees then is reported.

Values are compared after normalising representations that differ without meaning (an integral
float and an int, a datetime and its RFC 3339 text). The live model is only read. Both sides of
one read model are held in memory while they are compared (a few hundred bytes per document).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from event_store.records import Checkpoint
from event_store.store import EventStore
from projections.operations import Document
from projections.rebuild.builder import GenerationBuilder
from projections.rebuild.guard import RebuildGuard
from projections.rebuild.replay import Observer, SilentObserver, catch_up, fold_into
from projections.rebuild.source import ReplaySource
from projections.rebuild.targets import RebuildTarget

log = structlog.get_logger(__name__)

ABSENT = "(absent)"
WHOLE_DOCUMENT = "(document)"


@dataclass(frozen=True)
class VerifyOptions:
    batch_size: int = 2000
    # How long documents that may be in flight are re-checked before they count as different.
    settle_s: float = 10.0
    recheck_interval_s: float = 0.25
    max_cached_documents: int = 200_000


@dataclass(frozen=True)
class Difference:
    target: str
    collection: str
    id: str
    field: str
    live: Any
    rebuilt: Any


@dataclass
class VerifyReport:
    events: int = 0
    compared: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    rejected: int = 0
    seconds: float = 0.0
    pending_swaps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


@dataclass
class _Scratch:
    target: RebuildTarget
    generation: str
    builder: GenerationBuilder


def verify(
    store: EventStore,
    targets: Sequence[RebuildTarget],
    options: VerifyOptions = VerifyOptions(),
    observer: Observer | None = None,
) -> VerifyReport:
    """Compare ``targets`` with a fresh fold of the event store (see the module docstring)."""
    observer = observer or SilentObserver()
    guard = RebuildGuard(store)
    source = ReplaySource.for_projections(store, [target.projection for target in targets])
    report = VerifyReport()
    started = time.monotonic()
    with guard.locked([target.key for target in targets]):
        scratches: list[_Scratch] = []
        try:
            for target in targets:
                pending = guard.pending(target.key)
                report.pending_swaps += [f"{target.kind} {p.generation}" for p in pending]
                leftovers = target.leftovers(keep=[p.generation for p in pending])
                if leftovers:
                    observer.phase("cleaning", ", ".join(leftovers))
                    target.drop(leftovers)
                generation = target.new_generation()
                observer.phase("creating", ", ".join(target.generation_names(generation)))
                builder = GenerationBuilder(
                    target.create(generation),
                    target.projection,
                    options.max_cached_documents,
                    overlap_writes=True,
                )
                scratches.append(_Scratch(target, generation, builder))
            builders = [scratch.builder for scratch in scratches]
            total = source.head().events
            observer.phase("building", f"{total} events")
            checkpoint, report.events = fold_into(
                source, builders, Checkpoint(), options.batch_size, observer, total
            )
            checkpoint, more = catch_up(source, builders, checkpoint, options.batch_size)
            report.events += more
            observer.phase("comparing", "")
            suspects: dict[tuple[int, str], set[str]] = {}
            for number, scratch in enumerate(scratches):
                live = scratch.target.read_all(None)
                rebuilt = scratch.target.read_all(scratch.generation)
                for label in scratch.target.labels():
                    name = f"{scratch.target.kind}.{label}"
                    report.compared[name] = len(rebuilt[label].keys() | live[label].keys())
                    ids, found = _compare(scratch.target.kind, label, live[label], rebuilt[label])
                    report.differences += found
                    if ids:
                        suspects[(number, label)] = ids
            report.differences += _settle(
                source, scratches, suspects, checkpoint, options, observer
            )
            report.rejected = sum(len(s.builder.stats.rejected) for s in scratches)
        finally:
            for scratch in scratches:
                with contextlib.suppress(Exception):
                    scratch.builder.close(discard=True)
                    scratch.target.drop(scratch.target.generation_names(scratch.generation))
    report.differences.sort(key=lambda d: (d.target, d.collection, d.id, d.field))
    report.seconds = time.monotonic() - started
    log.info(
        "verify_done",
        events=report.events,
        differences=len(report.differences),
        seconds=round(report.seconds, 3),
    )
    return report


def _settle(
    source: ReplaySource,
    scratches: Sequence[_Scratch],
    suspects: dict[tuple[int, str], set[str]],
    checkpoint: Checkpoint,
    options: VerifyOptions,
    observer: Observer,
) -> list[Difference]:
    """Re-check documents that may be in flight until they agree or time is up; returns the
    differences that remain."""
    deadline = time.monotonic() + options.settle_s
    found: list[Difference] = []
    while suspects and time.monotonic() < deadline:
        observer.phase("rechecking", f"{sum(map(len, suspects.values()))} documents in flight")
        time.sleep(options.recheck_interval_s)  # give the live projector time to catch up
        checkpoint, _ = catch_up(
            source, [s.builder for s in scratches], checkpoint, options.batch_size
        )
        suspects, settled_differently = _recheck(scratches, suspects)
        found += settled_differently
    if suspects:
        _, unsettled = _recheck(scratches, suspects, final=True)
        found += unsettled
    return found


def _recheck(
    scratches: Sequence[_Scratch],
    suspects: dict[tuple[int, str], set[str]],
    final: bool = False,
) -> tuple[dict[tuple[int, str], set[str]], list[Difference]]:
    still: dict[tuple[int, str], set[str]] = {}
    differences: list[Difference] = []
    for (number, label), ids in suspects.items():
        scratch = scratches[number]
        live = scratch.target.read_some(None, label, ids)
        rebuilt = scratch.target.read_some(scratch.generation, label, ids)
        unsettled, found = _compare(
            scratch.target.kind, label, live, rebuilt, ids=ids, report_unsettled=final
        )
        differences += found
        if unsettled:
            still[(number, label)] = unsettled
    return still, differences


def _compare(
    kind: str,
    label: str,
    live: Mapping[str, Document],
    rebuilt: Mapping[str, Document],
    ids: Iterable[str] | None = None,
    report_unsettled: bool = False,
) -> tuple[set[str], list[Difference]]:
    """Documents that may be in flight (unless ``report_unsettled``: then they are reported
    too), and the differences found."""
    unsettled: set[str] = set()
    differences: list[Difference] = []
    for id in sorted(ids if ids is not None else live.keys() | rebuilt.keys()):
        ours, theirs = live.get(id), rebuilt.get(id)
        if ours is None and theirs is None:
            continue
        if ours is None or theirs is None:
            if report_unsettled:
                differences.append(
                    Difference(
                        kind,
                        label,
                        id,
                        WHOLE_DOCUMENT,
                        ABSENT if ours is None else "present",
                        ABSENT if theirs is None else "present",
                    )
                )
            else:
                unsettled.add(id)
            continue
        fields = field_differences(ours, theirs)
        if not fields:
            continue
        if ours.get("version") != theirs.get("version") and not report_unsettled:
            unsettled.add(id)
            continue
        differences += [Difference(kind, label, id, name, a, b) for name, a, b in fields]
    return unsettled, differences


def field_differences(live: Document, rebuilt: Document) -> list[tuple[str, Any, Any]]:
    """(field, live value, rebuilt value) of every field whose values differ in meaning."""
    found = []
    for name in sorted(live.keys() | rebuilt.keys()):
        a = normalised(live.get(name, ABSENT))
        b = normalised(rebuilt.get(name, ABSENT))
        if a != b:
            found.append((name, live.get(name, ABSENT), rebuilt.get(name, ABSENT)))
    return found


def normalised(value: Any) -> Any:
    """``value`` without representation-only differences."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return int(value)  # bson Int64 -> int
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalised(item) for item in value]
    return value

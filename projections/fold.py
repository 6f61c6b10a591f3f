"""Folding a batch of events into read-model changes: pure, shared by live projectors and
rebuilds.

Given the batch's envelopes and the current documents of their streams, apply the stream-version
rules and the projection, event by event, per stream in version order:
- version <= the document's version: a duplicate or replay, skipped;
- version == document version + 1 (1 for a stream without a document): projected;
- anything else: a gap (an earlier event is missing, e.g. it was dead-lettered), rejected.
A projection error rejects that one event; the rest of the batch goes on. Rejected events are
reported by their index in the input so the runner can dead-letter the original records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from projections.operations import (
    Document,
    Envelope,
    InsertKind,
    Projection,
    VersionGap,
)


@dataclass(frozen=True)
class StreamChange:
    """A stream's new document; ``loaded_version`` is the version it had when loaded (None: the
    document did not exist), which guards the write against a newer concurrent one."""

    stream_id: str
    stream_type: str
    loaded_version: int | None
    doc: Document


@dataclass(frozen=True)
class Rejected:
    index: int
    error: Exception


@dataclass
class FoldResult:
    changes: list[StreamChange] = field(default_factory=list)
    inserts: list[tuple[InsertKind, Document]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    applied: int = 0
    skipped: int = 0


def fold_batch(
    envelopes: Sequence[Envelope],
    current: Mapping[str, Document],
    projection: Projection,
) -> FoldResult:
    """Fold ``envelopes`` onto ``current`` (stream id -> document, absent streams omitted)."""
    result = FoldResult()
    by_stream: dict[str, list[int]] = {}
    for index, envelope in enumerate(envelopes):
        by_stream.setdefault(str(envelope["stream_id"]), []).append(index)

    for stream_id, indices in by_stream.items():
        stream_type = envelopes[indices[0]]["stream_type"]
        if stream_type not in projection.stream_types:
            _fold_untracked(envelopes, indices, projection, result)
            continue
        loaded = current.get(stream_id)
        doc = loaded
        # A stream's events normally arrive in order; sorting also covers a stream whose events
        # span two partitions after the partition count changed.
        for index in sorted(indices, key=lambda i: int(envelopes[i]["version"])):
            envelope = envelopes[index]
            version = int(envelope["version"])
            have = 0 if doc is None else int(doc["version"])
            if version <= have:
                result.skipped += 1
                continue
            if version != have + 1:
                error = VersionGap(f"stream {stream_id} is at version {have}, event is {version}")
                result.rejected.append(Rejected(index, error))
                continue
            try:
                projected = projection.project(envelope, doc)
            except Exception as error:  # one bad event must not stop the batch: dead-letter it
                result.rejected.append(Rejected(index, error))
                continue
            if projected.doc is not None:
                doc = projected.doc
            result.inserts.extend(projected.inserts)
            result.applied += 1
        if doc is not None and doc is not loaded:
            loaded_version = None if loaded is None else int(loaded["version"])
            result.changes.append(StreamChange(stream_id, stream_type, loaded_version, doc))
    return result


def _fold_untracked(
    envelopes: Sequence[Envelope],
    indices: list[int],
    projection: Projection,
    result: FoldResult,
) -> None:
    """Events of streams without a document here: only inserts count, no version rules."""
    for index in indices:
        try:
            projected = projection.project(envelopes[index], None)
        except Exception as error:
            result.rejected.append(Rejected(index, error))
            continue
        if projected.doc is not None:
            result.rejected.append(
                Rejected(
                    index, ValueError("projection returned a document for an untracked stream")
                )
            )
            continue
        result.inserts.extend(projected.inserts)
        result.applied += 1

"""Types the projectors share: what a pure projection returns, the projection contract, and the
errors that mark an event as poison (dead-lettered) or a sink as temporarily unavailable.

A projection is pure: ``project(envelope, current) -> Projected``. ``current`` is the stream's
document as the read model holds it (None if absent); ``Projected.doc`` is the stream's new full
document and ``Projected.inserts`` are insert-once documents (statement lines, notifications)
keyed by a deterministic ``_id``, each tagged with the logical collection it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from projections.fold import FoldResult

Envelope = dict[str, Any]
Document = dict[str, Any]

# Logical names of insert-once collections; sinks map them to physical names.
InsertKind = Literal["account_entries", "notifications"]


@dataclass(frozen=True)
class Projected:
    """The effect of one event: the stream's new document (None: no change) and inserts."""

    doc: Document | None
    inserts: list[tuple[InsertKind, Document]] = field(default_factory=list)


NOTHING = Projected(None)


@dataclass(frozen=True)
class Projection:
    """A named pure projection.

    ``stream_types`` are the stream types that have a primary document in this read model: the
    runner loads their current documents and applies the stream-version rules to their events.
    Events of other stream types are passed to ``project`` with ``current=None`` and must not
    produce a document (the search projection ignores accounts and transfers that way).
    """

    name: str
    stream_types: frozenset[str]
    project: Callable[[Envelope, Document | None], Projected]


class Sink(Protocol):
    """Where a projector writes: the read model of one projection."""

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        """Current documents of ``streams`` (stream id -> stream type); absent ones omitted."""
        ...

    def write(self, result: FoldResult) -> set[str]:
        """Apply a folded batch; return the stream ids whose document write did not apply."""
        ...


class ProjectionError(ValueError):
    """This event cannot be projected; it goes to the dead-letter topic (poison)."""


class UnknownEventType(ProjectionError):
    """An event type the projection does not know."""


class VersionGap(ProjectionError):
    """The event is not the next version of its stream's document: an earlier event is missing
    (typically because it was dead-lettered), so applying this one would corrupt the document."""


class SinkUnavailable(Exception):
    """The read-model server did not answer (or asked us to back off); retry the same batch."""

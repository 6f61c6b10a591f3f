"""A command's unit of work: the aggregates it loaded or created, and the unique values it claims
or releases. The bus appends everything the session collected in one transaction."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate

from commands.aggregate_cache import AggregateCache
from commands.errors import NotFound, VersionMismatch
from commands.event_mapping import reconstruct
from event_store.records import UniqueClaim
from event_store.store import EventStore

A = TypeVar("A", bound=Aggregate)


class Session:
    """Loads aggregates once per command and tracks what must be saved."""

    def __init__(
        self,
        store: EventStore,
        *,
        expected_version: int | None = None,
        cache: AggregateCache | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._expected_version = expected_version
        self._aggregates: dict[UUID, Aggregate] = {}
        self.claims: list[UniqueClaim] = []
        self.releases: list[UniqueClaim] = []
        # Whose personal data starts (gets a key) or is forgotten (key deleted) with this command.
        self.new_subjects: list[UUID] = []
        self.forgotten_subjects: list[UUID] = []

    def get(self, kind: type[A], aggregate_id: UUID, *, addressed: bool = False) -> A:
        """Load an aggregate; ``addressed`` marks the one the request names, whose version the
        caller may pin with ``If-Match``."""
        aggregate = self._aggregates.get(aggregate_id) or self._load(aggregate_id)
        if not isinstance(aggregate, kind):
            raise NotFound(kind.__name__, aggregate_id)
        expected = self._expected_version
        if addressed and expected is not None and aggregate.version != expected:
            raise VersionMismatch(expected, aggregate.version)
        self._aggregates[aggregate_id] = aggregate
        return aggregate

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        cached = self._cache.get(aggregate_id) if self._cache is not None else None
        after = 0 if cached is None else cached.version
        return reconstruct(self._store.read_stream(aggregate_id, after_version=after), cached)

    def aggregates(self) -> list[Aggregate]:
        return list(self._aggregates.values())

    def add(self, aggregate: Aggregate) -> None:
        self._aggregates[aggregate.id] = aggregate

    def claim(self, kind: str, value: str, owner_id: UUID) -> None:
        self.claims.append(UniqueClaim(kind, value, owner_id))

    def release(self, kind: str, value: str, owner_id: UUID) -> None:
        self.releases.append(UniqueClaim(kind, value, owner_id))

    def collect_events(self) -> list[CanMutateAggregate[UUID]]:
        """Every new event of every tracked aggregate, in the order the aggregates joined."""
        events: list[CanMutateAggregate[UUID]] = []
        for aggregate in self._aggregates.values():
            events.extend(aggregate.collect_events())
        return events

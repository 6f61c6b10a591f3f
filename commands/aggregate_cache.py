"""Recently saved aggregates, kept per process so a command replays only the events written
since the cached version (by this or any other process) instead of the whole stream.

A stale entry is harmless: the session always reads the events after the cached version, and the
append's version check rejects anything decided on old state. Entries are deep copies because
handlers mutate what they load, and a refused command must leave no half-applied change behind.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from uuid import UUID

from eventsourcing.domain import Aggregate


class AggregateCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        with self._lock:
            cached = self._entries.get(aggregate_id)
            if cached is None:
                return None
            self._entries.move_to_end(aggregate_id)
        return copy.deepcopy(cached)

    def put(self, aggregate: Aggregate) -> None:
        snapshot = copy.deepcopy(aggregate)
        with self._lock:
            current = self._entries.get(aggregate.id)
            if current is not None and current.version > snapshot.version:
                return  # a concurrent command already cached a newer state
            self._entries[aggregate.id] = snapshot
            self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

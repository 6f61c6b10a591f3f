"""Facts the notifier needs that an event does not carry, read from the event store and cached:
who owns an account, and what a payment's authorization said. Both are fixed by a stream's
first event, so a cached answer never goes stale."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from event_store.store import EventStore
from projections.notifier.public_events import PaymentFacts, payment_facts


class StreamFacts:
    def __init__(self, store: EventStore, cache_entries: int = 100_000) -> None:
        self._store = store
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_entries = cache_entries

    def remember_payment(self, payment_id: str, data: dict[str, Any]) -> None:
        self._put(payment_id, payment_facts(data))

    def load(self, stream_ids: Iterable[str]) -> None:
        """Read the first event of every stream not cached yet, in one query."""
        missing = sorted({sid for sid in stream_ids if sid not in self._cache})
        if not missing:
            return
        with self._store.connection() as conn:
            rows = conn.execute(
                b"SELECT stream_id::text, type, data FROM events"
                b" WHERE stream_id = ANY(%s::uuid[]) AND version = 1",
                (missing,),
            ).fetchall()
        for stream_id, event_type, data in rows:
            if event_type == "AccountOpened":
                self._put(stream_id, str(data["owner_id"]))
            elif event_type == "PaymentAuthorized":
                self._put(stream_id, payment_facts(data))

    def owner_of(self, account_id: str) -> str | None:
        value = self._cache.get(account_id)
        return value if isinstance(value, str) else None

    def payment(self, payment_id: str) -> PaymentFacts | None:
        value = self._cache.get(payment_id)
        return value if isinstance(value, PaymentFacts) else None

    def _put(self, key: str, value: Any) -> None:
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_entries:
            self._cache.popitem(last=False)

"""Opening the sealed personal fields of envelopes read from Kafka, for the consumers that need
the clear value (the projectors, whose read models forgetting clears).

Records on Kafka carry personal fields sealed, as the event store holds them, with a
``sealed`` descriptor naming the fields and the key (``projections.envelope``). The key is read
from ``personal_data_keys`` in PostgreSQL through a small cache, and that cache is what decides
how long a forgotten user's data can still be opened here:

- A key read from PostgreSQL is used for at most ``ttl_s`` (default 1 s, setting
  ``LEDGERLINE_PERSONAL_DATA_KEY_TTL_S``); after that it is read again, and the key of a user
  forgotten meanwhile is gone.
- A subject without a key stays forgotten for the life of the process (keys are written in the
  statement that appends the user's first event and are only ever deleted afterwards).
- A ``UserPersonalDataForgotten`` envelope drops its subject's key at once: that subject's later
  events, in the same batch or after, unseal to None without asking PostgreSQL.

The bound this gives: once ``DELETE /v1/users/{id}/personal-data`` has returned (the key was
deleted in the statement that appended the forgotten event), a projector unseals that user's
data for at most ``ttl_s`` more, and only from events that preceded the forgetting and were
still in flight; it writes what it unsealed in the batch it is folding, and the forgotten event,
which follows on the same partition, clears the read model again.
``tests/gdpr/test_unsealing.py`` checks both edges of that window with an injected clock.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from uuid import UUID

from event_store import personal_data
from event_store.store import EventStore
from projections.operations import Envelope

FORGOTTEN_EVENT = "UserPersonalDataForgotten"
DEFAULT_KEY_TTL_S = 1.0


class SealedDataWithoutKeyStore(RuntimeError):
    """A sealed record reached a consumer that was given no event store to look keys up in."""


class KeyCache:
    """Personal-data keys by subject, each used for at most ``ttl_s`` after it was read."""

    def __init__(
        self,
        store: EventStore,
        *,
        ttl_s: float = DEFAULT_KEY_TTL_S,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._keys: OrderedDict[UUID, tuple[float, bytes]] = OrderedDict()
        self._forgotten: OrderedDict[UUID, None] = OrderedDict()
        self.lookups = 0  # queries sent to PostgreSQL, for tests and benchmarks

    def keys(self, subjects: set[UUID]) -> dict[UUID, bytes | None]:
        """The key of each subject (None: forgotten); raises StoreUnavailable when PostgreSQL
        does not answer and a key is not cached."""
        now = self._clock()
        found: dict[UUID, bytes | None] = {}
        missing: set[UUID] = set()
        for subject in subjects:
            if subject in self._forgotten:
                found[subject] = None
                continue
            entry = self._keys.get(subject)
            if entry is not None and now - entry[0] < self._ttl_s:
                found[subject] = entry[1]
            else:
                missing.add(subject)
        if missing:
            self.lookups += 1
            with self._store.connection() as conn:
                loaded = personal_data.load_keys(conn, missing)
            for subject in missing:
                key = loaded.get(subject)
                if key is None:
                    self.forget(subject)
                else:
                    self._remember(subject, now, key)
                found[subject] = key
        return found

    def forget(self, subject: UUID) -> None:
        self._keys.pop(subject, None)
        self._forgotten[subject] = None
        self._forgotten.move_to_end(subject)
        while len(self._forgotten) > 10 * self._max_entries:
            self._forgotten.popitem(last=False)

    def _remember(self, subject: UUID, when: float, key: bytes) -> None:
        self._keys[subject] = (when, key)
        self._keys.move_to_end(subject)
        while len(self._keys) > self._max_entries:
            self._keys.popitem(last=False)


class Unsealer:
    """Reveals the sealed fields of a batch of envelopes, in order (see the module docstring)."""

    def __init__(self, keys: KeyCache | None) -> None:
        self._keys = keys

    def reveal(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """The envelopes with their sealed fields opened (None where the subject is forgotten).
        Raises StoreUnavailable if the keys cannot be read: the caller retries the batch."""
        wanted = {_subject(e) for e in envelopes if "sealed" in e}
        if not wanted:
            self._note_forgotten(envelopes)
            return list(envelopes)
        if self._keys is None:
            raise SealedDataWithoutKeyStore(
                "a record carries sealed personal data, but this consumer has no event store to"
                " read keys from (LEDGERLINE_DATABASE_URL)"
            )
        cache = self._keys
        keys = cache.keys(wanted)
        revealed = []
        for envelope in envelopes:
            if envelope["type"] == FORGOTTEN_EVENT:
                subject = UUID(envelope["stream_id"])
                keys[subject] = None
                cache.forget(subject)
            if "sealed" in envelope:
                subject = _subject(envelope)
                data = personal_data.unseal_fields(
                    envelope["data"], envelope["sealed"]["fields"], keys[subject], subject
                )
                envelope = {**envelope, "data": data}
            revealed.append(envelope)
        return revealed

    def _note_forgotten(self, envelopes: Sequence[Envelope]) -> None:
        if self._keys is not None:
            for envelope in envelopes:
                if envelope["type"] == FORGOTTEN_EVENT:
                    self._keys.forget(UUID(envelope["stream_id"]))


def check_sealed(envelope: Envelope) -> None:
    """ValueError unless the envelope's ``sealed`` descriptor (if any) is well-formed."""
    sealed = envelope.get("sealed")
    if sealed is None:
        return
    if not isinstance(sealed, dict):
        raise ValueError("envelope sealed is not an object")
    UUID(str(sealed.get("key_id")))  # ValueError if it is not a subject id
    fields = sealed.get("fields")
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise ValueError("envelope sealed.fields is not a list of field names")


def personal_values(envelope: Envelope) -> list[str]:
    """The clear values of an envelope's sealed fields once revealed (to keep them out of error
    texts that leave the process: dead-letter headers, logs)."""
    sealed = envelope.get("sealed")
    if not isinstance(sealed, dict):
        return []
    data = envelope.get("data") or {}
    return [
        value
        for name in sealed.get("fields", ())
        if isinstance(value := data.get(name), str) and value and not personal_data.is_sealed(value)
    ]


def _subject(envelope: Envelope) -> UUID:
    return UUID(str(envelope["sealed"]["key_id"]))

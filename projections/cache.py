"""The projector's cache of stream documents it has written, per Kafka partition.

A stream's events all arrive on one partition, and while this consumer owns that partition
nobody else projects the stream, so the document we last wrote is the current one and need not be
read back before the next event. Entries are dropped when their partition is revoked or lost
(the next owner may change the document) and when a write did not apply (someone else — another
instance during a rebalance, or a rebuild — has a newer document). Because a stream document at
version N depends only on the stream's events 1..N, a stale entry can at worst produce a write
that the version guard refuses; it never corrupts the read model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from kafka.structs import TopicPartition

from projections.operations import Document


class DocumentCache:
    """Bounded map stream id -> (partition, document); the oldest entries go first when full.

    Rebalance callbacks may run on the consumer's IO thread, hence the lock.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._max_entries = max_entries
        self._entries: dict[str, tuple[TopicPartition, Document]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, stream_id: str) -> Document | None:
        with self._lock:
            entry = self._entries.get(stream_id)
        return None if entry is None else entry[1]

    def put(self, stream_id: str, partition: TopicPartition, doc: Document) -> None:
        if self._max_entries <= 0:
            return
        with self._lock:
            self._entries.pop(stream_id, None)  # re-insert: most recently written goes last
            self._entries[stream_id] = (partition, doc)
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]

    def discard(self, stream_ids: Iterable[str]) -> None:
        with self._lock:
            for stream_id in stream_ids:
                self._entries.pop(stream_id, None)

    def drop_partitions(self, partitions: Iterable[TopicPartition]) -> None:
        gone = set(partitions)
        if not gone:
            return
        with self._lock:
            self._entries = {
                stream_id: entry
                for stream_id, entry in self._entries.items()
                if entry[0] not in gone
            }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

"""Writing folded batches into the MongoDB read models, and creating their collections' indexes.

Collection names are parameters (``MongoCollections``) so rebuilds can write into versioned
collections with the same code. Per batch, in this order:
1. insert-once lines (statement lines, notifications) with unordered ``insert_many``; a
   duplicate-key error means the line is already there (a replay) and is ignored. They go first so
   that a crash between the two steps can only leave lines without their stream document (which
   the redelivered batch then writes), never a stream document whose lines are missing (a
   redelivered event older than the document is skipped and would not write them again);
2. stream documents: a new one with an insert (a duplicate key means someone else created it: they
   win), an existing one with ``ReplaceOne({_id, version: <loaded version>}, doc)`` so that a newer
   document written meanwhile by someone else wins.
``write`` reports the streams whose document write did not apply so the runner forgets what it
believed about them. Connection-level failures become ``SinkUnavailable`` (retry the batch).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING, InsertOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, CollectionInvalid, ConnectionFailure, PyMongoError

from projections.fold import FoldResult
from projections.mongo_projection import PRIMARY_COLLECTIONS
from projections.operations import Document, SinkUnavailable

log = structlog.get_logger(__name__)

DUPLICATE_KEY = 11000
# SecantusDB answers large $in lists slowly (cost grows faster than linearly), so reads go in
# chunks; harmless on a real MongoDB.
LOAD_CHUNK = 100


@dataclass(frozen=True)
class MongoCollections:
    """Physical collection names of the read models (logical name -> attribute)."""

    users: str = "users"
    accounts: str = "accounts"
    account_entries: str = "account_entries"
    payments: str = "payments"
    notifications: str = "notifications"
    transfers: str = "transfers"
    sessions: str = "sessions"

    def named(self, logical: str) -> str:
        name: str = getattr(self, logical)
        return name

    def primary(self, stream_type: str) -> str:
        return self.named(PRIMARY_COLLECTIONS[stream_type])

    def with_suffix(self, suffix: str) -> MongoCollections:
        """Names for a rebuild, e.g. ``users_v2`` for ``with_suffix("_v2")``."""
        changes = {f.name: getattr(self, f.name) + suffix for f in fields(self)}
        return replace(self, **changes)

    def all(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Index specs per logical collection: (keys, options).
INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "accounts": [([("owner_id", ASCENDING)], {})],
    "sessions": [([("user_id", ASCENDING), ("status", ASCENDING)], {})],
    "account_entries": [
        ([("account_id", ASCENDING), ("version", DESCENDING)], {"unique": True}),
    ],
    "payments": [
        ([("payer_account_id", ASCENDING)], {}),
        ([("payee_account_id", ASCENDING)], {}),
    ],
    "notifications": [
        ([("account_id", ASCENDING), ("position", DESCENDING)], {}),
        ([("user_id", ASCENDING), ("position", DESCENDING)], {}),
    ],
}


def ensure_mongo_collections(
    database: Database[Document],
    collections: MongoCollections = MongoCollections(),
    *,
    indexes: bool = True,
) -> None:
    """Create the read-model collections and (unless ``indexes`` is false: a rebuild bulk-loads
    first and indexes after) their indexes (idempotent)."""
    try:
        existing = set(database.list_collection_names())
        for logical, name in collections.all().items():
            if name not in existing:
                # Another instance starting at the same moment may create it first.
                with contextlib.suppress(CollectionInvalid):
                    database.create_collection(name)
            for keys, options in INDEXES.get(logical, []) if indexes else []:
                database[name].create_index(keys, **options)
    except ConnectionFailure as error:
        raise SinkUnavailable(f"MongoDB: {error}") from error


class MongoSink:
    """Loads current stream documents and applies folded batches to one MongoDB database."""

    def __init__(
        self,
        database: Database[Document],
        collections: MongoCollections = MongoCollections(),
    ) -> None:
        self._database = database
        self.collections = collections

    def _collection(self, name: str) -> Collection[Document]:
        return self._database[name]

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        """Current documents of ``streams`` (stream id -> stream type); absent ones omitted."""
        by_collection: dict[str, list[str]] = defaultdict(list)
        for stream_id, stream_type in streams.items():
            by_collection[self.collections.primary(stream_type)].append(stream_id)
        found: dict[str, Document] = {}
        try:
            for name, ids in by_collection.items():
                for start in range(0, len(ids), LOAD_CHUNK):
                    chunk = ids[start : start + LOAD_CHUNK]
                    for doc in self._collection(name).find({"_id": {"$in": chunk}}):
                        found[str(doc["_id"])] = doc
        except ConnectionFailure as error:
            raise SinkUnavailable(f"MongoDB: {error}") from error
        return found

    def write(self, result: FoldResult) -> set[str]:
        """Apply ``result``; returns the stream ids whose document write did not apply."""
        try:
            self._write_inserts(result)
            return self._write_documents(result)
        except ConnectionFailure as error:
            raise SinkUnavailable(f"MongoDB: {error}") from error
        except PyMongoError as error:
            if error.has_error_label("RetryableWriteError"):
                raise SinkUnavailable(f"MongoDB: {error}") from error
            raise

    def _write_inserts(self, result: FoldResult) -> None:
        by_kind: dict[str, list[Document]] = defaultdict(list)
        for kind, doc in result.inserts:
            by_kind[kind].append(doc)
        for logical, docs in by_kind.items():
            collection = self._collection(self.collections.named(logical))
            try:
                # Copies: insert_many would add fields to our documents on some drivers.
                collection.insert_many([dict(doc) for doc in docs], ordered=False)
            except BulkWriteError as error:
                _raise_unless_duplicates(error)

    def _write_documents(self, result: FoldResult) -> set[str]:
        by_collection: dict[str, list[tuple[str, int | None, Document]]] = defaultdict(list)
        for change in result.changes:
            name = self.collections.primary(change.stream_type)
            by_collection[name].append((change.stream_id, change.loaded_version, change.doc))
        conflicts: set[str] = set()
        for name, changes in by_collection.items():
            conflicts |= self._write_collection(self._collection(name), changes)
        return conflicts

    def _write_collection(
        self,
        collection: Collection[Document],
        changes: Sequence[tuple[str, int | None, Document]],
    ) -> set[str]:
        operations: list[InsertOne[Document] | ReplaceOne[Document]] = []
        for stream_id, loaded_version, doc in changes:
            if loaded_version is None:
                operations.append(InsertOne(dict(doc)))
            else:
                operations.append(ReplaceOne({"_id": stream_id, "version": loaded_version}, doc))
        replaces = sum(1 for _, loaded, _ in changes if loaded is not None)
        outcome: Mapping[str, Any]
        try:
            outcome = collection.bulk_write(operations, ordered=False).bulk_api_result
        except BulkWriteError as error:
            _raise_unless_duplicates(error)
            outcome = error.details
        conflicts = {changes[item["index"]][0] for item in outcome.get("writeErrors", [])}
        if outcome.get("nMatched", 0) < replaces:
            # bulk_write does not say which replace missed; forget all of them (cheap: the next
            # batch reloads those documents).
            conflicts |= {stream_id for stream_id, loaded, _ in changes if loaded is not None}
        if conflicts:
            log.info(
                "mongo_newer_documents_kept", collection=collection.name, streams=len(conflicts)
            )
        return conflicts


def _raise_unless_duplicates(error: BulkWriteError) -> None:
    details = error.details
    if details.get("writeConcernErrors"):
        raise SinkUnavailable(f"MongoDB write concern: {details['writeConcernErrors']}") from error
    others = [e for e in details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
    if others:
        raise error

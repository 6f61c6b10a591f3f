"""The MongoDB read model's generations for rebuilds and verify (see ``targets``).

A generation is a full set of read-model collections with the suffix ``_g<epoch ms>``
(``accounts_g1764429223123``…), bulk-loaded with unjournaled writes and without secondary indexes,
then given the live collections' indexes and made durable (``seal``) before the swap. Swapping
renames each one onto its live name with ``dropTarget=True``: atomic per collection (a reader sees
the whole old or the whole new collection), and the old collection is dropped by the rename itself.
The six renames are not one transaction: between two of them a reader can see, say, new accounts
next to old notifications; both generations are complete, so that is the ordinary cross-collection
lag of the read models. With ``keep_old`` the live collection is first renamed to
``<name>_old_g<epoch ms>`` and the new one renamed into place after it: two renames, so for a
moment the live name does not exist and a read finds nothing there (milliseconds on MongoDB, where
a rename is a catalogue change; longer on the SecantusDB stand-in, which copies a collection to
rename it); writes of the live projector in that moment are not lost (the rebuild's tail re-
projects them). Leftovers of interrupted runs are the ``<name>_g<digits>`` collections; kept old
generations (``_old_``) are never dropped automatically.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import InsertOne, ReplaceOne, WriteConcern
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from projections.mongo_projection import MONGO_PROJECTION
from projections.mongo_sink import (
    DUPLICATE_KEY,
    MongoCollections,
    MongoSink,
    ensure_mongo_collections,
)
from projections.operations import Document, InsertKind, Projection
from projections.rebuild.builder import GenerationStore, PendingDocument
from projections.rebuild.targets import READ_CHUNK, WRITE_CHUNK, Loader


class MongoGenerationStore:
    """A Mongo generation as a builder writes it: inserts, and replaces after an eviction. With
    ``newer_only`` (the tail into the live names) a document replaces only an older version and
    ``loader`` supplies the documents to fold onto."""

    def __init__(
        self,
        database: Database[Document],
        names: MongoCollections,
        *,
        newer_only: bool = False,
        loader: Loader | None = None,
    ) -> None:
        self._database = database
        self._names = names
        self._newer_only = newer_only
        self._loader = loader or MongoSink(database, names).load

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        return self._loader(streams)

    def write_documents(self, documents: Sequence[PendingDocument]) -> None:
        by_collection: dict[str, list[InsertOne[Document] | ReplaceOne[Document]]] = defaultdict(
            list
        )
        for pending in documents:
            name = self._names.primary(pending.stream_type)
            doc = dict(pending.doc)
            if self._newer_only:
                # No match (the live document is as new or newer) makes the upsert insert a
                # duplicate _id, which fails: the newer document stays.
                guard = {"_id": pending.stream_id, "version": {"$lt": int(doc["version"])}}
                by_collection[name].append(ReplaceOne(guard, doc, upsert=True))
            elif pending.written_before:
                by_collection[name].append(ReplaceOne({"_id": pending.stream_id}, doc, upsert=True))
            else:
                by_collection[name].append(InsertOne(doc))
        for name, operations in by_collection.items():
            for start in range(0, len(operations), WRITE_CHUNK):
                try:
                    self._database[name].bulk_write(
                        operations[start : start + WRITE_CHUNK], ordered=False
                    )
                except BulkWriteError as error:
                    if not self._newer_only:
                        raise
                    _raise_unless_duplicates(error)

    def write_inserts(self, inserts: Sequence[tuple[InsertKind, Document]]) -> None:
        by_kind: dict[str, list[Document]] = defaultdict(list)
        for kind, doc in inserts:
            by_kind[kind].append(dict(doc))
        for logical, docs in by_kind.items():
            collection = self._database[self._names.named(logical)]
            for start in range(0, len(docs), WRITE_CHUNK):
                try:
                    collection.insert_many(docs[start : start + WRITE_CHUNK], ordered=False)
                except BulkWriteError as error:
                    _raise_unless_duplicates(error)  # a line already there is the same line

    def finish(self) -> None:
        """Nothing to do: MongoDB writes are visible once acknowledged."""


def _unjournaled(database: Database[Document]) -> Database[Document]:
    """``database`` with acknowledged but unjournaled writes, for bulk loads nobody reads until
    ``seal``: its journaled write then makes all of them durable at once (see
    ``MongoTarget._flush_journal``); a load that dies before is dropped and run again."""
    return database.with_options(write_concern=WriteConcern(w=1, j=False))


def _raise_unless_duplicates(error: BulkWriteError) -> None:
    details = error.details
    if details.get("writeConcernErrors") or any(
        item.get("code") != DUPLICATE_KEY for item in details.get("writeErrors", [])
    ):
        raise error


@dataclass(frozen=True)
class MongoTarget:
    """The MongoDB read models of one database."""

    database: Database[Document]
    live: MongoCollections = field(default_factory=MongoCollections)

    @property
    def kind(self) -> str:
        return "mongo"

    @property
    def key(self) -> str:
        return f"mongo:{self.database.name}"

    @property
    def projection(self) -> Projection:
        return MONGO_PROJECTION

    def names(self, generation: str) -> MongoCollections:
        return self.live.with_suffix(f"_{generation}")

    def live_names(self) -> list[str]:
        return list(self.live.all().values())

    def new_generation(self) -> str:
        existing = set(self.database.list_collection_names())
        stamp = time.time_ns() // 1_000_000
        while any(name in existing for name in self.generation_names(f"g{stamp}")):
            stamp += 1
        return f"g{stamp}"

    def generation_names(self, generation: str) -> list[str]:
        return list(self.names(generation).all().values())

    def _matching(self, pattern: str) -> list[tuple[str, str]]:
        """(collection, generation) of existing collections named ``<live><pattern>``."""
        found = []
        for name in sorted(self.database.list_collection_names()):
            for live in self.live.all().values():
                match = re.fullmatch(re.escape(live) + pattern, name)
                if match:
                    found.append((name, match.group(1)))
        return found

    def leftovers(self, keep: Iterable[str] = ()) -> list[str]:
        spared = set(keep)
        return [name for name, gen in self._matching(r"_(g\d+)") if gen not in spared]

    def kept(self) -> list[str]:
        return [name for name, _ in self._matching(r"_old_(g\d+)")]

    def create(self, generation: str) -> GenerationStore:
        names = self.names(generation)
        ensure_mongo_collections(self.database, names, indexes=False)
        return MongoGenerationStore(_unjournaled(self.database), names)

    def seal(self, generation: str | None) -> None:
        names = self.live if generation is None else self.names(generation)
        ensure_mongo_collections(self.database, names)
        self._flush_journal()

    def replace_live(self) -> tuple[GenerationStore, list[str]]:
        existing = set(self.database.list_collection_names())
        dropped = [name for name in self.live_names() if name in existing]
        self.drop(dropped)
        ensure_mongo_collections(self.database, self.live, indexes=False)
        return MongoGenerationStore(_unjournaled(self.database), self.live), dropped

    def swap_steps(self, generation: str, keep_old: bool) -> list[str]:
        steps = []
        for logical, live in self.live.all().items():
            new = self.names(generation).named(logical)
            if keep_old:
                steps.append(f"rename {live} -> {live}_old_{generation}, then {new} -> {live}")
            else:
                steps.append(f"rename {new} -> {live} (dropTarget: the current {live} is dropped)")
        return steps

    def swap(self, generation: str, keep_old: bool) -> list[str]:
        existing = set(self.database.list_collection_names())
        for logical, live in self.live.all().items():
            new = self.names(generation).named(logical)
            if new not in existing:
                continue  # swapped already by an interrupted run
            if keep_old and live in existing:
                kept = f"{live}_old_{generation}"
                if kept not in existing:
                    self.database[live].rename(kept)
            self.database[new].rename(live, dropTarget=True)
        self._flush_journal()
        return []

    def _flush_journal(self) -> None:
        """A journaled write after the renames. MongoDB journals a rename like any write; the
        SecantusDB stand-in ignores the write concern of a rename, and an acknowledged rename
        was lost on kill -9 there until a journaled write followed it. A delete that matches
        nothing is enough: WiredTiger commits it with sync on, which flushes the log records of
        every transaction committed before it; it leaves nothing behind."""
        live = self.database.get_collection(self.live.users, write_concern=WriteConcern(j=True))
        live.delete_one({"_id": "ledgerline:no-such-document"})

    def drop(self, names: Sequence[str]) -> None:
        for name in names:
            self.database.drop_collection(name)

    def live_store(self, loader: Loader) -> GenerationStore:
        return MongoGenerationStore(self.database, self.live, newer_only=True, loader=loader)

    def labels(self) -> list[str]:
        return list(self.live.all())

    def _collections(self, generation: str | None) -> MongoCollections:
        return self.live if generation is None else self.names(generation)

    def read_all(self, generation: str | None) -> dict[str, dict[str, Document]]:
        names = self._collections(generation)
        return {
            label: {str(doc["_id"]): doc for doc in self.database[names.named(label)].find()}
            for label in self.labels()
        }

    def read_some(self, generation: str | None, label: str, ids: Iterable[str]) -> dict[str, Any]:
        collection = self.database[self._collections(generation).named(label)]
        wanted = list(ids)
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), READ_CHUNK):
            for doc in collection.find({"_id": {"$in": wanted[start : start + READ_CHUNK]}}):
                found[str(doc["_id"])] = doc
        return found

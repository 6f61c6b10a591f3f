"""Read-model generations: where rebuilds and verify build, how a generation is swapped in, and
which leftovers are dropped.

MongoDB (``MongoTarget``)
    A generation is a full set of read-model collections with the suffix ``_g<epoch ms>``
    (``accounts_g1764429223123``…), created with the live collections' indexes. Swapping renames
    each one onto its live name with ``dropTarget=True``: atomic per collection (a reader sees
    the whole old or the whole new collection), and the old collection is dropped by the rename
    itself. The six renames are not one transaction: between two of them a reader can see, say,
    new accounts next to old notifications; both generations are complete, so that is the
    ordinary cross-collection lag of the read models. With ``keep_old`` the live collection is
    first renamed to ``<name>_old_g<epoch ms>`` and the new one renamed into place after it: two
    renames, so for a moment the live name does not exist and a read finds nothing there
    (milliseconds on MongoDB, where a rename is a catalogue change; longer on the SecantusDB
    stand-in, which copies a collection to rename it); writes of the live projector in that
    moment are not lost (the rebuild's tail re-projects them). Leftovers of interrupted runs
    are the ``<name>_g<digits>`` collections; kept old generations (``_old_``) are never
    dropped automatically.

Elasticsearch (``SearchTarget``)
    A generation is one new index per kind, ``<prefix>-<kind>-v<n>`` with ``n`` above every
    existing one, created from the explicit mappings. Swapping moves both aliases
    (``<prefix>-payments``, ``<prefix>-users``) in one ``update_aliases`` call; with ``keep_old``
    the same call gives each old index the alias ``<prefix>-<kind>-kept``. Leftovers are
    ``-v<n>`` indices without any alias: a generation that was never swapped in, or an old one
    whose drop was interrupted.

After a swap, a rebuild projects its tail through ``live_store``: the same writes as a
generation's, but into the live names and only where newer (a stream document is replaced only
if the live one has an older version, an insert-once line only inserted if missing), so
whatever the live projector wrote meanwhile wins when it is ahead.

Both targets also read whole generations (or the live model) back for ``verify``.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from elasticsearch import Elasticsearch
from pymongo import InsertOne, ReplaceOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from projections.generation_builder import GenerationStore, PendingDocument
from projections.mongo_projection import MONGO_PROJECTION
from projections.mongo_sink import (
    DUPLICATE_KEY,
    MongoCollections,
    MongoSink,
    ensure_mongo_collections,
)
from projections.operations import Document, InsertKind, Projection
from projections.search_projection import SEARCH_PROJECTION
from projections.search_sink import (
    MAPPINGS,
    SearchIndexNames,
    SearchSink,
    SearchWriteError,
    create_search_index,
    ensure_index_templates,
)

WRITE_CHUNK = 1000
READ_CHUNK = 1000

# Loads stream documents (stream id -> stream type) for a store that is not their origin.
Loader = Callable[[Mapping[str, str]], dict[str, Document]]


class RebuildTarget(Protocol):
    """One read model as rebuilds and verify see it."""

    @property
    def kind(self) -> str:
        """``mongo`` or ``search``."""
        ...

    @property
    def key(self) -> str:
        """Names the read model (lock and journal key), e.g. ``mongo:ledgerline``."""
        ...

    @property
    def projection(self) -> Projection: ...

    def live_names(self) -> list[str]:
        """Physical names readers use (collections, aliases)."""
        ...

    def new_generation(self) -> str:
        """A label for a generation that does not exist yet."""
        ...

    def generation_names(self, generation: str) -> list[str]: ...

    def leftovers(self, keep: Iterable[str] = ()) -> list[str]:
        """Physical names of interrupted generations (except those of ``keep``)."""
        ...

    def kept(self) -> list[str]:
        """Old generations kept by ``--keep-old``."""
        ...

    def create(self, generation: str) -> GenerationStore: ...

    def swap_steps(self, generation: str, keep_old: bool) -> list[str]:
        """What ``swap`` would do, in words (for ``--dry-run``)."""
        ...

    def swap(self, generation: str, keep_old: bool) -> list[str]:
        """Put ``generation`` in place; returns the old generation's names still to drop.
        Idempotent: parts already swapped are skipped (recovery of an interrupted swap)."""
        ...

    def drop(self, names: Sequence[str]) -> None: ...

    def live_store(self, loader: Loader) -> GenerationStore:
        """Newer-only writes to the live names; documents come from ``loader``."""
        ...

    def labels(self) -> list[str]:
        """Logical collections / index kinds, for comparisons."""
        ...

    def read_all(self, generation: str | None) -> dict[str, dict[str, Document]]:
        """Every document of ``generation`` (None: the live model): label -> id -> document."""
        ...

    def read_some(self, generation: str | None, label: str, ids: Iterable[str]) -> dict[str, Any]:
        """Documents ``ids`` of one label (absent ones omitted)."""
        ...


# -- MongoDB ---------------------------------------------------------------------------------


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
        ensure_mongo_collections(self.database, names)
        return MongoGenerationStore(self.database, names)

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
        return []

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


# -- Elasticsearch ---------------------------------------------------------------------------


class SearchGenerationStore:
    """A search generation as a builder writes it: bulk index requests with the stream version
    as external version (Elasticsearch keeps the newest), refresh at the end. With
    ``newer_only`` (the tail into the live aliases) a 409 -- the live document is as new or
    newer -- is expected, and ``loader`` supplies the documents to fold onto."""

    def __init__(
        self,
        client: Elasticsearch,
        indices: SearchIndexNames,
        chunk: int = WRITE_CHUNK,
        *,
        newer_only: bool = False,
        loader: Loader | None = None,
    ) -> None:
        self._client = client
        self._indices = indices
        self._chunk = chunk
        self._newer_only = newer_only
        self._loader = loader or SearchSink(client, indices).load

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        return self._loader(streams)

    def write_documents(self, documents: Sequence[PendingDocument]) -> None:
        for start in range(0, len(documents), self._chunk):
            operations: list[dict[str, Any]] = []
            for pending in documents[start : start + self._chunk]:
                operations.append(
                    {
                        "index": {
                            "_index": self._indices.for_stream_type(pending.stream_type),
                            "_id": pending.stream_id,
                            "version": int(pending.doc["version"]),
                            "version_type": "external",
                        }
                    }
                )
                operations.append(pending.doc)
            response = self._client.bulk(operations=operations)
            if response.get("errors"):
                for item in response["items"]:
                    outcome = item.get("index", {})
                    status = int(outcome.get("status", 200))
                    if status >= 300 and not (status == 409 and self._newer_only):
                        raise SearchWriteError(f"bulk index of {outcome.get('_id')}: {outcome}")

    def write_inserts(self, inserts: Sequence[tuple[InsertKind, Document]]) -> None:
        """The search projection has no insert-once lines."""

    def finish(self) -> None:
        if not self._newer_only:  # the live indices refresh on their own schedule
            self._client.indices.refresh(index=",".join(self._indices.named(k) for k in MAPPINGS))


@dataclass(frozen=True)
class SearchTarget:
    """The Elasticsearch indices of one prefix."""

    client: Elasticsearch
    prefix: str = "ledgerline"
    bulk_chunk: int = WRITE_CHUNK

    @property
    def kind(self) -> str:
        return "search"

    @property
    def key(self) -> str:
        return f"search:{self.prefix}"

    @property
    def projection(self) -> Projection:
        return SEARCH_PROJECTION

    @property
    def aliases(self) -> SearchIndexNames:
        return SearchIndexNames.aliases(self.prefix)

    def kept_alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}-kept"

    def names(self, generation: str) -> SearchIndexNames:
        return SearchIndexNames(
            payments=f"{self.prefix}-payments-{generation}",
            users=f"{self.prefix}-users-{generation}",
        )

    def _indices(self) -> dict[str, tuple[str, int, set[str]]]:
        """Versioned indices of this prefix: name -> (kind, version, aliases)."""
        pattern = re.compile(re.escape(self.prefix) + r"-(payments|users)-v(\d+)")
        response = self.client.indices.get_alias(index=f"{self.prefix}-*")
        found = {}
        for name, body in dict(response).items():
            match = pattern.fullmatch(name)
            if match:
                aliases = set((body or {}).get("aliases") or {})
                found[name] = (match.group(1), int(match.group(2)), aliases)
        return found

    def live_names(self) -> list[str]:
        return [self.aliases.named(kind) for kind in MAPPINGS]

    def new_generation(self) -> str:
        versions = [version for _, version, _ in self._indices().values()]
        return f"v{max(versions, default=0) + 1}"

    def generation_names(self, generation: str) -> list[str]:
        names = self.names(generation)
        return [names.named(kind) for kind in MAPPINGS]

    def leftovers(self, keep: Iterable[str] = ()) -> list[str]:
        spared = {name for generation in keep for name in self.generation_names(generation)}
        return sorted(
            name
            for name, (_, _, aliases) in self._indices().items()
            if not aliases and name not in spared
        )

    def kept(self) -> list[str]:
        return sorted(
            name
            for name, (kind, _, aliases) in self._indices().items()
            if self.kept_alias(kind) in aliases
        )

    def create(self, generation: str) -> GenerationStore:
        ensure_index_templates(self.client, self.prefix)
        names = self.names(generation)
        for kind in MAPPINGS:
            create_search_index(self.client, names.named(kind), kind)
        return SearchGenerationStore(self.client, names, self.bulk_chunk)

    def _holders(self) -> dict[str, list[str]]:
        """Alias -> the indices it points to (live aliases only)."""
        holders: dict[str, list[str]] = {alias: [] for alias in self.live_names()}
        response = self.client.indices.get_alias(index=f"{self.prefix}-*")
        for name, body in dict(response).items():
            for alias in (body or {}).get("aliases") or {}:
                if alias in holders:
                    holders[alias].append(name)
        return holders

    def swap_steps(self, generation: str, keep_old: bool) -> list[str]:
        holders = self._holders()
        new = self.names(generation)
        steps = []
        for kind in MAPPINGS:
            alias = self.aliases.named(kind)
            old = ", ".join(holders[alias]) or "nothing"
            step = f"move alias {alias} from {old} to {new.named(kind)}"
            if keep_old and holders[alias]:
                step += f"; {old} keeps alias {self.kept_alias(kind)}"
            steps.append(step)
        return [" and ".join(steps) + " (one update_aliases call)"]

    def swap(self, generation: str, keep_old: bool) -> list[str]:
        holders = self._holders()
        new = self.names(generation)
        actions: list[dict[str, Any]] = []
        old: list[str] = []
        for kind in MAPPINGS:
            alias, target = self.aliases.named(kind), new.named(kind)
            if holders[alias] == [target]:
                continue  # swapped already by an interrupted run
            for index in holders[alias]:
                if index == target:
                    continue
                actions.append({"remove": {"index": index, "alias": alias}})
                if keep_old:
                    actions.append({"add": {"index": index, "alias": self.kept_alias(kind)}})
                else:
                    old.append(index)
            actions.append({"add": {"index": target, "alias": alias}})
        if actions:
            self.client.indices.update_aliases(actions=actions)
        return old

    def drop(self, names: Sequence[str]) -> None:
        if names:
            self.client.indices.delete(index=",".join(names), ignore_unavailable=True)

    def live_store(self, loader: Loader) -> GenerationStore:
        return SearchGenerationStore(
            self.client, self.aliases, self.bulk_chunk, newer_only=True, loader=loader
        )

    def labels(self) -> list[str]:
        return list(MAPPINGS)

    def _index(self, generation: str | None, label: str) -> str:
        names = self.aliases if generation is None else self.names(generation)
        return names.named(label)

    def read_all(self, generation: str | None) -> dict[str, dict[str, Document]]:
        everything: dict[str, dict[str, Document]] = {}
        for label in self.labels():
            index = self._index(generation, label)
            self.client.indices.refresh(index=index)
            docs: dict[str, Document] = {}
            after: list[Any] | None = None
            while True:
                response = self.client.search(
                    index=index,
                    query={"match_all": {}},
                    sort=[{"id": "asc"}],
                    size=READ_CHUNK,
                    search_after=after,
                )
                hits = response["hits"]["hits"]
                for hit in hits:
                    docs[str(hit["_id"])] = hit["_source"]
                if len(hits) < READ_CHUNK:
                    break
                after = hits[-1]["sort"]
            everything[label] = docs
        return everything

    def read_some(self, generation: str | None, label: str, ids: Iterable[str]) -> dict[str, Any]:
        wanted = list(ids)
        found: dict[str, Any] = {}
        index = self._index(generation, label)
        for start in range(0, len(wanted), READ_CHUNK):
            response = self.client.mget(index=index, ids=wanted[start : start + READ_CHUNK])
            for doc in response["docs"]:
                if doc.get("found"):
                    found[str(doc["_id"])] = doc["_source"]
        return found

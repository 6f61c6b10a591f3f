"""The Elasticsearch read model's generations for rebuilds and verify (see ``targets``).

A generation is one new index per kind, ``<prefix>-<kind>-v<n>`` with ``n`` above every existing
one, created from the explicit mappings. Swapping moves both aliases (``<prefix>-payments``,
``<prefix>-users``) in one ``update_aliases`` call; with ``keep_old`` the same call gives each old
index the alias ``<prefix>-<kind>-kept``. Leftovers are ``-v<n>`` indices without any alias: a
generation that was never swapped in, or an old one whose drop was interrupted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from projections.operations import Document, InsertKind, Projection
from projections.rebuild.builder import GenerationStore, PendingDocument
from projections.rebuild.targets import READ_CHUNK, WRITE_CHUNK, Loader
from projections.search_projection import SEARCH_PROJECTION
from projections.search_sink import (
    MAPPINGS,
    SearchIndexNames,
    SearchSink,
    SearchWriteError,
    create_search_index,
    ensure_index_templates,
)


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
            names = ",".join(self._indices.named(k) for k in MAPPINGS)
            # Back to the default refresh (see SearchTarget.create), and visible now.
            self._client.indices.put_settings(index=names, settings={"refresh_interval": None})
            self._client.indices.refresh(index=names)


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
        # Nobody reads a generation while it is built: no refreshes until it is finished.
        self.client.indices.put_settings(
            index=",".join(names.named(kind) for kind in MAPPINGS),
            settings={"refresh_interval": "-1"},
        )
        return SearchGenerationStore(self.client, names, self.bulk_chunk)

    def seal(self, generation: str | None) -> None:
        """Nothing to add: the mappings come with the index, ``finish`` refreshed it, and
        Elasticsearch fsyncs its translog before it acknowledges a bulk request."""

    def replace_live(self) -> tuple[GenerationStore, list[str]]:
        """A new generation that takes the aliases at once (an alias move costs nothing here,
        unlike a MongoDB rename on the stand-in); the indices that held them are dropped."""
        generation = self.new_generation()
        store = self.create(generation)
        old = self.swap(generation, keep_old=False)
        self.drop(old)
        return store, old

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

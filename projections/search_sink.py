"""Writing folded batches into Elasticsearch, and creating the indices, templates and aliases.

Layout: for each kind (``payments``, ``users``) an index template ``<prefix>-<kind>`` matching
``<prefix>-<kind>-*`` carries the explicit mapping, so any versioned index a rebuild creates
(``<prefix>-<kind>-v2``) gets it too; the live index ``<prefix>-<kind>-v1`` is created with the
mapping spelled out as well and sits behind the alias ``<prefix>-<kind>`` that readers and the
live projector use. Setup never moves an existing alias (a rebuild may have swapped it).

Writes are bulk index operations with ``version = doc["version"]`` and
``version_type=external``: Elasticsearch itself keeps the newest stream version, and the 409
conflicts of replays are expected (reported as conflicts, not errors). Connection failures,
429/5xx answers and shards still recovering after a restart become ``SinkUnavailable`` (retry
the batch); any other item error is a bug and raises ``SearchWriteError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from elasticsearch import ApiError, BadRequestError, Elasticsearch, TransportError

from projections.fold import FoldResult
from projections.operations import Document, SinkUnavailable
from projections.search_projection import INDEX_KINDS

log = structlog.get_logger(__name__)

_KEYWORD = {"type": "keyword"}
_LONG = {"type": "long"}
_DATE = {"type": "date"}

PAYMENTS_MAPPING: dict[str, Any] = {
    # Unmapped fields stay in _source but are not indexed: the mapping is the contract.
    "dynamic": False,
    "properties": {
        "id": _KEYWORD,
        "payer_account_id": _KEYWORD,
        "payee_account_id": _KEYWORD,
        "currency": _KEYWORD,
        "status": _KEYWORD,
        "amount": _LONG,
        "captured": _LONG,
        "refunded": _LONG,
        "version": _LONG,
        "description": {"type": "text", "analyzer": "standard"},
        "merchant": {
            "type": "text",
            "analyzer": "standard",
            "fields": {"raw": {"type": "keyword"}},
        },
        "created_at": _DATE,
        "updated_at": _DATE,
    },
}

USERS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "id": _KEYWORD,
        "status": _KEYWORD,
        "roles": _KEYWORD,
        "email": {
            "type": "text",
            "analyzer": "standard",
            "fields": {"raw": {"type": "keyword"}},
        },
        "full_name": {"type": "text", "analyzer": "standard"},
        "personal_data_forgotten": {"type": "boolean"},
        "version": _LONG,
        "created_at": _DATE,
        "updated_at": _DATE,
    },
}

MAPPINGS: dict[str, dict[str, Any]] = {"payments": PAYMENTS_MAPPING, "users": USERS_MAPPING}
INDEX_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# A shard that is not serving yet (recovering after a restart): mget answers 200 with one of
# these per document instead of failing as a whole.
SHARD_NOT_READY = frozenset(
    {
        "no_shard_available_action_exception",
        "unavailable_shards_exception",
        "illegal_index_shard_state_exception",
    }
)


class SearchWriteError(Exception):
    """Elasticsearch refused a document for a reason retrying cannot fix."""


@dataclass(frozen=True)
class SearchIndexNames:
    """Where the sink reads and writes: aliases for live projection, indices for rebuilds."""

    payments: str
    users: str

    @classmethod
    def aliases(cls, prefix: str = "ledgerline") -> SearchIndexNames:
        return cls(payments=f"{prefix}-payments", users=f"{prefix}-users")

    @classmethod
    def versioned(cls, prefix: str = "ledgerline", version: int = 1) -> SearchIndexNames:
        return cls(payments=f"{prefix}-payments-v{version}", users=f"{prefix}-users-v{version}")

    def named(self, kind: str) -> str:
        name: str = getattr(self, kind)
        return name

    def for_stream_type(self, stream_type: str) -> str:
        return self.named(INDEX_KINDS[stream_type])


def ensure_index_templates(client: Elasticsearch, prefix: str = "ledgerline") -> None:
    for kind, mapping in MAPPINGS.items():
        client.indices.put_index_template(
            name=f"{prefix}-{kind}",
            index_patterns=[f"{prefix}-{kind}-*"],
            template={"settings": INDEX_SETTINGS, "mappings": mapping},
        )


def create_search_index(client: Elasticsearch, index: str, kind: str) -> None:
    """Create ``index`` with the mapping of ``kind`` unless it exists."""
    if client.indices.exists(index=index):
        return
    try:
        client.indices.create(index=index, settings=INDEX_SETTINGS, mappings=MAPPINGS[kind])
    except BadRequestError as error:
        # Another instance starting at the same moment may create it first.
        if error.error != "resource_already_exists_exception":
            raise


def ensure_search_indices(
    client: Elasticsearch, prefix: str = "ledgerline", version: int = 1
) -> SearchIndexNames:
    """Templates, the ``-v<version>`` indices and their aliases (only where an alias is missing).
    Returns the alias names, which is what the live projector and the readers use."""
    try:
        ensure_index_templates(client, prefix)
        aliases = SearchIndexNames.aliases(prefix)
        indices = SearchIndexNames.versioned(prefix, version)
        for kind in MAPPINGS:
            alias, index = aliases.named(kind), indices.named(kind)
            if not client.indices.exists_alias(name=alias):
                create_search_index(client, index, kind)
                client.indices.put_alias(index=index, name=alias)
    except TransportError as error:
        raise SinkUnavailable(f"Elasticsearch: {error}") from error
    return aliases


class SearchSink:
    """Loads current search documents (realtime mget) and bulk-indexes folded batches."""

    def __init__(self, client: Elasticsearch, indices: SearchIndexNames) -> None:
        self._client = client
        self.indices = indices

    def load(self, streams: Mapping[str, str]) -> dict[str, Document]:
        by_index: dict[str, list[str]] = {}
        for stream_id, stream_type in streams.items():
            by_index.setdefault(self.indices.for_stream_type(stream_type), []).append(stream_id)
        found: dict[str, Document] = {}
        try:
            for index, ids in by_index.items():
                response = self._client.mget(index=index, ids=ids)
                for doc in response["docs"]:
                    if "error" in doc:
                        _raise_for_document_error(index, doc["error"])
                    if doc.get("found"):
                        found[str(doc["_id"])] = doc["_source"]
        except TransportError as error:
            raise SinkUnavailable(f"Elasticsearch: {error}") from error
        except ApiError as error:
            _raise_retryable(error)
            raise
        return found

    def write(self, result: FoldResult) -> set[str]:
        """Index the changed documents; returns the ids Elasticsearch kept a newer version of."""
        if not result.changes:
            return set()
        operations: list[dict[str, Any]] = []
        for change in result.changes:
            operations.append(
                {
                    "index": {
                        "_index": self.indices.for_stream_type(change.stream_type),
                        "_id": change.stream_id,
                        "version": int(change.doc["version"]),
                        "version_type": "external",
                    }
                }
            )
            operations.append(change.doc)
        try:
            response = self._client.bulk(operations=operations)
        except TransportError as error:
            raise SinkUnavailable(f"Elasticsearch: {error}") from error
        except ApiError as error:
            _raise_retryable(error)
            raise
        if not response.get("errors"):
            return set()
        conflicts: set[str] = set()
        for item in response["items"]:
            outcome = item.get("index", {})
            status = int(outcome.get("status", 200))
            if status == 409:
                conflicts.add(str(outcome.get("_id")))
            elif status in RETRYABLE_STATUS:
                raise SinkUnavailable(f"Elasticsearch bulk item: {outcome.get('error')}")
            elif status >= 300:
                raise SearchWriteError(f"Elasticsearch refused {outcome.get('_id')}: {outcome}")
        return conflicts


def _raise_for_document_error(index: str, error: Any) -> None:
    causes = [error, *error.get("root_cause", [])] if isinstance(error, dict) else []
    if any(cause.get("type") in SHARD_NOT_READY for cause in causes):
        raise SinkUnavailable(f"Elasticsearch: {index} is not serving yet: {error.get('reason')}")
    raise SearchWriteError(f"mget from {index}: {error}")


def _raise_retryable(error: ApiError) -> None:
    if error.meta.status in RETRYABLE_STATUS:
        raise SinkUnavailable(f"Elasticsearch: {error}") from error

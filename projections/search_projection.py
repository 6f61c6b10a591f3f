"""The Elasticsearch projection: payments and users, as pure folds.

Search documents have exactly the shape of the MongoDB stream documents minus ``_id`` (the
Elasticsearch document id is the stream id), so this projection reuses the MongoDB fold and
drops what search does not index: account and transfer streams, statement lines and
notifications.
"""

from __future__ import annotations

from projections import mongo_projection
from projections.operations import (
    NOTHING,
    Document,
    Envelope,
    Projected,
    Projection,
    UnknownEventType,
)

STREAM_TYPES = frozenset({"User", "Payment"})

# Logical index of each stream type's documents (the sink maps them to aliases or indices).
INDEX_KINDS: dict[str, str] = {"User": "users", "Payment": "payments"}


def project(envelope: Envelope, current: Document | None) -> Projected:
    """The new search document of the event's stream (None for streams search ignores)."""
    event_type = envelope["type"]
    if event_type not in mongo_projection.HANDLERS:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    if envelope["stream_type"] not in STREAM_TYPES:
        return NOTHING
    stored = None if current is None else {"_id": current["id"], **current}
    projected = mongo_projection.project(envelope, stored)
    if projected.doc is None:
        return NOTHING
    return Projected(to_search_document(projected.doc))


def to_search_document(doc: Document) -> Document:
    return {key: value for key, value in doc.items() if key != "_id"}


SEARCH_PROJECTION = Projection(name="search", stream_types=STREAM_TYPES, project=project)

"""Building read-model stream documents from events: the helpers every projection handler uses.

A stream document has ``_id`` = ``id`` = stream id, ``version`` = the last applied stream
version, ``created_at`` / ``updated_at`` = recorded_at of the first / last event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.operations import Document, Envelope, Projected, ProjectionError

Data = dict[str, Any]
Handler = Callable[[Envelope, Data, Document | None], Projected]


def created(envelope: Envelope, current: Document | None, **fields: Any) -> Document:
    if current is not None:
        raise ProjectionError(f"{envelope['type']} for a stream that already has a document")
    stream_id = str(envelope["stream_id"])
    return {
        "_id": stream_id,
        "id": stream_id,
        **fields,
        "version": envelope["version"],
        "created_at": envelope.get("recorded_at"),
        "updated_at": envelope.get("recorded_at"),
    }


def existing(envelope: Envelope, current: Document | None) -> Document:
    if current is None:
        raise ProjectionError(f"{envelope['type']} for a stream without a document")
    return current


def evolved(envelope: Envelope, current: Document, **changes: Any) -> Document:
    return {
        **current,
        **changes,
        "version": envelope["version"],
        "updated_at": envelope.get("recorded_at"),
    }

"""Request headers with protocol meaning: ``Idempotency-Key``, ``If-Match`` and the request
fingerprint that lets a replayed idempotency key be told apart from a reused one."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import Header
from fastapi.exceptions import RequestValidationError

IDEMPOTENCY_KEY_MAX = 255
# A version must fit PostgreSQL's int8.
_MAX_VERSION_DIGITS = 18

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        description="Repeat a request safely: the same key and body return the first response.",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Expected current version of the aggregate, as an ETag: "3".',
        examples=['"3"'],
    ),
]


def invalid_header(name: str, message: str) -> RequestValidationError:
    """A validation error naming a header, rendered like any other 422."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("header", name), "msg": message, "input": None}]
    )


def parse_if_match(value: str | None) -> int | None:
    """``"3"`` or ``3`` → 3; absent or ``*`` (any version) → None; anything else is a 422."""
    if value is None:
        return None
    tag = value.strip()
    if tag == "*":
        return None
    if len(tag) >= 2 and tag[0] == tag[-1] == '"':
        tag = tag[1:-1]
    if not (tag.isascii() and tag.isdigit()) or len(tag) > _MAX_VERSION_DIGITS:
        raise invalid_header("If-Match", 'must be one stream version as an ETag, like "3"')
    return int(tag)


def canonical_json(body: bytes) -> str:
    """The body as sorted, compact JSON, so formatting never changes a fingerprint; a body that
    is not JSON is fingerprinted by its bytes."""
    if not body.strip():
        return ""
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return body.hex()
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 hex of method, path and canonical JSON body."""
    material = "\n".join((method.upper(), path, canonical_json(body)))
    return hashlib.sha256(material.encode()).hexdigest()

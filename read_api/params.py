"""Query parameters shared by the read routes: ``limit``, the opaque ``cursor``, RFC 3339 times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BeforeValidator

from read_api.cursors import CursorValue, InvalidCursor, decode_cursor, encode_cursor

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.", examples=[20])
]
CursorQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=512,
        description="Opaque `next_cursor` of the previous page; omit for the first page.",
    ),
]


def invalid_query(name: str, message: str) -> RequestValidationError:
    """A validation error naming a query parameter, rendered like any other 422."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": message, "input": None}]
    )


def read_cursor(
    cursor: str | None, kind: str, types: tuple[type[CursorValue], ...]
) -> tuple[CursorValue, ...] | None:
    """The sort key in the ``cursor`` parameter (None on the first page); 422 if invalid."""
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor, kind, types)
    except InvalidCursor as error:
        raise invalid_query("cursor", str(error)) from error


def next_cursor(kind: str, more: bool, key: tuple[CursorValue, ...] | None) -> str | None:
    """The cursor of the next page, if there is one."""
    return encode_cursor(kind, key) if more and key is not None else None


def _rfc3339(value: object) -> object:
    # pydantic's datetime also takes Unix timestamps ("0.5"); the contract says RFC 3339 only.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}([Tt ].*)?", value):
        raise ValueError("must be an RFC 3339 date-time, like 2026-11-29T15:27:03Z")
    return value


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T01:00:00+02:00 parses, but is in year 0 in UTC, which datetime cannot hold.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall within the years 1 to 9999 in UTC") from None


Rfc3339 = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc)]

"""Opaque paging cursors: base64url of a small JSON array ``[kind, *sort values]``.

A cursor names the list it belongs to (``kind``) and the sort key of the last item served, so a
page query is ``sort key < cursor`` (keyset paging: stable while new items arrive at the head).
Anything that does not decode to the expected kind and value types is an ``InvalidCursor``, which
the routes turn into a 422 naming the ``cursor`` parameter.
"""

from __future__ import annotations

import base64
import binascii
import json

# JSON scalar types a sort value may take; bool is refused explicitly (it is an int in Python).
CursorValue = int | str

_MAX_CURSOR_CHARS = 512


class InvalidCursor(ValueError):
    """The cursor was not issued by this service for this list."""


def encode_cursor(kind: str, values: tuple[CursorValue, ...]) -> str:
    """The opaque cursor after an item whose sort key is ``values``."""
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(
    cursor: str, kind: str, types: tuple[type[CursorValue], ...]
) -> tuple[CursorValue, ...]:
    """The sort key in ``cursor``; ``InvalidCursor`` unless it is a ``kind`` cursor of ``types``."""
    if len(cursor) > _MAX_CURSOR_CHARS or not cursor.isascii():
        raise InvalidCursor("is not a cursor from this list")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parsed = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor("is not a cursor from this list") from error
    if not isinstance(parsed, list) or len(parsed) != len(types) + 1 or parsed[0] != kind:
        raise InvalidCursor("is not a cursor from this list")
    values = tuple(parsed[1:])
    for value, expected in zip(values, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, expected):
            raise InvalidCursor("is not a cursor from this list")
    return values

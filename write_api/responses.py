"""OpenAPI documentation of command responses: the success headers and the problem statuses."""

from __future__ import annotations

from typing import Any

from infra.http.problems import problem_responses

_SUCCESS_HEADERS: dict[str, Any] = {
    "ETag": {
        "description": 'New stream version, quoted: "3"; send it back as If-Match.',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to a repeated Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "X-Correlation-ID": {
        "description": "The request's correlation id (echoed or generated).",
        "schema": {"type": "string"},
    },
}

# Any command can fail these ways: bad JSON, no token, oversized body, invalid input, store down.
_ALWAYS = (400, 401, 413, 422, 503)


def command_responses(*, created: bool, problems: tuple[int, ...]) -> dict[int | str, Any]:
    """``responses=`` for a command route: its success status with headers, and its problems."""
    success = {
        "description": "Created." if created else "Applied.",
        "headers": _SUCCESS_HEADERS,
    }
    return {201 if created else 200: success, **problem_responses(*sorted({*_ALWAYS, *problems}))}

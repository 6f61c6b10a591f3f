"""Errors of the query API and their problem responses.

The shared mapping in ``infra.http.problems`` covers validation, auth and the write side's
errors; this module adds what only reads raise (unknown or hidden resource, forbidden search,
read model behind ``min_version``, read model unreachable) and registers their handlers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from infra.http.problems import (
    RETRY_AFTER_S,
    ProblemResponse,
    problem_response,
    problem_responses,
)

# Any read can fail these ways: no token, invalid parameter, read model unreachable.
_ALWAYS = (401, 422, 503)


class ReadError(Exception):
    """Base class; ``code`` names the problem type."""

    code = "read-error"


class ResourceNotFound(ReadError):
    """Unknown id, or an id the caller may not see (we never reveal which)."""

    code = "not-found"

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id} does not exist")


class AccessDenied(ReadError):
    """The caller's roles do not allow this endpoint at all (not about one resource)."""

    code = "forbidden"


class ReadModelBehind(ReadError):
    """``min_version`` was not reached within the wait bound."""

    code = "read-model-behind"

    def __init__(self, kind: str, id: object, wanted: int, seen: int | None) -> None:
        seen_text = "not projected yet" if seen is None else f"at version {seen}"
        super().__init__(
            f"read model has not caught up: {kind} {id} is {seen_text}, "
            f"version {wanted} was requested; retry later"
        )


class ReadModelUnavailable(ReadError):
    """MongoDB or Elasticsearch did not answer."""

    code = "service-unavailable"


async def _read_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ReadError)
    if isinstance(exc, ResourceNotFound):
        return problem_response(404, exc.code, str(exc))
    if isinstance(exc, AccessDenied):
        return problem_response(403, exc.code, str(exc))
    if isinstance(exc, ReadModelBehind):
        return problem_response(
            504, exc.code, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    return problem_response(
        503,
        exc.code,
        "The read models are unavailable; retry later.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def read_problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a read route: the usual problems plus ``statuses``."""
    responses = problem_responses(*sorted({*_ALWAYS, *statuses}))
    if 504 in responses:
        responses[504]["description"] = "The read model did not reach `min_version` in time."
    return responses


def install_read_problem_handlers(app: FastAPI) -> None:
    """Map the query API's own errors to problems (after ``install_problem_handlers``)."""
    app.add_exception_handler(ReadError, _read_error)

"""RFC 9457 problem responses: the one mapping from exceptions to HTTP errors for both APIs.

Every error leaves the service as ``application/problem+json`` with ``type``, ``title``,
``status`` and ``detail`` (plus ``errors`` for validation failures). Routes never catch
exceptions themselves; ``install_problem_handlers`` registers this module's handlers once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from commands import errors as command_errors
from domain import errors as domain_errors
from event_store import errors as store_errors
from infra.auth.throttle import LoginLocked
from infra.http.auth import Unauthenticated
from infra.http.rate_limit import RateLimited

PROBLEM_TYPE_BASE = "https://ledgerline.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = 1

log = structlog.get_logger()


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    field: str = Field(examples=["amount"])
    message: str = Field(examples=["Input should be greater than 0"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "insufficient-funds"])
    title: str = Field(examples=["Insufficient funds"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["The available balance does not cover the amount."])
    errors: list[FieldError] | None = Field(
        default=None, description="Present on validation failures."
    )


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    """Build the problem response for ``status`` with type URI ``…/problems/<code>``;
    ``extensions`` are extra members (RFC 9457 section 3.2), e.g. OAuth's ``error``."""
    body = Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=title or _title_from_code(code),
        status=status,
        detail=detail,
        errors=list(errors) if errors is not None else None,
    )
    content = body.model_dump(mode="json", exclude_none=True) | dict(extensions or {})
    return ProblemResponse(content, status_code=status, headers=headers)


def internal_error_response() -> ProblemResponse:
    """The last-resort 500: says nothing about the internals (the log has the traceback)."""
    return problem_response(
        500, "internal-error", "An unexpected error occurred; it has been logged."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the problem body for each status."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request (for example invalid JSON).",
    401: "Missing or invalid bearer token.",
    403: "The principal may not do this.",
    404: "Unknown id.",
    409: "A business rule or a concurrent change refused the command.",
    412: "If-Match does not match the current version.",
    413: "Request body over the size limit.",
    422: "Validation error, or an Idempotency-Key reused with a different body.",
    503: "A dependency is unavailable; retry later.",
}


def _title_from_code(code: str) -> str:
    return code.replace("-", " ").capitalize()


def _slug(phrase: str) -> str:
    return phrase.lower().replace(" ", "-").replace("'", "")


# Input errors the domain raises name a single request field; say which one.
_DOMAIN_ERROR_FIELDS: dict[type[domain_errors.DomainError], str] = {
    domain_errors.InvalidAmount: "amount",
    domain_errors.UnknownCurrency: "currency",
    domain_errors.InvalidEmail: "email",
    domain_errors.InvalidName: "full_name",
    domain_errors.InvalidRole: "roles",
}

_COMMAND_ERROR_STATUS: dict[type[Exception], int] = {
    command_errors.NotFound: 404,
    command_errors.Forbidden: 403,
    command_errors.VersionMismatch: 412,
    command_errors.IdempotencyKeyReused: 422,
    command_errors.EmailTaken: 409,
    command_errors.InvalidCredentials: 401,
    command_errors.InvalidCode: 422,
    command_errors.WrongPassword: 422,
    command_errors.InvalidToken: 400,
    command_errors.Conflict: 409,
    command_errors.ServiceUnavailable: 503,
}


def field_name(location: Iterable[int | str]) -> str:
    """``("body", "amount")`` → ``amount``; ``("path", "account_id")`` → ``account_id``."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in {"body", "path", "query", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


async def _validation_failed(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(400, "malformed-json", "The request body is not valid JSON.")
    return problem_response(
        422,
        "validation-error",
        "The request is invalid; see errors.",
        errors=[
            FieldError(field=field_name(error.get("loc", ())), message=str(error.get("msg", "")))
            for error in errors
        ],
    )


async def _http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
    headers = exc.headers
    if exc.status_code == 405:
        headers = dict(headers or {}) | {"Allow": ", ".join(_allowed_methods(request))}
    return problem_response(exc.status_code, _slug(phrase), detail, title=phrase, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own 405 names only the first
    route's methods when several routes share a path (PATCH and DELETE of one resource)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _unauthenticated(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Unauthenticated)
    return problem_response(
        401, "unauthenticated", str(exc), headers={"WWW-Authenticate": exc.challenge}
    )


async def _domain_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, domain_errors.DomainError)
    if isinstance(exc, domain_errors.RuleViolation):
        return problem_response(409, exc.code, str(exc))
    # An error may name its field itself (a preference names ``email.<kind>``).
    named = getattr(exc, "field", None)
    field = (
        named
        if isinstance(named, str)
        else next(
            (name for kind, name in _DOMAIN_ERROR_FIELDS.items() if isinstance(exc, kind)), None
        )
    )
    errors = [FieldError(field=field, message=str(exc))] if field else None
    return problem_response(422, exc.code, str(exc), errors=errors)


async def _command_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, command_errors.CommandError)
    status = next(
        (code for kind, code in _COMMAND_ERROR_STATUS.items() if isinstance(exc, kind)), 400
    )
    headers = None
    errors = None
    if isinstance(exc, command_errors.ServiceUnavailable):
        headers = {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, command_errors.InvalidCredentials):
        headers = {"WWW-Authenticate": 'Bearer realm="ledgerline"'}
    if isinstance(exc, command_errors.InvalidCode):
        errors = [FieldError(field="code", message=str(exc))]
    if isinstance(exc, command_errors.WrongPassword):
        errors = [FieldError(field=exc.field, message=str(exc))]
    if isinstance(exc, command_errors.InvalidToken):
        errors = [FieldError(field="token", message=str(exc))]
    return problem_response(status, exc.code, str(exc), headers=headers, errors=errors)


async def _login_locked(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, LoginLocked)
    return problem_response(
        429, exc.code, str(exc), headers={"Retry-After": str(exc.retry_after_s)}
    )


async def _store_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # The bus translates store failures; this covers reads that reach the store directly.
    log.warning("event_store_unavailable", error=str(exc))
    return problem_response(
        503,
        "service-unavailable",
        "The event store is unavailable; retry later.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _rate_limited(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RateLimited)
    return problem_response(
        429, "rate-limited", str(exc), headers={"Retry-After": str(exc.retry_after_s)}
    )


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.error("unhandled_exception", exc_info=exc)
    return internal_error_response()


def _document_problem_media_type(app: FastAPI) -> None:
    # ``problem_responses`` names the Problem model so FastAPI puts it in the components, which
    # also lists it under application/json; problems are only ever sent as problem+json.
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_MEDIA_TYPE in content:
                            content.pop("application/json", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_handlers(app: FastAPI) -> None:
    """Register the exception-to-problem mapping on ``app`` (and document it in OpenAPI)."""
    _document_problem_media_type(app)
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Unauthenticated, _unauthenticated)
    app.add_exception_handler(domain_errors.DomainError, _domain_error)
    app.add_exception_handler(command_errors.CommandError, _command_error)
    app.add_exception_handler(store_errors.StoreUnavailable, _store_unavailable)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(LoginLocked, _login_locked)
    # Starlette runs the Exception handler outside user middleware; EdgeMiddleware
    # catches first (so the 500 still carries the correlation id) and this stays as a backstop.
    app.add_exception_handler(Exception, _unexpected)

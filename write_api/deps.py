"""Dependencies of the write API's routes, as ``Annotated`` aliases.

A route declares one dispatcher and hands it a command:
- ``Dispatch``: authenticated command on an existing aggregate (honours ``If-Match``);
- ``CreateDispatch``: authenticated command that creates an aggregate;
- ``SignUpDispatch``: sign-up, where the caller may be anonymous.
The dispatcher builds the ``CommandContext`` from the request, runs the bus (awaited: routes
that dispatch are ``async``), records the command metrics and sets status, ``ETag`` and
``Idempotent-Replayed`` on the response.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Protocol

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from commands.context import CommandContext, Principal
from commands.errors import CommandError
from commands.messages import Command
from commands.result import CommandResult
from domain.errors import DomainError
from infra.http.auth import CurrentPrincipal, OptionalPrincipal
from infra.http.headers import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    parse_if_match,
    request_fingerprint,
)
from infra.http.metrics import HttpMetrics
from infra.http.middleware import correlation_id
from infra.http.rate_limit import apply_rate_limit
from write_api.schemas import CommandResponse


class CommandExecutor(Protocol):
    """What the routes need of ``commands.bus.CommandBus``."""

    def execute(self, command: Command, ctx: CommandContext) -> CommandResult: ...


async def _context(
    request: Request,
    principal: Principal,
    idempotency_key: str | None,
    if_match: str | None,
) -> CommandContext:
    await apply_rate_limit(request, principal)
    # FastAPI has already read (and cached) the body when the route declares one.
    body = await request.body()
    return CommandContext(
        principal=principal,
        correlation_id=correlation_id(request),
        # Each request is the cause of the events it appends.
        causation_id=str(uuid.uuid4()),
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint(request.method, request.url.path, body),
        expected_version=parse_if_match(if_match),
        client_address=request.client.host if request.client else None,
    )


async def existing_aggregate_context(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> CommandContext:
    """Context of an authenticated command on an existing aggregate."""
    return await _context(request, principal, idempotency_key, if_match)


async def new_aggregate_context(
    request: Request, principal: CurrentPrincipal, idempotency_key: IdempotencyKeyHeader = None
) -> CommandContext:
    """Context of an authenticated command that creates an aggregate."""
    return await _context(request, principal, idempotency_key, None)


async def sign_up_context(
    request: Request, principal: OptionalPrincipal, idempotency_key: IdempotencyKeyHeader = None
) -> CommandContext:
    """Context of a sign-up: anonymous unless a valid token is sent."""
    return await _context(request, principal, idempotency_key, None)


class Dispatcher:
    """Runs one command for the current request and shapes the HTTP response."""

    def __init__(
        self,
        bus: CommandExecutor,
        ctx: CommandContext,
        response: Response,
        metrics: HttpMetrics,
    ) -> None:
        self._bus = bus
        self._ctx = ctx
        self._response = response
        self._metrics = metrics

    async def __call__(self, command: Command) -> CommandResponse:
        name = type(command).__name__
        outcome = "error"
        begun = time.perf_counter()
        try:
            # The bus and the event store are synchronous (psycopg's sync pool): this is the
            # command's one hand-off to a worker thread. Routes are async so that FastAPI
            # makes no other (a sync route costs two: the call and the response validation).
            result = await run_in_threadpool(self._bus.execute, command, self._ctx)
            outcome = "replayed" if result.replayed else "ok"
        except (DomainError, CommandError) as error:
            outcome = error.code
            raise
        finally:
            self._metrics.observe_command(name, outcome, time.perf_counter() - begun)
        self._response.status_code = 201 if result.created else 200
        self._response.headers["ETag"] = f'"{result.version}"'
        if result.replayed:
            self._response.headers["Idempotent-Replayed"] = "true"
        return CommandResponse.of(result)


def _dispatcher(request: Request, ctx: CommandContext, response: Response) -> Dispatcher:
    # The bus and the metrics come from the app's state, not as dependencies of their own:
    # every command passes here, and each dependency costs FastAPI a resolution per request.
    state = request.app.state
    return Dispatcher(state.bus, ctx, response, state.metrics)


async def dispatch(
    request: Request,
    ctx: Annotated[CommandContext, Depends(existing_aggregate_context)],
    response: Response,
) -> Dispatcher:
    """Dispatcher for commands on an existing aggregate."""
    return _dispatcher(request, ctx, response)


async def create_dispatch(
    request: Request,
    ctx: Annotated[CommandContext, Depends(new_aggregate_context)],
    response: Response,
) -> Dispatcher:
    """Dispatcher for commands that create an aggregate."""
    return _dispatcher(request, ctx, response)


async def sign_up_dispatch(
    request: Request,
    ctx: Annotated[CommandContext, Depends(sign_up_context)],
    response: Response,
) -> Dispatcher:
    """Dispatcher for sign-up."""
    return _dispatcher(request, ctx, response)


Dispatch = Annotated[Dispatcher, Depends(dispatch)]
CreateDispatch = Annotated[Dispatcher, Depends(create_dispatch)]
SignUpDispatch = Annotated[Dispatcher, Depends(sign_up_dispatch)]

"""Auth routes: log in (password, then the second factor when the user has one), the OAuth 2.0
token endpoint (password and refresh-token grants, for OAuth tooling and the docs' "Authorize"
button), and log out.

A wrong e-mail address and a wrong password get the same 401 after the same work; a locked
account or address gets 429 with ``Retry-After`` (``infra.auth.throttle``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response

from commands.context import ANONYMOUS, CommandContext
from commands.errors import InvalidCredentials
from infra.auth.service import AuthService, ClientInfo, InvalidGrant, MfaChallenge, Tokens
from infra.http.auth import CurrentPrincipal
from infra.http.middleware import correlation_id
from infra.http.problems import ProblemResponse, problem_response, problem_responses
from infra.http.rate_limit import apply_rate_limit
from infra.http.routing import DocstringSummaryRoute
from write_api.auth_schemas import LoginRequest, MfaLogin, MfaRequired, TokenResponse

router = APIRouter(prefix="/v1/auth", tags=["auth"], route_class=DocstringSummaryRoute)


def get_auth(request: Request) -> AuthService:
    auth: AuthService = request.app.state.auth
    return auth


AuthDep = Annotated[AuthService, Depends(get_auth)]


async def _anonymous_context(request: Request) -> tuple[CommandContext, ClientInfo]:
    await apply_rate_limit(request, ANONYMOUS)
    address = request.client.host if request.client else None
    ctx = CommandContext(
        principal=ANONYMOUS,
        correlation_id=correlation_id(request),
        causation_id=str(uuid.uuid4()),
        client_address=address,
    )
    return ctx, ClientInfo(address=address, user_agent=request.headers.get("user-agent"))


Anonymous = Annotated[tuple[CommandContext, ClientInfo], Depends(_anonymous_context)]


def _token_response(tokens: Tokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


def _refused(error: InvalidCredentials) -> ProblemResponse:
    """The 401 of a failed login; returned (not raised) so that FastAPI still runs the
    background task that records the failure once the answer has gone out."""
    return problem_response(
        401,
        error.code,
        str(error),
        headers={"WWW-Authenticate": 'Bearer realm="ledgerline"'},
    )


@router.post(
    "/login",
    response_model=TokenResponse | MfaRequired,
    responses=problem_responses(400, 401, 413, 422, 429),
)
def log_in(
    body: LoginRequest, auth: AuthDep, anonymous: Anonymous, tasks: BackgroundTasks
) -> TokenResponse | MfaRequired | ProblemResponse:
    """Log in with e-mail and password: tokens, or a ticket for the second factor."""
    ctx, client = anonymous
    try:
        outcome = auth.log_in(body.email, body.password, client, ctx, later=tasks.add_task)
    except InvalidCredentials as error:
        return _refused(error)
    if isinstance(outcome, MfaChallenge):
        return MfaRequired(mfa_token=outcome.mfa_token)
    return _token_response(outcome)


@router.post(
    "/mfa",
    response_model=TokenResponse,
    responses=problem_responses(400, 401, 413, 422, 429),
)
def complete_mfa(
    body: MfaLogin, auth: AuthDep, anonymous: Anonymous, tasks: BackgroundTasks
) -> TokenResponse | ProblemResponse:
    """Second step of a login: the MFA ticket and a TOTP code (or a recovery code)."""
    ctx, client = anonymous
    try:
        tokens = auth.complete_mfa(body.mfa_token, body.code, client, ctx, later=tasks.add_task)
    except InvalidCredentials as error:
        return _refused(error)
    return _token_response(tokens)


def _oauth_error(status: int, error: str, description: str) -> ProblemResponse:
    """An RFC 6749 error: the problem document carries ``error`` and ``error_description``."""
    extensions: dict[str, Any] = {"error": error, "error_description": description}
    return problem_response(status, error.replace("_", "-"), description, extensions=extensions)


@router.post(
    "/token",
    response_model=TokenResponse,
    responses={**problem_responses(400, 401, 413, 422, 429)},
    openapi_extra={"security": [{}]},
)
def token(
    auth: AuthDep,
    anonymous: Anonymous,
    tasks: BackgroundTasks,
    grant_type: Annotated[str, Form(max_length=64)],
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=512)] = None,
    scope: Annotated[str | None, Form(max_length=256)] = None,
) -> TokenResponse | ProblemResponse:
    """OAuth 2.0 token endpoint (RFC 6749): grant types ``password`` and ``refresh_token``."""
    ctx, client = anonymous
    if grant_type == "refresh_token":
        if not refresh_token:
            return _oauth_error(400, "invalid_request", "refresh_token is required")
        try:
            return _token_response(auth.refresh(refresh_token, ctx))
        except InvalidGrant as error:
            return _oauth_error(400, "invalid_grant", str(error))
    if grant_type == "password":
        if not username or not password:
            return _oauth_error(400, "invalid_request", "username and password are required")
        try:
            outcome = auth.log_in(username, password, client, ctx, later=tasks.add_task)
        except InvalidCredentials:
            return _oauth_error(400, "invalid_grant", "The credentials are not valid.")
        if isinstance(outcome, MfaChallenge):
            return _oauth_error(
                400,
                "invalid_grant",
                "This user has a second factor: log in with POST /v1/auth/login.",
            )
        return _token_response(outcome)
    return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not one")


@router.post("/logout", status_code=204, responses=problem_responses(401, 403, 429))
def log_out(principal: CurrentPrincipal, auth: AuthDep, request: Request) -> Response:
    """End the session of the bearer token (its refresh token stops working at once)."""
    ctx = CommandContext(
        principal=principal,
        correlation_id=correlation_id(request),
        causation_id=str(uuid.uuid4()),
    )
    auth.log_out(principal, ctx)
    return Response(status_code=204)

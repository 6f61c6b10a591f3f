"""Account recovery routes (no token needed: the e-mailed link is the proof): confirm an
address, ask for a password-reset link, and set a new password with one.

Asking for a reset answers 202 with the same body, after the same work, whether or not anybody
has the address; the request is recorded after the answer has gone out (``infra.auth.recovery``).
A bad, expired, used or superseded link is a 400 problem naming ``token``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request

from commands.result import CommandResult
from infra.auth.recovery import RecoveryService
from infra.http.problems import problem_responses
from infra.http.routing import DocstringSummaryRoute
from write_api.auth import Anonymous
from write_api.auth_schemas import (
    EmailVerification,
    PasswordResetAccepted,
    PasswordResetConfirmation,
    PasswordResetRequest,
)
from write_api.schemas import CommandResponse

router = APIRouter(prefix="/v1/auth", tags=["auth"], route_class=DocstringSummaryRoute)

_PROBLEMS = problem_responses(400, 413, 422, 429, 503)


def get_recovery(request: Request) -> RecoveryService:
    recovery: RecoveryService = request.app.state.recovery
    return recovery


RecoveryDep = Annotated[RecoveryService, Depends(get_recovery)]


def _applied(result: CommandResult) -> CommandResponse:
    return CommandResponse.of(result)


@router.post("/verify-email", responses=_PROBLEMS)
def verify_email(
    body: EmailVerification, recovery: RecoveryDep, anonymous: Anonymous
) -> CommandResponse:
    """Confirm an e-mail address with its verification link's token (idempotent)."""
    ctx, _ = anonymous
    return _applied(recovery.verify_email(body.token, ctx))


@router.post("/password-reset", status_code=202, responses=_PROBLEMS)
def request_password_reset(
    body: PasswordResetRequest,
    recovery: RecoveryDep,
    anonymous: Anonymous,
    tasks: BackgroundTasks,
) -> PasswordResetAccepted:
    """Ask for a password-reset link by e-mail: always 202, whoever has the address."""
    ctx, _ = anonymous
    recovery.request_password_reset(body.email, ctx, later=tasks.add_task)
    return PasswordResetAccepted()


@router.post("/password-reset/confirm", responses=_PROBLEMS)
def confirm_password_reset(
    body: PasswordResetConfirmation, recovery: RecoveryDep, anonymous: Anonymous
) -> CommandResponse:
    """Set a new password with a reset link's token; every session is revoked."""
    ctx, _ = anonymous
    return _applied(recovery.reset_password(body.token, body.password, ctx))

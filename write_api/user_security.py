"""A user's credentials and sessions: password change, the second factor (TOTP enrolment,
confirmation with recovery codes, disabling), session revocation, and roles (admins).

Everything here is a command on the user's (or a session's) stream, so the audit trail has it.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from commands.messages import (
    ChangePassword,
    ConfirmTotpEnrolment,
    DisableMfa,
    GrantRole,
    RevokeAllSessions,
    RevokeRole,
    RevokeSession,
    StartTotpEnrolment,
)
from infra.auth import totp
from infra.http.routing import DocstringSummaryRoute
from write_api.auth import AuthDep
from write_api.auth_schemas import (
    CodeConfirmation,
    MfaDisable,
    PasswordChange,
    RecoveryCodes,
    Role,
    RoleGrant,
    TotpEnrolment,
)
from write_api.deps import Dispatch
from write_api.responses import command_responses
from write_api.schemas import CommandResponse

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=DocstringSummaryRoute)

_ON_USER = command_responses(created=False, problems=(403, 404, 409, 412))


@router.post("/{user_id}/password", responses=_ON_USER)
async def change_password(
    user_id: UUID, body: PasswordChange, send: Dispatch, auth: AuthDep
) -> CommandResponse:
    """Change the password (the current one is required); every other session is revoked."""
    new_hash = await run_in_threadpool(auth.hasher.hash, body.new_password)
    command = ChangePassword(user_id, body.current_password, new_hash)
    return await send(command)


@router.post("/{user_id}/mfa/totp", responses=_ON_USER)
async def start_totp_enrolment(user_id: UUID, send: Dispatch) -> TotpEnrolment:
    """Start TOTP enrolment: the otpauth URI and its QR code; confirm with a code."""
    secret = totp.new_secret()
    await send(StartTotpEnrolment(user_id, secret))
    # Labelled with the user id, not the e-mail address: the URI and QR code leave our hands.
    uri = totp.provisioning_uri(secret, str(user_id), "Ledgerline")
    qr_svg = await run_in_threadpool(totp.qr_svg, uri)  # CPU work: not on the event loop
    return TotpEnrolment(otpauth_uri=uri, qr_svg=qr_svg, secret=secret)


@router.post("/{user_id}/mfa/totp/confirm", responses=_ON_USER)
async def confirm_totp_enrolment(
    user_id: UUID, body: CodeConfirmation, send: Dispatch
) -> RecoveryCodes:
    """Turn the second factor on with a code from the app; returns 10 recovery codes, once."""
    codes = totp.new_recovery_codes()
    digests = tuple(totp.recovery_code_digest(user_id, code) for code in codes)
    confirmed = await send(ConfirmTotpEnrolment(user_id, body.code, digests))
    return RecoveryCodes(recovery_codes=codes, id=confirmed.id, version=confirmed.version)


@router.delete("/{user_id}/mfa", responses=_ON_USER)
async def disable_mfa(user_id: UUID, body: MfaDisable, send: Dispatch) -> CommandResponse:
    """Turn the second factor off (the password and a code are required)."""
    return await send(DisableMfa(user_id, body.password, body.code))


@router.delete("/{user_id}/sessions/{session_id}", responses=_ON_USER)
async def revoke_session(user_id: UUID, session_id: UUID, send: Dispatch) -> CommandResponse:
    """Revoke one session: its refresh token stops working at once."""
    return await send(RevokeSession(user_id, session_id))


@router.delete("/{user_id}/sessions", responses=_ON_USER)
async def revoke_all_sessions(user_id: UUID, send: Dispatch) -> CommandResponse:
    """Log out everywhere: every session of the user is revoked."""
    return await send(RevokeAllSessions(user_id))


@router.post("/{user_id}/roles", responses=_ON_USER)
async def grant_role(user_id: UUID, body: RoleGrant, send: Dispatch) -> CommandResponse:
    """Grant a role (admins only); staff roles reach tokens once the user has a second factor."""
    return await send(GrantRole(user_id, body.role))


@router.delete("/{user_id}/roles/{role}", responses=_ON_USER)
async def revoke_role(user_id: UUID, role: Role, send: Dispatch) -> CommandResponse:
    """Revoke a role (admins only)."""
    return await send(RevokeRole(user_id, role))

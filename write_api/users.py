"""Write routes for users: sign-up (with a password), profile changes, notification
preferences, the inbox's read mark, deactivation and GDPR erasure. Credentials, sessions and
roles are in ``user_security``; e-mail verification and password reset in ``recovery``."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from commands.messages import (
    ChangeNotificationPreferences,
    ChangeProfile,
    DeactivateUser,
    ForgetPersonalData,
    MarkNotificationsRead,
    RegisterUser,
)
from infra.http.routing import DocstringSummaryRoute
from write_api.auth import AuthDep
from write_api.deps import Dispatch, SignUpDispatch
from write_api.responses import command_responses
from write_api.schemas import (
    CommandResponse,
    NotificationPreferencesUpdate,
    NotificationsReadUpdate,
    UserCreate,
    UserUpdate,
)

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=DocstringSummaryRoute)

_ON_USER = command_responses(created=False, problems=(403, 404, 409, 412))


@router.post(
    "",
    status_code=201,
    responses=command_responses(created=True, problems=(409,)),
    # A token is optional here: `{}` tells OpenAPI clients that anonymous calls are allowed.
    openapi_extra={"security": [{}, {"HTTPBearer": []}, {"OAuth2PasswordBearer": []}]},
)
async def register_user(body: UserCreate, send: SignUpDispatch, auth: AuthDep) -> CommandResponse:
    """Sign up: register a new user (no token needed); the email must be unused."""
    password_hash = await run_in_threadpool(auth.hasher.hash, body.password)
    return await send(
        RegisterUser(
            email=body.email,
            full_name=body.full_name,
            password_hash=password_hash,
            language=body.language,
        )
    )


@router.patch("/{user_id}", responses=_ON_USER)
async def change_profile(user_id: UUID, body: UserUpdate, send: Dispatch) -> CommandResponse:
    """Change a user's email and/or full name."""
    return await send(ChangeProfile(user_id=user_id, email=body.email, full_name=body.full_name))


@router.put("/{user_id}/notification-preferences", responses=_ON_USER)
async def change_notification_preferences(
    user_id: UUID, body: NotificationPreferencesUpdate, send: Dispatch
) -> CommandResponse:
    """Turn e-mail kinds on or off (security e-mails stay on) and/or set their language."""
    return await send(
        ChangeNotificationPreferences(
            user_id=user_id, email=body.email.changes(), language=body.language
        )
    )


@router.post("/{user_id}/notifications/read", responses=_ON_USER)
async def mark_notifications_read(
    user_id: UUID, body: NotificationsReadUpdate, send: Dispatch
) -> CommandResponse:
    """Mark the inbox read up to a line's position; a mark below the current one changes
    nothing (no event)."""
    return await send(MarkNotificationsRead(user_id=user_id, up_to_position=body.up_to_position))


@router.post("/{user_id}/deactivate", responses=_ON_USER)
async def deactivate_user(user_id: UUID, send: Dispatch) -> CommandResponse:
    """Deactivate a user; a deactivated user cannot open accounts."""
    return await send(DeactivateUser(user_id=user_id))


@router.delete("/{user_id}/personal-data", responses=_ON_USER)
async def forget_personal_data(user_id: UUID, send: Dispatch) -> CommandResponse:
    """Forget a user's personal data (GDPR): events stay, the PII becomes unreadable."""
    return await send(ForgetPersonalData(user_id=user_id))

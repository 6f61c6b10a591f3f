"""Read routes for users: a user's profile, their e-mail preferences, their accounts and their
active sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from domain.preferences import (
    OPTIONAL_EMAIL_KINDS,
    SECURITY_EMAIL_KINDS,
    default_email_preferences,
)
from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import account_scope_of, scope_of
from read_api.deps import MongoDep
from read_api.errors import ResourceNotFound, read_problem_responses
from read_api.freshness import FreshDep
from read_api.schemas import (
    AccountList,
    AccountPublic,
    NotificationPreferencesPublic,
    SessionList,
    SessionPublic,
    UserPublic,
)

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=DocstringSummaryRoute)


@router.get("/{user_id}", responses=read_problem_responses(404, 504))
async def get_user(
    user_id: UUID, principal: CurrentPrincipal, mongo: MongoDep, fresh: FreshDep
) -> UserPublic:
    """A user's profile (your own, or any for auditors and admins)."""
    if not scope_of(principal).owns(user_id):
        raise ResourceNotFound("user", user_id)
    doc = await fresh.load("user", user_id, lambda: mongo.user(user_id))
    return UserPublic.model_validate(doc)


@router.get("/{user_id}/notification-preferences", responses=read_problem_responses(404, 504))
async def get_notification_preferences(
    user_id: UUID, principal: CurrentPrincipal, mongo: MongoDep, fresh: FreshDep
) -> NotificationPreferencesPublic:
    """Which e-mails a user gets, and in which language (yours, or any for auditors, admins)."""
    if not scope_of(principal).owns(user_id):
        raise ResourceNotFound("user", user_id)
    doc = await fresh.load("user", user_id, lambda: mongo.user(user_id))
    # Documents written before preferences existed (or of forgotten users) have none: defaults.
    stored = doc.get("notification_preferences") or {}
    email = default_email_preferences() | {
        kind: bool(stored[kind]) for kind in OPTIONAL_EMAIL_KINDS if kind in stored
    }
    email |= dict.fromkeys(SECURITY_EMAIL_KINDS, True)
    language = doc.get("language", "en")
    return NotificationPreferencesPublic(email=email, language=language, version=doc["version"])


@router.get("/{user_id}/accounts", responses=read_problem_responses(404))
async def list_user_accounts(
    user_id: UUID, principal: CurrentPrincipal, mongo: MongoDep
) -> AccountList:
    """Every account of a user (closed ones too), oldest first."""
    if not account_scope_of(principal).owns(user_id) or await mongo.user(user_id) is None:
        raise ResourceNotFound("user", user_id)
    docs = await mongo.accounts_of(user_id)
    return AccountList(items=[AccountPublic.model_validate(doc) for doc in docs])


@router.get("/{user_id}/sessions", responses=read_problem_responses(404))
async def list_sessions(user_id: UUID, principal: CurrentPrincipal, mongo: MongoDep) -> SessionList:
    """A user's active sessions, newest first: when, from where, last used."""
    user = await mongo.user(user_id) if scope_of(principal).owns(user_id) else None
    if user is None:
        raise ResourceNotFound("user", user_id)
    docs = await mongo.active_sessions(user, datetime.now(UTC))
    return SessionList(
        items=[
            SessionPublic.model_validate({**doc, "current": doc["id"] == str(principal.session_id)})
            for doc in docs
        ]
    )

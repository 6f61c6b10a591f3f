"""Read route for a user's notification inbox."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import scope_of
from read_api.deps import MongoDep
from read_api.errors import ResourceNotFound, read_problem_responses
from read_api.freshness import FreshDep
from read_api.params import DEFAULT_LIMIT, CursorQuery, LimitQuery, next_cursor, read_cursor
from read_api.schemas import NotificationPublic, Page

router = APIRouter(prefix="/v1/users", tags=["notifications"], route_class=DocstringSummaryRoute)

_NOTIFICATIONS_CURSOR = "notifications"


@router.get("/{user_id}/notifications", responses=read_problem_responses(404, 504))
async def list_notifications(
    user_id: UUID,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    fresh: FreshDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[NotificationPublic]:
    """A user's inbox (their own and their accounts' notifications), newest first; `read`
    says whether a line is at or below the user's read mark (`min_version`: of the user)."""
    after = read_cursor(cursor, _NOTIFICATIONS_CURSOR, (int, str))
    if not scope_of(principal).owns(user_id):
        raise ResourceNotFound("user", user_id)
    # `min_version` is the user's stream's: after a read mark, the flags reflect it.
    user = await fresh.load("user", user_id, lambda: mongo.user(user_id))
    before = None if after is None else (int(after[0]), str(after[1]))
    account_ids = await mongo.account_ids_of(str(user_id))
    found = await mongo.notifications(user_id, account_ids, limit, before)
    read_up_to = int(user.get("notifications_read_up_to", 0))
    items = [
        NotificationPublic.model_validate({**doc, "read": doc["position"] <= read_up_to})
        for doc in found.items
    ]
    key = (items[-1].position, items[-1].id) if items else None
    return Page[NotificationPublic](
        items=items, next_cursor=next_cursor(_NOTIFICATIONS_CURSOR, found.more, key)
    )

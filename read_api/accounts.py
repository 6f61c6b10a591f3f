"""Read routes for accounts: an account and its cursor-paged statement lines."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import may_read_account
from read_api.deps import MongoDep
from read_api.errors import ResourceNotFound, read_problem_responses
from read_api.freshness import FreshDep
from read_api.params import DEFAULT_LIMIT, CursorQuery, LimitQuery, next_cursor, read_cursor
from read_api.schemas import AccountPublic, EntryPublic, Page

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], route_class=DocstringSummaryRoute)

_ENTRIES_CURSOR = "entries"


@router.get("/{account_id}", responses=read_problem_responses(404, 504))
async def get_account(
    account_id: UUID, principal: CurrentPrincipal, mongo: MongoDep, fresh: FreshDep
) -> AccountPublic:
    """An account with its balance, available funds and status."""
    doc = await fresh.load("account", account_id, lambda: mongo.account(account_id))
    if not may_read_account(principal, doc):
        raise ResourceNotFound("account", account_id)
    return AccountPublic.model_validate(doc)


@router.get("/{account_id}/entries", responses=read_problem_responses(404))
async def list_account_entries(
    account_id: UUID,
    principal: CurrentPrincipal,
    mongo: MongoDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[EntryPublic]:
    """An account's statement lines (credits and debits), newest first, cursor-paged."""
    after = read_cursor(cursor, _ENTRIES_CURSOR, (int,))
    account = await mongo.account(account_id)
    if account is None or not may_read_account(principal, account):
        raise ResourceNotFound("account", account_id)
    before_version = None if after is None else int(after[0])
    found = await mongo.entries(account_id, limit, before_version)
    items = [EntryPublic.model_validate(doc) for doc in found.items]
    key = (items[-1].version,) if items else None
    return Page[EntryPublic](items=items, next_cursor=next_cursor(_ENTRIES_CURSOR, found.more, key))

"""Search routes (Elasticsearch): payments with filters and facets, users (auditors/admins).

A caller who does not see everything searches only payments where one of their accounts is
payer or payee: the filter is part of the query, so totals and facets never count other users'
payments either.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from domain.money import MAX_AMOUNT
from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import may_search_users, scope_of
from read_api.deps import MongoDep, SearchDep
from read_api.errors import AccessDenied, ResourceNotFound, read_problem_responses
from read_api.params import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Rfc3339,
    next_cursor,
    read_cursor,
)
from read_api.schemas import (
    PaymentFacets,
    PaymentPublic,
    PaymentSearchResults,
    PaymentStatus,
    UserPublic,
    UserSearchResults,
)
from read_api.search_reads import PaymentQuery, SortKey, as_utc

router = APIRouter(prefix="/v1/search", tags=["search"], route_class=DocstringSummaryRoute)

_PAYMENTS_CURSOR = "payments"
_USERS_CURSOR = "users"
_MAX_QUERY_CHARS = 200

TextQuery = Annotated[
    str | None,
    Query(max_length=_MAX_QUERY_CHARS, description="Full-text query.", examples=["coffee"]),
]
AmountQuery = Annotated[int | None, Query(ge=0, le=MAX_AMOUNT, description="Minor units.")]


def _out_of_order(low: str, high: str) -> RequestValidationError:
    message = f"'{low}' must not be greater than '{high}'"
    return RequestValidationError(
        [
            {"type": "value_error", "loc": ("query", name), "msg": message, "input": None}
            for name in (low, high)
        ]
    )


def _sort_key(cursor: str | None, kind: str) -> SortKey | None:
    values = read_cursor(cursor, kind, (int, str))
    return None if values is None else (int(values[0]), str(values[1]))


@router.get("/payments", responses=read_problem_responses(404))
async def search_payments(
    principal: CurrentPrincipal,
    mongo: MongoDep,
    search: SearchDep,
    q: TextQuery = None,
    status: Annotated[PaymentStatus | None, Query(description="Payment status.")] = None,
    currency: Annotated[
        str | None, Query(pattern="^[A-Z]{3}$", description="ISO 4217 code.", examples=["EUR"])
    ] = None,
    min_amount: AmountQuery = None,
    max_amount: AmountQuery = None,
    created_from: Annotated[
        Rfc3339 | None, Query(alias="from", description="Created at or after (RFC 3339).")
    ] = None,
    created_to: Annotated[
        Rfc3339 | None, Query(alias="to", description="Created at or before (RFC 3339).")
    ] = None,
    account_id: Annotated[
        UUID | None,
        Query(description="Only payments from or to this account (one the caller may read)."),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> PaymentSearchResults:
    """Search payments by description and merchant, with filters and facet counts; with
    `account_id`, an account's payments (404 for an account the caller may not read)."""
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise _out_of_order("min_amount", "max_amount")
    created_from = None if created_from is None else as_utc(created_from)
    created_to = None if created_to is None else as_utc(created_to)
    if created_from is not None and created_to is not None and created_from > created_to:
        raise _out_of_order("from", "to")
    after = _sort_key(cursor, _PAYMENTS_CURSOR)
    scope = scope_of(principal)
    account_ids = None if scope.everything else await mongo.recent_account_ids_of(scope.owner_id)
    if account_id is not None:
        # The cached list may be a second old: an account opened since is looked up afresh.
        if (
            account_ids is not None
            and str(account_id) not in account_ids
            and str(account_id) not in await mongo.account_ids_of(scope.owner_id)
        ):
            raise ResourceNotFound("account", account_id)
        account_ids = [str(account_id)]
    query = PaymentQuery(
        q=q,
        status=status,
        currency=currency,
        min_amount=min_amount,
        max_amount=max_amount,
        created_from=created_from,
        created_to=created_to,
    )
    hits = await search.payments(query, account_ids=account_ids, limit=limit, after=after)
    return PaymentSearchResults(
        items=[PaymentPublic.model_validate(doc) for doc in hits.items],
        total=hits.total,
        facets=PaymentFacets(
            status=hits.facets.get("status", {}), currency=hits.facets.get("currency", {})
        ),
        next_cursor=next_cursor(_PAYMENTS_CURSOR, hits.more, hits.last_key),
    )


@router.get("/users", responses=read_problem_responses(403))
async def search_users(
    principal: CurrentPrincipal,
    search: SearchDep,
    q: TextQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> UserSearchResults:
    """Search users by full name or email (auditors and admins only)."""
    if not may_search_users(principal):
        raise AccessDenied("Only auditors and admins may search users.")
    after = _sort_key(cursor, _USERS_CURSOR)
    hits = await search.users(q, limit=limit, after=after)
    return UserSearchResults(
        items=[UserPublic.model_validate(doc) for doc in hits.items],
        total=hits.total,
        next_cursor=next_cursor(_USERS_CURSOR, hits.more, hits.last_key),
    )

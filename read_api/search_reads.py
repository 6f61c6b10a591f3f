"""Elasticsearch queries of the query API: payment search with filters and facets, user search
(plain async elasticsearch-py).

Both lists sort by ``created_at`` descending then ``id`` ascending and page with
``search_after`` on those two values. Indices are read through their aliases
(``<prefix>-payments``, ``<prefix>-users``) so rebuilds can swap them. A missing index (nothing
projected yet) is an empty result; an unreachable server is ``ReadModelUnavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from read_api.errors import ReadModelUnavailable

Document = dict[str, Any]
SortKey = tuple[int, str]

_SORT: list[Document] = [{"created_at": {"order": "desc"}}, {"id": {"order": "asc"}}]
FACET_FIELDS = ("status", "currency")
# More than the number of payment statuses and of the currencies anyone trades in.
_FACET_SIZE = 200


@dataclass(frozen=True)
class PaymentQuery:
    """Filters of a payment search; ``None`` means no filter."""

    q: str | None = None
    status: str | None = None
    currency: str | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class Hits:
    """One page of search results."""

    items: list[Document]
    total: int
    more: bool
    last_key: SortKey | None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def _empty(facets: bool) -> Hits:
    return Hits(
        items=[],
        total=0,
        more=False,
        last_key=None,
        facets={name: {} for name in FACET_FIELDS} if facets else {},
    )


@contextmanager
def _unavailable_on_transport_error() -> Iterator[None]:
    try:
        yield
    except (TransportConnectionError, ConnectionTimeout) as error:
        raise ReadModelUnavailable(f"Elasticsearch: {error}") from error


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken as UTC, like every time in the API."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC)


def _rfc3339(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def _text_query(q: str | None, fields: list[str]) -> Document:
    if not q or not q.strip():
        return {"match_all": {}}
    # Results are ordered by time, not score, so every result must match every term (with "or",
    # "bob@example.com" would list everyone at example.com).
    return {"multi_match": {"query": q, "fields": fields, "operator": "and"}}


def _payment_filters(query: PaymentQuery, account_ids: list[str] | None) -> list[Document]:
    filters: list[Document] = []
    if account_ids is not None:
        filters.append(
            {
                "bool": {
                    "should": [
                        {"terms": {"payer_account_id": account_ids}},
                        {"terms": {"payee_account_id": account_ids}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if query.status is not None:
        filters.append({"term": {"status": query.status}})
    if query.currency is not None:
        filters.append({"term": {"currency": query.currency}})
    amount: Document = {}
    if query.min_amount is not None:
        amount["gte"] = query.min_amount
    if query.max_amount is not None:
        amount["lte"] = query.max_amount
    if amount:
        filters.append({"range": {"amount": amount}})
    created: Document = {}
    if query.created_from is not None:
        created["gte"] = _rfc3339(query.created_from)
    if query.created_to is not None:
        created["lte"] = _rfc3339(query.created_to)
    if created:
        filters.append({"range": {"created_at": created}})
    return filters


def payments_request(
    query: PaymentQuery, account_ids: list[str] | None, limit: int, after: SortKey | None
) -> Document:
    """The ``search`` arguments of a payment search (also sent straight to Elasticsearch by
    ``bench/search.py``, to compare)."""
    request: Document = {
        "query": {
            "bool": {
                "must": [_text_query(query.q, ["description", "merchant"])],
                "filter": _payment_filters(query, account_ids),
            }
        },
        "aggs": {name: {"terms": {"field": name, "size": _FACET_SIZE}} for name in FACET_FIELDS},
        "sort": _SORT,
        # One extra hit tells whether another page exists.
        "size": limit + 1,
        "track_total_hits": True,
    }
    if after is not None:
        request["search_after"] = list(after)
    return request


def _sort_key(hit: Document) -> SortKey:
    created_ms, id = hit["sort"]
    return int(created_ms), str(id)


def _hits(response: Any, limit: int) -> Hits:
    raw: list[Document] = list(response["hits"]["hits"])
    page = raw[:limit]
    total = response["hits"]["total"]
    aggregations = response.get("aggregations") or {}
    facets = {
        name: {str(b["key"]): int(b["doc_count"]) for b in aggregations[name]["buckets"]}
        for name in FACET_FIELDS
        if name in aggregations
    }
    return Hits(
        items=[hit["_source"] for hit in page],
        total=int(total["value"] if isinstance(total, dict) else total),
        more=len(raw) > limit,
        last_key=_sort_key(page[-1]) if page else None,
        facets=facets,
    )


class SearchReads:
    """Searches over the payments and users indices."""

    def __init__(self, client: AsyncElasticsearch, index_prefix: str) -> None:
        self._es = client
        self.payments_alias = f"{index_prefix}-payments"
        self.users_alias = f"{index_prefix}-users"

    async def ping(self) -> None:
        """Raises unless the server answers (cluster health: ``GET /``, which the client's own
        ``ping()`` sends, is not served by every build of Elasticsearch)."""
        try:
            await self._es.cluster.health()
        except (ApiError, TransportError) as error:
            raise ReadModelUnavailable(f"Elasticsearch does not answer: {error}") from error

    async def _search(self, index: str, limit: int, **body: Any) -> Any:
        with _unavailable_on_transport_error():
            try:
                return await self._es.search(
                    index=index,
                    sort=_SORT,
                    # One extra hit tells whether another page exists.
                    size=limit + 1,
                    track_total_hits=True,
                    **body,
                )
            except NotFoundError:
                return None

    async def payments(
        self,
        query: PaymentQuery,
        *,
        account_ids: list[str] | None,
        limit: int,
        after: SortKey | None,
    ) -> Hits:
        """Payments matching ``query``, restricted to ``account_ids`` (as payer or payee)
        unless None. Facets count the whole result, not just this page."""
        if account_ids is not None and not account_ids:
            return _empty(facets=True)
        request = payments_request(query, account_ids, limit, after)
        with _unavailable_on_transport_error():
            try:
                response = await self._es.search(index=self.payments_alias, **request)
            except NotFoundError:
                return _empty(facets=True)
        return _hits(response, limit)

    async def users(self, q: str | None, *, limit: int, after: SortKey | None) -> Hits:
        """Users whose full name or email matches ``q`` (all users without ``q``)."""
        body: Document = {"query": _text_query(q, ["full_name", "email"])}
        if after is not None:
            body["search_after"] = list(after)
        response = await self._search(self.users_alias, limit, **body)
        return _empty(facets=False) if response is None else _hits(response, limit)

"""Payment search latency: the query API's ``GET /v1/search/payments`` against the same search
sent straight to Elasticsearch with the Python client, at 100,000 and 1,000,000 payments.

    python bench/search.py [--documents 100000 1000000] [--queries 300]

Starts throwaway PostgreSQL, MongoDB-protocol and Elasticsearch servers and runs the query API
as its own process (as ``ledgerline dev run`` does, rate limiting off). Payments are generated
(authorized, then 70 % captured, 10 % of those refunded, 10 % voided; descriptions and
merchants from small vocabularies, nine currencies weighted towards EUR and USD, amounts spread
over five orders of magnitude, creation times over a year), folded through the search
projection and bulk-loaded through the projector's own sink (``SearchSink.write``).

Two callers: a customer owning 3 of the 20,000 accounts (the query API adds the filter on their
accounts, looked up in MongoDB) and an auditor (no filter). Each query is a text match on
description and merchant, a status and a currency filter, an amount range and both facets
(``payments_request``, the very request the query API sends). Requests alternate between the
query API (HTTP, token check, account look-up, response model) and the direct client, one at a
time, after a warm-up; p50 and p99 of each, and the ratio of the p50s (goal <= 1.2, and query
API p99 <= 50 ms at 100,000 documents).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from pymongo import MongoClient

from event_store.schema import migrate
from infra.devstack import RunningStack, throwaway_stack
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.fold import FoldResult, StreamChange
from projections.search_projection import SEARCH_PROJECTION
from projections.search_sink import SearchSink, ensure_search_indices
from read_api.search_reads import PaymentQuery, payments_request

Doc = dict[str, Any]
ACCOUNTS = 20_000
CHUNK = 5_000
WORDS = [
    *("coffee", "books", "train", "ticket", "groceries", "rent", "dinner", "lunch", "taxi"),
    *("cinema", "concert", "museum", "flowers", "shoes", "jacket", "laptop", "phone"),
    *("repair", "insurance", "gym", "yoga", "bakery", "wine", "cheese"),
]
MERCHANTS = [f"{a} {b}" for a in ("Corner", "City", "Green", "Blue", "Royal") for b in WORDS[:12]]
CURRENCIES = ["EUR"] * 8 + ["USD"] * 6 + ["GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN"]
QUERIES = [("coffee", "captured", "EUR"), ("books", "captured", "USD"), ("dinner", None, "EUR")]


def payments(count: int, seed: int) -> Iterator[Doc]:
    """Search documents of ``count`` payments, each folded from its events."""
    rng = random.Random(seed)
    start = datetime(2025, 11, 30, tzinfo=UTC)
    accounts = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(ACCOUNTS)]
    for _ in range(count):
        payment_id = str(uuid.UUID(int=rng.getrandbits(128)))
        at = start + timedelta(seconds=rng.randrange(365 * 86_400))
        amount = rng.choice((1, 10, 100, 1_000, 10_000)) * rng.randint(1, 999)
        authorized = {
            "payer_account_id": rng.choice(accounts),
            "payee_account_id": rng.choice(accounts),
            "amount": amount,
            "currency": rng.choice(CURRENCIES),
            "description": " ".join(rng.sample(WORDS, 3)),
            "merchant": rng.choice(MERCHANTS),
        }
        events = [("PaymentAuthorized", authorized)]
        roll = rng.random()
        if roll < 0.7:
            events.append(("PaymentCaptured", {"amount": amount}))
            if rng.random() < 0.1:
                events.append(("PaymentRefunded", {"amount": max(1, amount // 2)}))
        elif roll < 0.8:
            events.append(("PaymentVoided", {}))
        doc: Doc | None = None
        for version, (event_type, data) in enumerate(events, start=1):
            envelope = {
                "event_id": str(uuid.uuid4()),
                "stream_id": payment_id,
                "stream_type": "Payment",
                "version": version,
                "type": event_type,
                "data": data,
                "recorded_at": (at + timedelta(minutes=version)).isoformat(),
            }
            doc = SEARCH_PROJECTION.project(envelope, doc).doc
        assert doc is not None
        yield doc


def load(sink: SearchSink, count: int, seed: int) -> float:
    """Bulk-load ``count`` payments through the sink; returns documents/s."""
    started = time.perf_counter()
    batch: list[StreamChange] = []
    for doc in payments(count, seed):
        batch.append(StreamChange(doc["id"], "Payment", None, doc))
        if len(batch) == CHUNK:
            sink.write(FoldResult(changes=batch))
            batch = []
    if batch:
        sink.write(FoldResult(changes=batch))
    return count / (time.perf_counter() - started)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(
    api: httpx.Client,
    search: Elasticsearch,
    alias: str,
    token: str,
    account_ids: list[str] | None,
    queries: int,
) -> tuple[list[float], list[float]]:
    """Latencies in ms of the query API and of the direct search, alternating."""
    through_api: list[float] = []
    direct: list[float] = []
    for i in range(queries + 30):
        q, status, currency = QUERIES[i % len(QUERIES)]
        params: Doc = {"q": q, "currency": currency, "min_amount": 500, "max_amount": 5_000_000}
        if status:
            params["status"] = status
        started = time.perf_counter()
        response = api.get(
            "/v1/search/payments", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        api_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text
        query = PaymentQuery(
            q=q, status=status, currency=currency, min_amount=500, max_amount=5_000_000
        )
        started = time.perf_counter()
        found = search.search(index=alias, **payments_request(query, account_ids, 20, None))
        direct_ms = (time.perf_counter() - started) * 1000
        assert found["hits"]["total"]["value"] == response.json()["total"]
        if i >= 30:  # warm-up
            through_api.append(api_ms)
            direct.append(direct_ms)
    return through_api, direct


def run_size(stack: RunningStack, documents: int, queries: int) -> None:
    name = f"bench{uuid.uuid4().hex[:8]}"
    search = Elasticsearch(stack.elasticsearch.url, request_timeout=120)
    mongo: MongoClient[Doc] = MongoClient(stack.mongo.url)
    sink = SearchSink(search, ensure_search_indices(search, name))
    rate = load(sink, documents, seed=documents)
    search.indices.refresh(index=f"{name}-payments")
    # The customer owns three accounts (the generator's first three).
    rng = random.Random(documents)
    owned = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(3)]
    customer = str(uuid.uuid4())
    mongo[name]["accounts"].insert_many(
        [{"_id": account, "id": account, "owner_id": customer} for account in owned]
    )
    url = stack.postgres.url("postgres")
    migrate(url)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-search-")),
        LEDGERLINE_DATABASE_URL=url,
        LEDGERLINE_MONGO_URL=stack.mongo.url,
        LEDGERLINE_ELASTICSEARCH_URL=stack.elasticsearch.url,
        mongo_database=name,
        search_index_prefix=name,
        read_api_port=free_port(),
        rate_limit_enabled=False,
        log_level="WARNING",
    )
    supervisor = Supervisor(settings, os.environ | settings.process_environment(), ["read-api"])
    supervisor.start_all()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.read_api_port}") as api:
            print(f"\n{documents:,} payments, bulk-loaded at {rate:,.0f} documents/s")
            for who, token, accounts in (
                ("customer", mint_token(settings, customer, ["customer"], 3600), owned),
                ("auditor", mint_token(settings, uuid.uuid4(), ["auditor"], 3600), None),
            ):
                api_ms, direct_ms = measure(
                    api, search, f"{name}-payments", token, accounts, queries
                )
                p50_api, p50_direct = statistics.median(api_ms), statistics.median(direct_ms)
                print(
                    f"  {who:8}  query API p50 {p50_api:6.1f} ms  p99"
                    f" {percentile(api_ms, 99):6.1f} ms | direct p50 {p50_direct:6.1f} ms  p99"
                    f" {percentile(direct_ms, 99):6.1f} ms | ratio of p50s"
                    f" {p50_api / p50_direct:.2f} (goal <= 1.2)"
                )
    finally:
        supervisor.stop_all()
        # Wildcard deletes are refused by default (action.destructive_requires_name).
        search.indices.delete(index=",".join(search.indices.get(index=f"{name}-*")))
        mongo.drop_database(name)
        mongo.close()
        search.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with throwaway_stack(["postgres", "mongo", "elasticsearch"]) as stack:
        for documents in args.documents:
            run_size(stack, documents, args.queries)


if __name__ == "__main__":
    sys.exit(main())

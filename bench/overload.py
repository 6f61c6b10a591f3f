"""Write API under overload: many more concurrent clients than database connections, each
sending commands back to back; what the clients see (status codes, 503s with Retry-After,
latency) and whether the event store still adds up afterwards.

    python bench/overload.py [--clients 64] [--pool 4] [--pool-timeout 1.0] [--seconds 20]

Starts a private PostgreSQL, migrates it and runs the write API as its own process (`ledgerline
serve write` under uvicorn, as `ledgerline dev run` does) with a pool of ``--pool`` connections
and rate limiting off, so the load generator in this process does not share a GIL with the server.
Each client owns one account and, in a closed loop, deposits, withdraws and transfers to the next
client's account, every command with an Idempotency-Key. A 503 is retried at once with the same
key (a client that ignores Retry-After is the harshest case); a timeout or transport error is
retried with the same key too. At the end every account's balance, replayed from the event store,
is compared with the commands the clients saw applied.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from commands.event_mapping import reconstruct
from domain.account import Account
from event_store.connection import open_pool
from event_store.schema import migrate
from event_store.store import EventStore
from infra.devstack import throwaway_stack
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor

SEED_BALANCE = 10**12
PASSWORD = "a quiet lighthouse keeper"
CLIENT_TIMEOUT_S = 30.0
# Past the end of the run, a command that is still being refused gets this long to apply.
FINISH_GRACE_S = 30.0


@dataclass
class Figures:
    """What every client saw; appended to under ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    retry_after: Counter[str] = field(default_factory=Counter)
    applied: Counter[UUID] = field(default_factory=Counter)  # account -> sum of applied deltas
    commands: int = 0
    unresolved: int = 0  # commands that never got a definitive answer

    def record(self, status: str, latency_ms: float, retry_after: str | None) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies_ms.append(latency_ms)
            if status == "503":
                self.retry_after[retry_after or "(none)"] += 1


@dataclass(frozen=True)
class Client:
    account: UUID
    auth: dict[str, str]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def settle(http: httpx.Client, path: str, body: dict[str, Any], auth: dict[str, str]) -> Any:
    """POST until it applies, retrying 503s with the same Idempotency-Key; the JSON body."""
    headers = {**auth, "Idempotency-Key": f"seed-{uuid.uuid4()}"}
    while True:
        response = http.post(path, json=body, headers=headers)
        if response.status_code != 503:
            response.raise_for_status()
            return response.json()
        time.sleep(0.01)  # pacing a retry, not synchronisation


def seed(http: httpx.Client, settings: Settings, count: int) -> list[Client]:
    def one(n: int) -> Client:
        user = {"email": f"load{n}@example.com", "full_name": f"Load {n}", "password": PASSWORD}
        user_id = settle(http, "/v1/users", user, {})["id"]
        auth = {"Authorization": f"Bearer {mint_token(settings, user_id, ['customer'], 3600)}"}
        opened = {"owner_id": user_id, "currency": "EUR"}
        account = UUID(settle(http, "/v1/accounts", opened, auth)["id"])
        funding = {"amount": SEED_BALANCE, "reference": "seed"}
        settle(http, f"/v1/accounts/{account}/deposits", funding, auth)
        return Client(account, auth)

    # Seeding is not what is measured: a few at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(count)))


def next_command(
    me: Client, neighbour: Client, rng: random.Random
) -> tuple[str, dict[str, Any], dict[UUID, int]]:
    amount = rng.randint(1, 1_000)
    roll = rng.random()
    if roll < 0.5:
        body = {"amount": amount, "reference": "bench"}
        return f"/v1/accounts/{me.account}/deposits", body, {me.account: amount}
    if roll < 0.75:
        body = {"amount": amount, "reference": "bench"}
        return f"/v1/accounts/{me.account}/withdrawals", body, {me.account: -amount}
    body = {
        "from_account_id": str(me.account),
        "to_account_id": str(neighbour.account),
        "amount": amount,
        "reference": "bench",
    }
    return "/v1/transfers", body, {me.account: -amount, neighbour.account: amount}


def drive(http: httpx.Client, clients: list[Client], seconds: float, figures: Figures) -> float:
    """Every client in a closed loop for ``seconds``; returns the elapsed time."""
    start = threading.Barrier(len(clients) + 1)
    began = 0.0

    def run(index: int) -> None:
        me, neighbour = clients[index], clients[(index + 1) % len(clients)]
        rng = random.Random(index)
        start.wait()
        end = began + seconds
        while time.perf_counter() < end:
            path, body, deltas = next_command(me, neighbour, rng)
            headers = {**me.auth, "Idempotency-Key": f"bench-{uuid.uuid4()}"}
            # The same command, same key, until it gets a definitive answer.
            status = attempt(path, body, headers)
            while status is None or status == 503:
                if time.perf_counter() > end + FINISH_GRACE_S:
                    with figures.lock:
                        figures.unresolved += 1
                    return
                status = attempt(path, body, headers)
            with figures.lock:
                figures.commands += 1
                if status in (200, 201):
                    figures.applied.update(deltas)

    def attempt(path: str, body: dict[str, Any], headers: dict[str, str]) -> int | None:
        """One request; its status, or None if it failed at the transport or timed out."""
        sent = time.perf_counter()
        try:
            response = http.post(path, json=body, headers=headers)
        except httpx.HTTPError as error:
            figures.record(type(error).__name__, (time.perf_counter() - sent) * 1000, None)
            return None
        figures.record(
            str(response.status_code),
            (time.perf_counter() - sent) * 1000,
            response.headers.get("retry-after"),
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(run, i) for i in range(len(clients))]
        began = time.perf_counter()
        start.wait()
        for future in futures:
            future.result()
    return time.perf_counter() - began


def balances_match(settings: Settings, clients: list[Client], figures: Figures) -> list[str]:
    """Accounts whose balance in the event store differs from what the clients saw applied."""
    pool = open_pool(settings.database_url, min_size=1, max_size=1)
    try:
        store = EventStore(pool)
        wrong = []
        for client in clients:
            account = reconstruct(store.read_stream(client.account))
            assert isinstance(account, Account)
            expected = SEED_BALANCE + figures.applied[client.account]
            if account.balance != expected:
                wrong.append(f"{client.account}: {account.balance} != {expected}")
        return wrong
    finally:
        pool.close()


def report(args: argparse.Namespace, figures: Figures, elapsed: float, wrong: list[str]) -> None:
    requests = sum(figures.statuses.values())
    refused = figures.statuses["503"]
    print(
        f"write API: pool {args.pool} connections (timeout {args.pool_timeout} s), "
        f"{args.clients} clients in a closed loop, {args.seconds:.0f} s, rate limiting off"
    )
    print(
        f"requests: {requests} in {elapsed:.1f} s ({requests / elapsed:.0f}/s); commands "
        f"answered: {figures.commands}, never answered: {figures.unresolved}"
    )
    print(
        "status codes: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(figures.statuses.items()))
    )
    print(
        f"503s: {refused} ({100 * refused / max(requests, 1):.1f} % of requests); Retry-After "
        f"values seen: {dict(figures.retry_after) or 'none'}"
    )
    if figures.latencies_ms:
        lat = figures.latencies_ms
        print(
            f"latency per request (ms): p50 {percentile(lat, 50):.1f}  "
            f"p95 {percentile(lat, 95):.1f}  p99 {percentile(lat, 99):.1f}  max {max(lat):.1f}"
        )
    print(
        "balances in the event store match the applied commands: "
        + ("yes" if not wrong else f"NO, {len(wrong)} accounts differ: {wrong[:3]}")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--pool", type=int, default=4, help="database connections of the API")
    parser.add_argument(
        "--pool-timeout", type=float, default=1.0, help="seconds to wait for a connection"
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    with throwaway_stack(only=["postgres"]) as stack:
        settings = stack.settings.model_copy(
            update={
                "write_api_port": free_port(),
                "db_pool_min_size": args.pool,
                "db_pool_max_size": args.pool,
                "db_pool_timeout_s": args.pool_timeout,
                "rate_limit_enabled": False,
                "log_level": "WARNING",
            }
        )
        migrate(settings.database_url)
        supervisor = Supervisor(
            settings,
            os.environ | settings.process_environment(),
            only=["write-api"],
        )
        try:
            supervisor.start_all()
            with httpx.Client(
                base_url=f"http://127.0.0.1:{settings.write_api_port}",
                timeout=CLIENT_TIMEOUT_S,
                limits=httpx.Limits(
                    max_connections=args.clients, max_keepalive_connections=args.clients
                ),
            ) as http:
                clients = seed(http, settings, args.clients)
                figures = Figures()
                elapsed = drive(http, clients, args.seconds, figures)
            report(args, figures, elapsed, balances_match(settings, clients, figures))
        finally:
            supervisor.stop_all()


if __name__ == "__main__":
    main()

"""The write API under overload: many more concurrent clients than database connections
(issue 6, item 3).

The real write API runs in a real uvicorn server with a pool of two connections and is stormed
by 64 client threads, each sending deposits, withdrawals and transfers with Idempotency-Keys.
What must hold: every response is the command's success or a 503 RFC 9457 problem with a
``Retry-After`` (never a 500, never another status); no request outlives the client's timeout; a
503 (the pool had no connection in time) applied nothing; and once every 503'd request is
retried with its own key until it succeeds, each command's events are in the store exactly once
and every balance is exactly what the commands imply. Latency figures belong to
``bench/overload.py``; nothing here asserts on timing beyond "no request hangs".

Two ways to overload: a database that stalls (the test locks the events table, so the two
connections wait inside their appends and every other request times out on the pool, which
makes 503s certain), and a pool timeout so short that ordinary contention already runs out.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from infra.settings import Settings
from tests.credentials import PASSWORD
from tests.faults.live_write_api import account_state, bearer, live_write_api
from tests.polling import wait_for
from tests.server_fixtures import event_store_on

pytestmark = pytest.mark.faults

SECRET = "tests-faults-overload-secret-long-enough-for-hs256"
CLIENTS = 64
ROUNDS = 1  # each round: 5 commands per client
POOL_SIZE = 2
# No request may take longer than this; the client gives up there and the test reports it.
CLIENT_TIMEOUT_S = 30.0
SEED_BALANCE = 1_000_000  # far above what a client's debits can add up to: no 409 by design
RETRY_DEADLINE_S = 20.0
# Far below how long a request holds a connection, so plain contention exhausts the pool and a
# 503 can strike at any step of a command (idempotency look-up, stream reads, the append, the
# re-read after a conflict), not only at the first. It is also shorter than opening a connection:
# the API must still start (opening the pool has its own bound, see event_store/connection.py).
TINY_POOL_TIMEOUT_S = 0.002


@dataclass(frozen=True)
class Command:
    """One POST, with its key, the status its success has, and what it does to balances."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    success: int
    deltas: dict[UUID, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]


@dataclass(frozen=True)
class Reply:
    """What one attempt of a command got; ``error`` is a transport failure or timeout."""

    command: Command
    status: int | None
    error: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    replayed: bool = False
    body: Any = None

    @property
    def succeeded(self) -> bool:
        return self.status == self.command.success


def attempt(client: httpx.Client, command: Command) -> Reply:
    try:
        response = client.post(command.path, json=command.body, headers=command.headers)
    except httpx.HTTPError as error:
        return Reply(command, None, error=f"{type(error).__name__}: {error}")
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Reply(
        command,
        response.status_code,
        content_type=response.headers.get("content-type"),
        retry_after=response.headers.get("retry-after"),
        replayed=response.headers.get("idempotent-replayed") == "true",
        body=body,
    )


def until_applied(client: httpx.Client, command: Command) -> Reply:
    """Retry a command with its own key while it gets 503, until it succeeds (or fail)."""

    def once() -> Reply | None:
        reply = attempt(client, command)
        if reply.status == 503:
            return None
        assert reply.succeeded, f"{command.path}: {reply.status} {reply.error or reply.body}"
        return reply

    reply = wait_for(once, timeout=RETRY_DEADLINE_S, interval=0.02, what=f"{command.path} to apply")
    assert reply is not None
    return reply


@dataclass(frozen=True)
class Customer:
    auth: dict[str, str]
    main: UUID
    side: UUID


def command(
    path: str,
    body: dict[str, Any],
    auth: dict[str, str],
    success: int = 200,
    deltas: dict[UUID, int] | None = None,
) -> Command:
    headers = {**auth, "Idempotency-Key": f"overload-{uuid.uuid4()}"}
    return Command(path, body, headers, success, deltas or {})


def onboard(client: httpx.Client, settings: Settings) -> Customer:
    """Sign up, open two accounts and fund one; 503s on the way are retried (same key)."""
    signed_up = until_applied(
        client,
        command(
            "/v1/users",
            {
                "email": f"{uuid.uuid4().hex[:16]}@example.com",
                "full_name": "Load",
                "password": PASSWORD,
            },
            {},
            201,
        ),
    )
    user_id = signed_up.body["id"]
    auth = bearer(settings, user_id)
    opened = [
        UUID(until_applied(client, command("/v1/accounts", body, auth, 201)).body["id"])
        for body in ({"owner_id": user_id, "currency": "EUR"},) * 2
    ]
    main, side = opened
    until_applied(
        client,
        command(
            f"/v1/accounts/{main}/deposits", {"amount": SEED_BALANCE, "reference": "seed"}, auth
        ),
    )
    return Customer(auth, main, side)


def workload(me: Customer, neighbour: Customer, rng: random.Random) -> list[Command]:
    """A client's commands: its own accounts, plus transfers into its neighbour's, so streams
    are shared and appends can conflict."""
    commands = []
    for _ in range(ROUNDS):
        a, b, c, d, e = (rng.randint(1, 1_000) for _ in range(5))
        commands += [
            command(
                f"/v1/accounts/{me.main}/deposits",
                {"amount": a, "reference": "in"},
                me.auth,
                deltas={me.main: a},
            ),
            command(
                f"/v1/accounts/{me.main}/withdrawals",
                {"amount": b, "reference": "out"},
                me.auth,
                deltas={me.main: -b},
            ),
            transfer(me, me.main, me.side, c),
            transfer(me, me.main, neighbour.side, d),
            command(
                f"/v1/accounts/{me.side}/deposits",
                {"amount": e, "reference": "in"},
                me.auth,
                deltas={me.side: e},
            ),
        ]
    return commands


def transfer(owner: Customer, source: UUID, target: UUID, amount: int) -> Command:
    body = {
        "from_account_id": str(source),
        "to_account_id": str(target),
        "amount": amount,
        "reference": "move",
    }
    return command("/v1/transfers", body, owner.auth, 201, {source: -amount, target: amount})


def overload_settings(database_url: str, pool_timeout_s: float) -> Settings:
    return Settings(
        LEDGERLINE_DATABASE_URL=database_url,
        env="test",
        jwt_secret=SecretStr(SECRET),
        db_pool_min_size=POOL_SIZE,
        db_pool_max_size=POOL_SIZE,
        db_pool_timeout_s=pool_timeout_s,
        # The storm is about the pool, not about 429s.
        rate_limit_enabled=False,
        # Shared streams are retried on conflict; leave room so a conflict ends as a success
        # or a 503, never as a 409 because the budget ran out while waiting for the pool.
        command_retry_budget_s=CLIENT_TIMEOUT_S,
    )


class Storm:
    """CLIENTS threads sending their commands in order, each request on a connection of its own
    (one shared client with room for every thread: building a client per thread costs tens of
    milliseconds of CPU, which in this process would be taken from the server)."""

    def __init__(self, base_url: str, settings: Settings) -> None:
        self.settings = settings
        self.client = httpx.Client(
            base_url=base_url,
            timeout=CLIENT_TIMEOUT_S,
            limits=httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS),
        )
        self.replies: list[Reply] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def onboard_all(self) -> list[Customer]:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            return list(pool.map(lambda _: onboard(self.client, self.settings), range(CLIENTS)))

    def retry(self, commands: list[Command]) -> list[Reply]:
        """Retry refused commands until each applies: a few at a time, as clients that back off
        would, so the retries do not rebuild the storm."""
        with ThreadPoolExecutor(max_workers=2 * POOL_SIZE) as pool:
            return list(pool.map(lambda cmd: until_applied(self.client, cmd), commands))

    def count(self, status: int) -> int:
        with self._lock:
            return sum(reply.status == status for reply in self.replies)

    @contextmanager
    def running(self, workloads: list[list[Command]]) -> Iterator[None]:
        """Run the workloads while the block runs; wait for all of them at its end."""
        start = threading.Barrier(len(workloads))

        def one(commands: list[Command]) -> None:
            start.wait(timeout=CLIENT_TIMEOUT_S)
            for cmd in commands:
                reply = attempt(self.client, cmd)
                with self._lock:
                    self.replies.append(reply)

        with ThreadPoolExecutor(max_workers=len(workloads)) as pool:
            futures = [pool.submit(one, commands) for commands in workloads]
            yield
            for future in futures:
                # Every request is bounded by the client timeout; this only guards the test.
                future.result(timeout=len(workloads[0]) * CLIENT_TIMEOUT_S)


@contextmanager
def storm_on(base_url: str, settings: Settings) -> Iterator[Storm]:
    storm = Storm(base_url, settings)
    try:
        yield storm
    finally:
        storm.close()


def plan(customers: list[Customer]) -> list[list[Command]]:
    return [
        workload(me, customers[(i + 1) % len(customers)], random.Random(i))
        for i, me in enumerate(customers)
    ]


def events_by_key(database_url: str) -> dict[str, list[str]]:
    """Idempotency-Key -> the types of the events appended under it, in commit order."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select metadata->>'idempotency_key', array_agg(type order by position) from events"
            " where metadata ? 'idempotency_key' group by 1"
        ).fetchall()
    return {key: list(types) for key, types in rows}


def assert_overload_was_handled(
    storm: Storm, customers: list[Customer], workloads: list[list[Command]], database_url: str
) -> None:
    replies = storm.replies
    assert len(replies) == sum(map(len, workloads))
    # No request hung past the client's timeout, none failed at the transport.
    assert [r.error for r in replies if r.error] == []
    # Each answer is the command's success or a 503 (no 500, no 409 from the overload).
    unexpected = [
        (r.command.path, r.status, r.body) for r in replies if not r.succeeded and r.status != 503
    ]
    assert unexpected == []
    refused = [r for r in replies if r.status == 503]
    for reply in refused:
        assert reply.content_type == "application/problem+json"
        assert reply.body["status"] == 503
        assert reply.body["type"] == "https://ledgerline.dev/problems/service-unavailable"
        assert reply.retry_after is not None and reply.retry_after.isdigit()
        assert int(reply.retry_after) >= 1
    # Every storm request was a first attempt: nothing may claim to be a replay.
    assert [r.command.path for r in replies if r.replayed] == []

    stored = events_by_key(database_url)
    # A 503 for want of a connection happened before the append: it applied nothing.
    assert [r.command.key for r in refused if r.command.key in stored] == []

    retried = storm.retry([reply.command for reply in refused])
    assert [r.command.path for r in retried if r.replayed] == []

    final = {r.command.key: r for r in replies if r.succeeded} | {r.command.key: r for r in retried}
    assert len(final) == len(replies)
    stored = events_by_key(database_url)
    onboarding = len(stored) - len(final)
    assert onboarding == 4 * len(customers)  # sign-up, two accounts, the seed deposit
    # Each command's events are in the store once: not lost, not doubled.
    assert {key: stored.get(key) for key in final} == {
        key: reply.body["events"] for key, reply in final.items()
    }

    expected: dict[UUID, int] = {}
    for customer in customers:
        expected[customer.main] = SEED_BALANCE
        expected[customer.side] = 0
    for commands in workloads:
        for cmd in commands:
            for account, delta in cmd.deltas.items():
                expected[account] += delta
    with event_store_on(database_url) as store:
        actual = {account: account_state(store, account).balance for account in expected}
    assert actual == expected


def test_a_stalled_database_sheds_load_with_503s_and_loses_nothing(database_url: str) -> None:
    settings = overload_settings(database_url, pool_timeout_s=0.5)
    with live_write_api(settings) as base_url, storm_on(base_url, settings) as storm:
        customers = storm.onboard_all()
        workloads = plan(customers)
        with psycopg.connect(database_url) as blocker:
            # Appends wait for this lock while holding their pool connection: the pool is
            # exhausted for as long as the database stalls.
            blocker.execute("lock table events in exclusive mode")
            with storm.running(workloads):
                try:
                    wait_for(
                        lambda: storm.count(503) >= CLIENTS,
                        timeout=CLIENT_TIMEOUT_S / 2,
                        what="requests refused with 503 while the database stalls",
                    )
                finally:
                    blocker.commit()  # the database recovers; the stalled appends go on
        assert storm.count(503) >= CLIENTS
        assert_overload_was_handled(storm, customers, workloads, database_url)


def test_a_pool_smaller_than_the_load_answers_every_request_and_loses_nothing(
    database_url: str,
) -> None:
    settings = overload_settings(database_url, TINY_POOL_TIMEOUT_S)
    with live_write_api(settings) as base_url, storm_on(base_url, settings) as storm:
        customers = storm.onboard_all()
        workloads = plan(customers)
        with storm.running(workloads):
            pass
        assert_overload_was_handled(storm, customers, workloads, database_url)

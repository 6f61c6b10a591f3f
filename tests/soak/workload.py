"""A mixed command workload against a running write API, for fault tests and ``bench/soak.py``.

Several client threads send deposits, withdrawals, transfers and payments (authorised, then
captured, voided, or captured and partly refunded) as a careful real client would: every
command carries its own ``Idempotency-Key``, and a command that fails in a way that may be
temporary (503 or 429 with ``Retry-After``, a timeout, a refused or dropped connection) is sent
again with the same key and body until it gets a definite answer or its retry budget runs out.

What the clients saw is counted in ``WorkloadStats``: commands done per kind, refusals by the
business rules (409/422: a withdrawal beyond the balance is normal traffic), transient failures
retried (by type), and ``unexpected`` answers (any 5xx other than 503, or a command that never
got a definite answer) which are findings, never normal traffic.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from infra.http.auth import mint_token
from infra.settings import Settings
from tests.credentials import PASSWORD

log = structlog.get_logger(__name__)

CURRENCIES = ("EUR", "USD")
_TRANSIENT_STATUS = frozenset({429, 503})
# What the holders' webhook endpoints subscribe to: every credit and debit of their accounts, so
# the deliveries due can be counted from the event store alone (checks.webhook_problems).
WEBHOOK_TYPES = ("account.credited", "account.debited")


@dataclass(frozen=True)
class Holder:
    """A signed-up user with a token and one account per currency."""

    user_id: str
    headers: dict[str, str]
    accounts: dict[str, str]  # currency -> account id


@dataclass
class WorkloadStats:
    done: Counter[str] = field(default_factory=Counter)  # command kind -> succeeded
    refused: Counter[str] = field(default_factory=Counter)  # "kind status problem-type"
    retried: Counter[str] = field(default_factory=Counter)  # transient failure type -> count
    unexpected: Counter[str] = field(default_factory=Counter)  # findings
    latencies_ms: list[float] = field(default_factory=list)  # per command, retries included

    @property
    def commands(self) -> int:
        return sum(self.done.values())

    def summary(self) -> dict[str, Any]:
        return {
            "done": dict(self.done),
            "refused": dict(self.refused),
            "retried": dict(self.retried),
            "unexpected": dict(self.unexpected),
        }


class CommandFailed(Exception):
    """A command got no definite answer within its retry budget, or an unexpected one."""


class Client:
    """One HTTP client that retries transient failures with the same idempotency key."""

    def __init__(
        self, base_url: str, stats: WorkloadStats, lock: threading.Lock, retry_budget_s: float
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10.0, connect=2.0))
        self._stats, self._lock = stats, lock
        self._retry_budget_s = retry_budget_s
        self.stop = threading.Event()  # cut retries short at shutdown

    def close(self) -> None:
        self._http.close()

    def command(
        self, kind: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Send until a definite answer: the JSON body on success, None if the business rules
        refused it. Raises CommandFailed otherwise."""
        key = str(uuid.uuid4())
        started = time.monotonic()
        deadline = started + self._retry_budget_s
        while True:
            failure, pause = self._attempt(path, headers | {"Idempotency-Key": key}, body)
            if isinstance(failure, httpx.Response):
                return self._answered(kind, failure, started)
            self._count("retried", failure)
            if time.monotonic() + pause > deadline or self.stop.is_set():
                self._count("unexpected", f"{kind}: no answer within the retry budget ({failure})")
                raise CommandFailed(failure)
            # Back off as the server asked (Retry-After) before trying again.
            self.stop.wait(pause)

    def _attempt(
        self, path: str, headers: dict[str, str], body: dict[str, Any] | None
    ) -> tuple[httpx.Response | str, float]:
        """One try: (the response, 0) when it is definite, else (failure type, pause)."""
        try:
            response = self._http.post(path, headers=headers, json=body)
        except httpx.TimeoutException as error:
            return type(error).__name__, 0.2
        except httpx.TransportError as error:  # refused, reset, dropped mid-response
            return type(error).__name__, 0.2
        if response.status_code in _TRANSIENT_STATUS:
            retry_after = response.headers.get("Retry-After")
            if retry_after is None:
                return f"{response.status_code} without Retry-After", 0.2
            return str(response.status_code), min(float(retry_after), 1.0)
        return response, 0.0

    def _answered(
        self, kind: str, response: httpx.Response, started: float
    ) -> dict[str, Any] | None:
        status = response.status_code
        if status >= 500:
            self._count("unexpected", f"{kind}: {status} {response.text[:200]}")
            raise CommandFailed(f"{status}")
        if status >= 400:
            problem = response.json().get("type", "") if response.content else ""
            self._count("refused", f"{kind} {status} {problem.rsplit('/', 1)[-1]}")
            return None
        with self._lock:
            self._stats.done[kind] += 1
            self._stats.latencies_ms.append((time.monotonic() - started) * 1000)
        return dict(response.json())

    def _count(self, counter: str, label: str) -> None:
        with self._lock:
            getattr(self._stats, counter)[label] += 1


class Workload:
    """``clients`` threads of mixed commands over ``holders`` (made by ``setup``)."""

    def __init__(
        self,
        base_url: str,
        settings: Settings,
        *,
        clients: int = 6,
        holders: int = 8,
        seed: int = 1,
        retry_budget_s: float = 60.0,
        rate: float | None = None,
        webhook_url: str | None = None,
    ) -> None:
        """``rate``: operations per second started by all clients together, an operation
        being one command or a payment's two or three (None: as fast as answers come).
        ``webhook_url``: every holder registers an endpoint there for its accounts' credits and
        debits (``WEBHOOK_TYPES``) before opening them."""
        self.webhook_url = webhook_url
        self.base_url, self.settings = base_url, settings
        self.client_count, self.holder_count = clients, holders
        self.retry_budget_s = retry_budget_s
        self.seed = seed
        self.rate = rate
        self.stats = WorkloadStats()
        self.holders: list[Holder] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[Client] = []
        self.crashes: list[BaseException] = []

    def client(self) -> Client:
        client = Client(self.base_url, self.stats, self._lock, self.retry_budget_s)
        self._clients.append(client)
        return client

    def setup(self) -> None:
        """Sign up the holders, open their accounts and fund them."""
        client = self.client()
        for n in range(self.holder_count):
            signed_up = client.command(
                "sign-up",
                "/v1/users",
                {},
                {
                    "email": f"holder{n}-{uuid.uuid4().hex[:8]}@example.com",
                    "full_name": f"H {n}",
                    "password": PASSWORD,
                },
            )
            assert signed_up is not None, "sign-up refused"
            user_id = signed_up["id"]
            token = mint_token(self.settings, uuid.UUID(user_id), ["customer"], 24 * 3600)
            headers = {"Authorization": f"Bearer {token}"}
            if self.webhook_url is not None:
                endpoint = {"url": self.webhook_url, "event_types": list(WEBHOOK_TYPES)}
                registered = client.command("webhook", "/v1/webhooks", headers, endpoint)
                assert registered is not None, "webhook endpoint refused"
            accounts = {}
            for currency in CURRENCIES:
                opened = client.command(
                    "open-account",
                    "/v1/accounts",
                    headers,
                    {"owner_id": user_id, "currency": currency},
                )
                assert opened is not None, "account refused"
                accounts[currency] = opened["id"]
                client.command(
                    "deposit",
                    f"/v1/accounts/{accounts[currency]}/deposits",
                    headers,
                    {"amount": 100_000, "reference": "opening"},
                )
            self.holders.append(Holder(user_id, headers, accounts))

    def start(self) -> None:
        for n in range(self.client_count):
            thread = threading.Thread(
                target=self._run,
                args=(self.client(), random.Random(self.seed * 1000 + n)),
                name=f"workload-{n}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout_s: float = 90.0) -> None:
        """Stop sending new commands; commands in flight finish their retries (bounded by
        their budget) so nothing is left half-known."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        for client in self._clients:
            client.close()
        if stuck:
            raise RuntimeError(f"workload clients did not stop: {stuck}")

    def _run(self, client: Client, rng: random.Random) -> None:
        interval = self.client_count / self.rate if self.rate else 0.0
        next_at = time.monotonic() + rng.random() * interval
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at = max(next_at + interval, time.monotonic() - interval)
            try:
                self._one(client, rng)
            except CommandFailed:
                pass  # counted; the next command goes on
            except BaseException as error:  # a bug in the workload itself
                self.crashes.append(error)
                log.exception("workload_client_crashed")
                return

    def _one(self, client: Client, rng: random.Random) -> None:
        holder = rng.choice(self.holders)
        currency = rng.choice(CURRENCIES)
        account = holder.accounts[currency]
        roll = rng.random()
        if roll < 0.35:
            client.command(
                "deposit",
                f"/v1/accounts/{account}/deposits",
                holder.headers,
                {"amount": rng.randint(1, 5_000), "reference": "soak"},
            )
        elif roll < 0.5:
            client.command(
                "withdrawal",
                f"/v1/accounts/{account}/withdrawals",
                holder.headers,
                {"amount": rng.randint(1, 8_000), "reference": "soak"},
            )
        elif roll < 0.7:
            other = rng.choice([h for h in self.holders if h is not holder])
            client.command(
                "transfer",
                "/v1/transfers",
                holder.headers,
                {
                    "from_account_id": account,
                    "to_account_id": other.accounts[currency],
                    "amount": rng.randint(1, 4_000),
                    "reference": "soak",
                },
            )
        else:
            self._payment(client, rng, holder, currency)

    def _payment(self, client: Client, rng: random.Random, payer: Holder, currency: str) -> None:
        payee = rng.choice([h for h in self.holders if h is not payer])
        amount = rng.randint(100, 3_000)
        authorised = client.command(
            "authorize",
            "/v1/payments",
            payer.headers,
            {
                "payer_account_id": payer.accounts[currency],
                "payee_account_id": payee.accounts[currency],
                "amount": amount,
                "description": "soak order",
                "merchant": "Soak Shop",
            },
        )
        if authorised is None:
            return
        payment = f"/v1/payments/{authorised['id']}"
        roll = rng.random()
        if roll < 0.3:
            client.command("void", f"{payment}/void", payer.headers)
            return
        captured = client.command("capture", f"{payment}/capture", payer.headers)
        if captured is not None and roll > 0.75:
            # The merchant (payee) refunds.
            client.command(
                "refund", f"{payment}/refunds", payee.headers, {"amount": rng.randint(1, amount)}
            )

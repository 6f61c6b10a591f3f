"""The notifier under faults, as OS processes on real servers: killed with SIGKILL while it
delivers, and cut off from PostgreSQL and from Kafka. Every due webhook is delivered at least
once; a delivery is repeated only when it was in flight at the kill, and then with the same
webhook-id and body."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from infra.http.auth import mint_token
from tests.notifier.receiver import Receiver, receiver
from tests.polling import wait_for
from tests.soak.system import System

pytestmark = pytest.mark.faults
DEPOSITS = 150


class Merchant:
    """A user with an account and a webhook endpoint on ``hooks``, over HTTP."""

    def __init__(self, system: System, hooks: Receiver) -> None:
        self.http = httpx.Client(base_url=system.write_url, timeout=30)
        sign_up = {
            "email": "merchant@faults.example",
            "full_name": "M",
            "password": "a quiet lighthouse keeper",
        }
        user = self._post("/v1/users", sign_up, 201)
        token = mint_token(system.settings, user["id"], ("customer",), 3600)
        self.http.headers["Authorization"] = f"Bearer {token}"
        self._post("/v1/webhooks", {"url": hooks.url, "event_types": ["account.credited"]}, 201)
        opened = self._post("/v1/accounts", {"owner_id": user["id"], "currency": "EUR"}, 201)
        self.account = opened["id"]

    def deposit(self, amount: int) -> None:
        """Retried with its Idempotency-Key while the write API answers 503 (a server is
        coming back), as a client would."""

        def sent() -> bool:
            response = self.http.post(
                f"/v1/accounts/{self.account}/deposits",
                json={"amount": amount, "reference": "x"},
                headers={"Idempotency-Key": f"deposit-{amount}"},
            )
            assert response.status_code in (200, 503), response.text
            return response.status_code == 200

        wait_for(sent, 60, interval=0.2, what=f"deposit {amount}")

    def _post(self, path: str, body: object, status: int) -> dict[str, str]:
        response = self.http.post(path, json=body)
        assert response.status_code == status, response.text
        return dict(response.json())


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as running:
        running.delay_s = 0.04  # a slow receiver, so the kill lands among deliveries
        yield running


def _all_delivered(hooks: Receiver) -> None:
    wait_for(
        lambda: len({r.webhook_id for r in hooks.delivered()}) >= DEPOSITS,
        timeout=90,
        what=f"{DEPOSITS} distinct deliveries",
    )
    delivered = hooks.delivered()
    amounts = {r.json["data"]["amount"] for r in delivered}
    assert amounts == set(range(1, DEPOSITS + 1))
    bodies: dict[str, bytes] = {}
    for request in delivered:
        assert bodies.setdefault(request.webhook_id, request.body) == request.body


def test_the_notifier_killed_while_delivering_delivers_everything_once_more_at_most(
    system: System, hooks: Receiver
) -> None:
    merchant = Merchant(system, hooks)
    for amount in range(1, DEPOSITS + 1):
        merchant.deposit(amount)
    for under_way in (20, 70):
        wait_for(
            lambda n=under_way: len(hooks.delivered()) >= n,  # type: ignore[misc]
            60,
            what=f"{under_way} deliveries",
        )
        system.supervisor.kill("notifier")
        system.supervisor.restart("notifier")
    _all_delivered(hooks)
    repeats = Counter(r.webhook_id for r in hooks.delivered())
    # Only what was sent but not yet recorded at a kill comes twice: the requests in flight
    # (at most the per-endpoint bound) and those finished since the last batch was recorded
    # (with this slow receiver, at most one more per sender).
    unrecorded = 2 * system.settings.webhook_endpoint_concurrency
    assert sum(n - 1 for n in repeats.values()) <= 2 * unrecorded
    assert system.crashed() == []


def test_the_notifier_waits_out_postgresql_and_kafka_outages(
    system: System, hooks: Receiver
) -> None:
    merchant = Merchant(system, hooks)
    for amount in range(1, DEPOSITS // 2 + 1):
        merchant.deposit(amount)
    wait_for(lambda: len(hooks.delivered()) >= 10, 60, what="deliveries under way")
    system.stack.kafka.stop()
    system.stack.kafka.start()
    system.stack.postgres.stop()
    system.stack.postgres.start()
    for amount in range(DEPOSITS // 2 + 1, DEPOSITS + 1):
        merchant.deposit(amount)
    _all_delivered(hooks)
    assert system.crashed() == []

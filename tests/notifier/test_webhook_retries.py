"""Failed deliveries are retried on the schedule with the same webhook-id, a receiver that was
down for an hour gets everything once it is back, rotation signs with both secrets for 24 h, and
an endpoint that failed for five days is disabled and its owner owed an e-mail. Time is the
test's clock, moved forward; nothing sleeps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY
from standardwebhooks import Webhook

from projections.notifier import schedule
from tests.notifier.conftest import NotifySystem
from tests.notifier.receiver import Received, Receiver, receiver
from tests.polling import wait_for


def _deliveries(
    system: NotifySystem, endpoint: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    return list(system.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers)["items"])


def test_a_failing_receiver_is_retried_on_schedule_with_the_same_webhook_id(
    system: NotifySystem, hooks: Receiver
) -> None:
    owner, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["account.credited"])
    account = system.account(owner, headers)
    hooks.status = 500
    system.deposit(account, 700, headers)

    wait_for(lambda: system.notifier.dispatcher.run_once() == 1, 30, what="the first attempt")
    assert [r.status for r in hooks.requests] == [500]
    # Not due again before the first delay (5 s, less 20 % jitter) ...
    system.clock.advance(timedelta(seconds=3.9))
    assert system.notifier.dispatcher.run_once() == 0
    # ... and due after it (plus 20 %).
    system.clock.advance(timedelta(seconds=2.2))
    assert system.notifier.dispatcher.run_once() == 1
    assert len(hooks.requests) == 2

    log = _deliveries(system, endpoint, headers)
    assert len(log) == 1 and log[0]["status"] == "pending"
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 500]
    assert log[0]["attempts"][0]["error"] == "HTTP 500"
    next_at = datetime.fromisoformat(log[0]["next_attempt_at"])
    after = datetime.fromisoformat(log[0]["attempts"][1]["started_at"])
    assert timedelta(minutes=4) <= next_at - after <= timedelta(minutes=6)

    hooks.status = 200
    system.clock.advance(timedelta(minutes=6))
    assert system.notifier.dispatcher.run_once() == 1
    assert {r.webhook_id for r in hooks.requests} == {log[0]["id"]}
    assert _deliveries(system, endpoint, headers)[0]["status"] == "delivered"


def test_a_receiver_down_for_an_hour_gets_every_delivery_when_it_is_back(
    system: NotifySystem,
) -> None:
    owner, headers = system.user()
    with receiver() as first:
        port, url = first.port, first.url
        endpoint = system.endpoint(headers, url, ["account.credited"])
    # The receiver is gone: connections are refused.
    account = system.account(owner, headers)
    for amount in (100, 200, 300):
        system.deposit(account, amount, headers)

    def all_tried() -> bool:
        system.notifier.dispatcher.run_once()
        log = _deliveries(system, endpoint, headers)
        return len(log) == 3 and all(d["attempts"] for d in log)

    wait_for(all_tried, 30, what="a first attempt of each delivery")
    minute = timedelta(minutes=1)
    for _ in range(60):  # an hour, a minute at a time
        system.clock.advance(minute)
        system.notifier.dispatcher.run_once()
    log = _deliveries(system, endpoint, headers)
    assert all(d["status"] == "pending" for d in log)
    assert all(a["error"].startswith("connection failed") for d in log for a in d["attempts"])

    with receiver(port) as back:
        # The next attempts are due within the schedule's next delay (2 h, plus jitter).
        for _ in range(3 * 60):
            system.clock.advance(minute)
            system.notifier.dispatcher.run_once()
            if len(back.delivered()) == 3:
                break
        amounts = sorted(r.json["data"]["amount"] for r in back.delivered())
        assert amounts == [100, 200, 300]
        assert {r.webhook_id for r in back.delivered()} == {d["id"] for d in log}


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(
    system: NotifySystem, hooks: Receiver
) -> None:
    _, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["webhook.ping"])
    old = endpoint["secret"]
    rotated = system.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret", None, headers)
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_")

    system.post(f"/v1/webhooks/{endpoint['id']}/test", None, headers, 202)
    system.clock.advance(timedelta(seconds=10))  # past the dispatcher's secrets cache
    system.dispatch_until(hooks, 1)
    first = hooks.delivered()[0]
    assert first.json["type"] == "webhook.ping"
    # Sent at the test clock's time: check the signatures, not the timestamp's freshness.
    assert _signatures(first) == {_sign(old, first), _sign(new, first)}

    system.clock.advance(timedelta(hours=24, seconds=10))
    system.post(f"/v1/webhooks/{endpoint['id']}/test", None, headers, 202)
    system.dispatch_until(hooks, 2)
    second = hooks.delivered()[1]
    assert _signatures(second) == {_sign(new, second)}


def test_an_endpoint_failing_for_five_days_is_disabled_and_its_owner_owed_a_mail(
    system: NotifySystem, hooks: Receiver
) -> None:
    owner, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["account.credited"])
    account = system.account(owner, headers)
    hooks.status = 503
    system.deposit(account, 100, headers)
    wait_for(lambda: system.notifier.dispatcher.run_once() == 1, 30, what="the first attempt")
    for delay in schedule.RETRY_DELAYS:
        system.clock.advance(delay * (1 + schedule.JITTER) + timedelta(seconds=1))
        assert system.notifier.dispatcher.run_once() == 1
    log = _deliveries(system, endpoint, headers)
    assert log[0]["status"] == "failed" and len(log[0]["attempts"]) == schedule.MAX_ATTEMPTS
    assert system.get(f"/v1/webhooks/{endpoint['id']}", headers)["enabled"] is True

    # Day 5: one more event, one more failure, and the endpoint is disabled.
    system.clock.advance(timedelta(days=2, hours=1))
    system.deposit(account, 200, headers)
    wait_for(lambda: system.notifier.dispatcher.run_once() == 1, 30, what="the day-5 attempt")
    after = system.get(f"/v1/webhooks/{endpoint['id']}", headers)
    assert after["enabled"] is False and "5 days" in after["disabled_reason"]
    assert _disabled_gauge() == {"failing": 1, "owner": 0}  # counted as it was disabled
    mails = system.notifier.outbox.of_user(uuid.UUID(owner))
    assert [m["kind"] for m in mails if m["kind"] == "webhook_endpoint_disabled"] == [
        "webhook_endpoint_disabled"
    ]
    # Disabled endpoints get nothing; enabling one clears its failure run.
    enabled = system.write.patch(
        f"/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=headers
    )
    assert enabled.status_code == 200 and enabled.json()["failing_since"] is None
    system.notifier.dispatcher.count_disabled()  # what the dispatcher does every 30 s
    assert _disabled_gauge() == {"failing": 0, "owner": 0}
    by_owner = system.write.patch(
        f"/v1/webhooks/{endpoint['id']}", json={"enabled": False}, headers=headers
    )
    assert by_owner.status_code == 200
    system.notifier.dispatcher.count_disabled()
    assert _disabled_gauge() == {"failing": 0, "owner": 1}


def _disabled_gauge() -> dict[str, float | None]:
    return {
        reason: REGISTRY.get_sample_value(
            "ledgerline_webhook_endpoints_disabled", {"reason": reason}
        )
        for reason in ("failing", "owner")
    }


def _signatures(request: Received) -> set[str]:
    return set(request.headers["webhook-signature"].split())


def _sign(secret: str, request: Received) -> str:
    """The reference library's signature for the request's id, timestamp and body."""
    timestamp = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    signature: str = Webhook(secret).sign(request.webhook_id, timestamp, request.body.decode())
    return signature

"""Webhook endpoints through both APIs: who sees what, bad input, the SSRF guard at
registration and at delivery, test pings and manual retries."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from projections.notifier import public_events
from projections.notifier.service import Notifier
from tests.notifier.conftest import NotifySystem
from tests.notifier.receiver import Receiver
from write_api.app import create_app as create_write_app


def _problem_field(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["errors"][0]["field"])


def test_only_the_owner_and_admins_see_an_endpoint_and_its_secret_is_shown_once(
    system: NotifySystem, hooks: Receiver
) -> None:
    owner, headers = system.user()
    _, stranger = system.user()
    admin = system.token(uuid.uuid4(), "admin")
    created = system.endpoint(headers, hooks.url, ["payment.captured"])
    path = f"/v1/webhooks/{created['id']}"

    shown = system.get(path, headers)
    assert "secret" not in shown and shown["owner_id"] == owner and shown["enabled"] is True
    assert [e["id"] for e in system.get("/v1/webhooks", headers)["items"]] == [created["id"]]
    assert system.get("/v1/webhooks", stranger)["items"] == []
    assert system.read.get(path, headers=stranger).status_code == 404
    assert system.write.patch(path, json={"description": "x"}, headers=stranger).status_code == 404
    assert system.write.delete(path, headers=stranger).status_code == 404
    assert system.get(path, admin)["id"] == created["id"]
    assert created["id"] in {e["id"] for e in system.get("/v1/webhooks", admin)["items"]}

    changed = system.write.patch(
        path,
        json={"event_types": ["payment.refunded", "payment.captured"], "description": "shop"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["payment.captured", "payment.refunded"]
    assert system.write.delete(path, headers=headers).status_code == 204
    assert system.read.get(path, headers=headers).status_code == 404
    assert system.read.get(f"{path}/deliveries", headers=headers).status_code == 404


def test_bad_input_gets_a_problem_naming_the_field(system: NotifySystem, hooks: Receiver) -> None:
    _, headers = system.user()

    def create(**changes: Any) -> Any:
        body = {"url": hooks.url, "event_types": ["*"], "description": ""} | changes
        return system.write.post("/v1/webhooks", json=body, headers=headers)

    assert _problem_field(create(event_types=["payment.stolen"])) == "event_types"
    assert _problem_field(create(event_types=[])) == "event_types"
    assert _problem_field(create(url="ftp://example.com/hooks")) == "url"
    assert _problem_field(create(url="http://user:pw@127.0.0.1/hooks")) == "url"
    assert _problem_field(create(url="http://169.254.169.254/latest")) == "url"
    assert _problem_field(create(url="http://no-such-host.invalid/hooks")) == "url"
    assert _problem_field(create(description="x" * 501)) == "description"
    assert system.get("/v1/webhooks", headers)["items"] == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hooks", "https"),
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://[::1]/hooks", "loopback"),
        ("https://10.1.2.3/hooks", "private"),
        ("https://192.168.0.10/hooks", "private"),
        ("https://169.254.10.10/hooks", "link-local"),
        ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("https://localhost/hooks", "loopback"),
    ],
)
def test_production_settings_refuse_private_receivers_at_registration(
    system: NotifySystem, url: str, reason: str
) -> None:
    settings = system.settings.model_copy(update={"webhooks_allow_private_addresses": False})
    _, headers = system.user()
    with TestClient(create_write_app(settings)) as write:
        response = write.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=headers
        )
    assert _problem_field(response) == "url"
    assert reason in response.json()["errors"][0]["message"]


def test_a_receiver_is_checked_again_at_delivery(system: NotifySystem, hooks: Receiver) -> None:
    _, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["webhook.ping"])
    strict = Notifier(
        system.settings.model_copy(update={"webhooks_allow_private_addresses": False}),
        system.notifier.store,
        clock=system.clock,
    )
    try:
        system.post(f"/v1/webhooks/{endpoint['id']}/test", None, headers, 202)
        assert strict.dispatcher.run_once() == 1
    finally:
        strict.close()
    assert hooks.requests == []
    log = system.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers)["items"]
    assert log[0]["attempts"][0]["error"] == "refused: the URL must use https"


def test_a_ping_and_a_manual_retry_carry_the_same_id(system: NotifySystem, hooks: Receiver) -> None:
    _, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["webhook.ping"])
    queued = system.post(f"/v1/webhooks/{endpoint['id']}/test", None, headers, 202)
    system.dispatch_until(hooks, 1)
    retried = system.post(
        f"/v1/webhooks/{endpoint['id']}/deliveries/{queued['delivery_id']}/retry",
        None,
        headers,
        202,
    )
    assert retried == queued
    system.dispatch_until(hooks, 2)
    assert [r.webhook_id for r in hooks.delivered()] == [queued["delivery_id"]] * 2
    assert hooks.delivered()[0].body == hooks.delivered()[1].body

    missing = system.write.post(
        f"/v1/webhooks/{endpoint['id']}/deliveries/msg_nothing/retry", headers=headers
    )
    assert missing.status_code == 404
    disabled = system.write.patch(
        f"/v1/webhooks/{endpoint['id']}", json={"enabled": False}, headers=headers
    )
    assert disabled.json()["disabled_reason"] == "disabled by its owner"
    refused = system.write.post(f"/v1/webhooks/{endpoint['id']}/test", headers=headers)
    assert refused.status_code == 409 and refused.json()["type"].endswith("endpoint-disabled")


def test_every_event_type_is_documented_with_an_example(system: NotifySystem) -> None:
    _, headers = system.user()
    listed = system.get("/v1/webhooks/event-types", headers)["items"]
    assert [item["type"] for item in listed] == sorted(
        public_events.EVENT_TYPES, key=list(public_events.EVENT_TYPES).index
    )
    for item in listed:
        assert item["example"]["type"] == item["type"]
        assert item["example"]["data"]["object_id"]

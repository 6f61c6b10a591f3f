"""Every POST of the webhook routes honours `Idempotency-Key` as commands do (API.md): a repeat
with the same key and body gets the first answer, with `Idempotent-Replayed: true`, and changes
nothing; the same key with another body is 422; concurrent repeats make one change; the kept
answer, which may carry a signing secret, is sealed (write_api.idempotent_calls)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg

from tests.notifier.conftest import NotifySystem
from tests.notifier.receiver import Receiver


def _post(system: NotifySystem, path: str, body: Any, headers: dict[str, str], key: str) -> Any:
    return system.write.post(path, json=body, headers=headers | {"Idempotency-Key": key})


def test_a_repeated_registration_answers_the_same_endpoint_and_secret_once(
    system: NotifySystem, hooks: Receiver
) -> None:
    _, headers = system.user()
    body = {"url": hooks.url, "event_types": ["*"], "description": "shop"}
    key = f"register-{uuid.uuid4()}"
    first = _post(system, "/v1/webhooks", body, headers, key)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = _post(system, "/v1/webhooks", body, headers, key)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the same id and the same secret
    assert [e["id"] for e in system.get("/v1/webhooks", headers)["items"]] == [first.json()["id"]]

    other = _post(system, "/v1/webhooks", body | {"description": "other"}, headers, key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("idempotency-key-reused")
    # Another caller's same key is another key.
    _, stranger = system.user()
    theirs = _post(system, "/v1/webhooks", body, stranger, key)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]

    # The secret is kept only sealed: nowhere in the idempotency table in clear.
    with psycopg.connect(system.settings.database_url) as conn:
        kept = conn.execute("SELECT response::text FROM idempotency_keys").fetchall()
    assert kept and not any(first.json()["secret"] in row[0] for row in kept)


def test_rotation_ping_and_retry_happen_once_per_key(system: NotifySystem, hooks: Receiver) -> None:
    _, headers = system.user()
    endpoint = system.endpoint(headers, hooks.url, ["webhook.ping"])
    base = f"/v1/webhooks/{endpoint['id']}"

    rotate_key = f"rotate-{uuid.uuid4()}"
    rotated = _post(system, f"{base}/rotate-secret", None, headers, rotate_key)
    assert rotated.status_code == 200, rotated.text
    repeated = _post(system, f"{base}/rotate-secret", None, headers, rotate_key)
    assert repeated.json() == rotated.json() and repeated.headers["Idempotent-Replayed"] == "true"
    with psycopg.connect(system.settings.database_url) as conn:
        secrets = conn.execute(
            "SELECT count(*) FROM webhook_secrets WHERE endpoint_id = %s", (endpoint["id"],)
        ).fetchone()
    assert secrets == (2,)  # the first and one rotation, not two

    ping_key = f"ping-{uuid.uuid4()}"
    answers: list[Any] = []

    def ping() -> None:
        answers.append(_post(system, f"{base}/test", None, headers, ping_key))

    threads = [threading.Thread(target=ping) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.json()["delivery_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
    log = system.get(f"{base}/deliveries", headers)["items"]
    assert len(log) == 1  # one ping queued, whatever the repeats

    delivery = answers[0].json()["delivery_id"]
    system.dispatch_until(hooks, 1)
    retry_key = f"retry-{uuid.uuid4()}"
    for _ in range(2):
        retried = _post(system, f"{base}/deliveries/{delivery}/retry", None, headers, retry_key)
        assert retried.status_code == 202, retried.text
    system.dispatch_until(hooks, 2)
    assert system.notifier.dispatcher.run_once() == 0  # the repeat queued nothing more
    assert len(hooks.delivered()) == 2

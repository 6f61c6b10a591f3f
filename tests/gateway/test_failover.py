"""One instance of each API killed (SIGKILL) under load: reads through the gateway keep
succeeding, and every deposit sent with an Idempotency-Key (retried by its client with the same
key until it has an answer) moves the balance exactly once. No client here knows an instance's
port; only the assertions about who served what read them from the gateway's access log.

A read can be cut by the kill after the instance sent its headers and before its body: NGINX has
already passed the headers on, so it cannot retry, and the client sees a truncated response. GET
is idempotent, so the readers retry that (and only that) once, as HTTP clients may (RFC 9110,
9.2.2); any other transport error, or a second failure, is a failed read."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx

from tests.gateway.conftest import Gateway, sign_up
from tests.polling import wait_for

WRITERS = 4
DEPOSITS_PER_WRITER = 25
READERS = 2
# Answers that say "not done, try again": the gateway found no instance, or timed out.
_RETRYABLE = {502, 503, 504}


@dataclass
class Load:
    account_id: str
    auth: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    reads: list[int] = field(default_factory=list)  # statuses; list.append is atomic
    read_failures: list[str] = field(default_factory=list)
    reads_cut_by_the_kill: list[str] = field(default_factory=list)
    deposits: list[tuple[int, int]] = field(default_factory=list)  # (amount, final status)
    client_retries: list[str] = field(default_factory=list)


def _read(gateway: Gateway, load: Load) -> None:
    with gateway.client() as client:
        while not load.stop.is_set():
            url = f"/v1/accounts/{load.account_id}"
            try:
                try:
                    answer = client.get(url, headers=load.auth)
                except httpx.RemoteProtocolError as cut:
                    load.reads_cut_by_the_kill.append(repr(cut))
                    answer = client.get(url, headers=load.auth)
            except httpx.TransportError as error:
                load.read_failures.append(repr(error))
            else:
                load.reads.append(answer.status_code)


def _deposit(client: httpx.Client, load: Load, amount: int) -> int:
    """Send one deposit until it has a final answer, always with the same key."""
    key = f"failover-{uuid.uuid4()}"
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = client.post(
                f"/v1/accounts/{load.account_id}/deposits",
                json={"amount": amount, "reference": key},
                headers=load.auth | {"Idempotency-Key": key},
            )
        except httpx.TransportError as error:
            outcome = repr(error)
        else:
            if answer.status_code not in _RETRYABLE:
                return answer.status_code
            outcome = str(answer.status_code)
        load.client_retries.append(outcome)
        assert time.monotonic() < deadline, f"no answer for {key}: {load.client_retries}"


def _write(gateway: Gateway, load: Load, writer: int) -> None:
    with gateway.client() as client:
        for n in range(DEPOSITS_PER_WRITER):
            amount = 100 * writer + n + 1
            load.deposits.append((amount, _deposit(client, load, amount)))


def test_reads_and_keyed_commands_survive_killing_one_instance_of_each_api(
    gateway: Gateway,
) -> None:
    with gateway.client() as client:
        user_id, _ = sign_up(client)
        auth = gateway.token(user_id)
        opened = client.post(
            "/v1/accounts", json={"owner_id": user_id, "currency": "EUR"}, headers=auth
        )
        assert opened.status_code == 201, opened.text
        account_id = opened.json()["id"]
        seen = client.get(f"/v1/accounts/{account_id}", params={"min_version": 1}, headers=auth)
        assert seen.status_code == 200, seen.text
    load = Load(account_id, auth)
    threads = [threading.Thread(target=_read, args=(gateway, load)) for _ in range(READERS)]
    threads += [
        threading.Thread(target=_write, args=(gateway, load, writer)) for writer in range(WRITERS)
    ]
    killed = ("write-api-2", "read-api-2")
    try:
        for thread in threads:
            thread.start()
        wait_for(lambda: len(load.deposits) >= 10, 60, what="deposits before the kill")
        for name in killed:
            gateway.supervisor.kill(name)
        for thread in threads[READERS:]:
            thread.join(120)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(30)
        for name in killed:
            gateway.supervisor.restart(name)  # the package's other tests share this system

    assert len(load.deposits) == WRITERS * DEPOSITS_PER_WRITER, "a writer failed; see above"
    assert {status for _, status in load.deposits} == {200}, load.deposits
    assert load.read_failures == [] and set(load.reads) == {200}, (
        load.read_failures,
        sorted(set(load.reads)),
    )
    assert len(load.reads) > 10
    # Only the instant of each kill can cut a response: one per killed read instance and reader.
    assert len(load.reads_cut_by_the_kill) <= READERS, load.reads_cut_by_the_kill
    # The killed write instance had its share of the deposits (so the kill hit something).
    deposit_upstreams = {
        address.strip()
        for record in gateway.access_log()
        if record["path"].endswith("/deposits")
        for address in record["upstream"].split(",")
    }
    assert {f"127.0.0.1:{port}" for port in gateway.instance_ports()[0]} <= deposit_upstreams

    # Exactly once: one credit per key, whatever the retries.
    expected_version = 1 + len(load.deposits)
    with gateway.client() as client:
        account = client.get(
            f"/v1/accounts/{account_id}", params={"min_version": expected_version}, headers=auth
        )
    assert account.status_code == 200, account.text
    assert account.json()["version"] == expected_version
    assert account.json()["balance"] == sum(amount for amount, _ in load.deposits)

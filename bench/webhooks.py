"""Webhook delivery: throughput of the dispatcher against a bare httpx loop, and latency from an
event's commit to its webhook's arrival.

    python bench/webhooks.py [--deliveries 3000] [--rate 100] [--seconds 20]

Throughput: the dispatcher (``Dispatcher.run`` on its thread pool, real PostgreSQL for the
delivery queue) sends ``--deliveries`` stored deliveries to a receiver in its own process
(uvicorn, 204 at once), spread over 1 and then 50 endpoints; the baseline is bare httpx loops
posting the same signed payloads to the same receiver, as many at a time as the dispatcher may
send (its workers, at most ``webhook_endpoint_concurrency`` per endpoint: 4 for one endpoint).

Latency: a private stack with every Ledgerline process (as ``ledgerline dev run`` starts them,
the notifier included); deposits at ``--rate`` per second into accounts whose owner has an
endpoint; for each webhook, arrival time minus the event's ``recorded_at`` (taken inside the
appending transaction, so slightly before its commit).
Goals: p50 <= 50 ms, p99 <= 250 ms; throughput >= 0.5 x the bare loop.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from kafka import KafkaConsumer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.pipeline import percentile, processes_settings
from event_store.connection import open_pool
from event_store.schema import migrate
from event_store.store import EventStore
from infra.devstack import throwaway_stack
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.notifier import signing
from projections.notifier.deliveries import NewDelivery, add_deliveries, delivery_id
from projections.notifier.schema import ensure_tables
from projections.notifier.service import Notifier
from projections.topics import ensure_topics

PASSWORD = "a quiet lighthouse keeper"


class ReceiverProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.webhook_receiver:app",
                "--port",
                str(self.port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.http.delete("/stats")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # waiting for the receiver process to listen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def arrivals(self) -> list[tuple[str, float, str]]:
        return [(str(i), float(t), str(c)) for i, t, c in self.http.get("/stats").json()]

    def clear(self) -> None:
        self.http.delete("/stats")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def payload(n: int) -> str:
    body = {
        "type": "account.credited",
        "id": f"evt_{uuid.uuid4().hex}",
        "api_version": "2026-11-30",
        "created_at": datetime.now(UTC).isoformat(),
        "data": {
            "object": "account",
            "object_id": str(uuid.uuid4()),
            "amount": n,
            "currency": "EUR",
            "reference": None,
            "version": n,
        },
    }
    return json.dumps(body, separators=(",", ":"))


def throughput(settings: Settings, receiver: ReceiverProcess, count: int, endpoints: int) -> None:
    pool = open_pool(settings.database_url, min_size=2, max_size=settings.webhook_workers + 4)
    store = EventStore(pool)
    ensure_tables(store.connection)
    notifier = Notifier(settings, store)
    owner = uuid.uuid4()
    now = datetime.now(UTC)
    made = [
        notifier.endpoints.create(owner, receiver.url, ["*"], "bench", now)
        for _ in range(endpoints)
    ]
    bodies = [payload(n) for n in range(count)]
    deliveries = [
        NewDelivery(
            delivery_id(made[n % endpoints][0].id, f"e{n}"),
            made[n % endpoints][0].id,
            receiver.url,
            "account.credited",
            f"evt_{n}",
            n,
            body,
        )
        for n, body in enumerate(bodies)
    ]

    # Baseline: a bare httpx loop per worker, posting the same signed payloads.
    receiver.clear()
    secrets = {e.id: [s] for e, s in made}
    client = httpx.Client(limits=httpx.Limits(max_connections=64))
    # The same concurrency the dispatcher may use: its workers, at most per_endpoint each.
    loops = min(settings.webhook_workers, settings.webhook_endpoint_concurrency * endpoints)
    chunks = [deliveries[i::loops] for i in range(loops)]

    def loop(chunk: list[NewDelivery]) -> None:
        for d in chunk:
            content = d.body.encode()
            headers = signing.headers(secrets[d.endpoint_id], d.id, int(time.time()), content)
            client.post(receiver.url, content=content, headers=headers).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(loops) as threads:
        list(threads.map(loop, chunks))
    bare = count / (time.perf_counter() - started)
    assert len(receiver.arrivals()) == count

    receiver.clear()
    with store.connection() as conn:
        add_deliveries(conn, deliveries, datetime.now(UTC))
    stop = threading.Event()
    started = time.perf_counter()
    runner = threading.Thread(target=notifier.dispatcher.run, args=(stop,))
    runner.start()
    while len(receiver.arrivals()) < count:
        time.sleep(0.05)  # polling the receiver's count, not synchronisation of the dispatcher
    ours = count / (time.perf_counter() - started)
    stop.set()
    runner.join()
    notifier.sender.close()
    pool.close()
    print(
        f"{count} deliveries over {endpoints} endpoint(s), {loops} at a time: "
        f"dispatcher {ours:.0f}/s, bare httpx loops {bare:.0f}/s, ratio {ours / bare:.2f} "
        "(goal >= 0.5)"
    )


class KafkaProbe:
    """A bare consumer of the event topic on its own thread: for every AccountCredited, the
    time from its ``recorded_at`` to its arrival here (the floor any consumer of the topic,
    the notifier included, is measured against)."""

    def __init__(self, settings: Settings) -> None:
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            settings.kafka_topic,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"bench-probe-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="latest",
        )
        while not self._consumer.assignment():
            self._consumer.poll(timeout_ms=100)  # joining the group before the load starts
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for records in self._consumer.poll(timeout_ms=200).values():
                arrived = time.time()
                for record in records:
                    envelope = json.loads(record.value)
                    if envelope["type"] == "AccountCredited":
                        recorded = datetime.fromisoformat(envelope["recorded_at"]).timestamp()
                        self.latencies.append((arrived - recorded) * 1000)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        self._consumer.close()
        return self.latencies


def latency(
    stack_settings: Settings, receiver: ReceiverProcess, rate: float, seconds: float
) -> None:
    settings = processes_settings(stack_settings)
    migrate(settings.database_url)
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 6})
    supervisor = Supervisor(settings, os.environ | settings.process_environment())
    supervisor.start_all()
    try:
        write = httpx.Client(base_url=f"http://127.0.0.1:{settings.write_api_port}", timeout=10)
        accounts = []
        for n in range(20):
            sign_up = {"email": f"m{n}@bench.example", "full_name": "M", "password": PASSWORD}
            user = write.post("/v1/users", json=sign_up).json()
            token = mint_token(settings, user["id"], ["customer"], 3600)
            auth = {"Authorization": f"Bearer {token}"}
            endpoint = {"url": receiver.url, "event_types": ["account.credited"]}
            write.post("/v1/webhooks", json=endpoint, headers=auth).raise_for_status()
            opened = {"owner_id": user["id"], "currency": "EUR"}
            account = write.post("/v1/accounts", json=opened, headers=auth).json()["id"]
            accounts.append((account, auth))
        receiver.clear()
        probe = KafkaProbe(settings)
        total = int(rate * seconds)
        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            for i in range(total):
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # pacing the load generator, not synchronisation
                account, auth = random.choice(accounts)
                pool.submit(
                    write.post,
                    f"/v1/accounts/{account}/deposits",
                    json={"amount": 1 + i, "reference": "bench"},
                    headers=auth,
                )
        deadline = time.monotonic() + 60
        while len(receiver.arrivals()) < total and time.monotonic() < deadline:
            time.sleep(0.1)  # waiting for the last webhooks to arrive
        arrivals = receiver.arrivals()
        on_kafka = probe.stop()
        latencies = [
            (arrived - datetime.fromisoformat(created).timestamp()) * 1000
            for _, arrived, created in arrivals
        ]
        print(
            f"latency at {rate:.0f} events/s for {seconds:.0f} s: {len(arrivals)}/{total} "
            f"webhooks, commit -> received p50 {percentile(latencies, 50):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms "
            "(goal p50 <= 50, p99 <= 250)"
        )
        print(
            f"baseline, the same events commit -> read by a bare Kafka consumer: "
            f"p50 {percentile(on_kafka, 50):.1f} ms, p99 {percentile(on_kafka, 99):.1f} ms"
        )
    finally:
        supervisor.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    receiver = ReceiverProcess()
    try:
        with throwaway_stack() as stack:
            migrate(stack.settings.database_url)
            for endpoints in (1, 50):
                throughput(stack.settings, receiver, args.deliveries, endpoints)
            latency(stack.settings, receiver, args.rate, args.seconds)
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()

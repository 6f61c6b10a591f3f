"""Disaster-recovery drill (a): lose the primary under load and fail over to the standby.

Shared by ``bench/dr_failover.py`` (the measured drill) and ``tests/failover/test_drill.py`` (a
short version in CI). A whole Ledgerline system runs behind the gateway on a primary + synchronous
standby pair (``Pair``): write and query APIs, the relay and both projectors as OS processes,
connected with the two-host connection string. ``Load`` clients send deposits and transfers
through the gateway as a careful client does (an ``Idempotency-Key`` per command, the same key
again after a 503, a timeout or a dropped connection) and write every acknowledged command to
their own log (JSON lines: key, when first sent, when acknowledged).

The drill: run the load, then freeze and kill every process of the primary and delete its data
directory (``tests.failover.loss``), run ``ledgerline db failover`` as an operator would, keep
the load going until commands succeed again, stop it, let the pipeline drain, and measure:
- RPO: acknowledged commands in the load log whose events are not in the event store;
- RTO: from the loss until the first acknowledgement of a command first sent after the loss;
then run ``ledgerline audit verify``, ``projections verify all``, the money invariant and the
pipeline checks of ``tests.soak.checks`` (every stored event on Kafka, in stream order ...).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from infra.http.auth import mint_token
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics
from tests.credentials import PASSWORD
from tests.failover.loss import lose
from tests.failover.pair import Pair
from tests.polling import wait_for
from tests.server_fixtures import (
    SharedServers,
    system_fields,
    temporary_root,
    write_stand_in_console,
)
from tests.soak.checks import check_all, wait_drained

PROCESSES = ("relay", "projector-mongo", "projector-search")
_TRANSIENT = frozenset({429, 502, 503, 504})


@dataclass
class System:
    settings: Settings
    supervisor: Supervisor
    ca_file: Path

    @property
    def url(self) -> str:
        return self.settings.gateway_url

    def environment(self) -> dict[str, str]:
        return os.environ | self.settings.process_environment()


@contextmanager
def system_on(
    pair: Pair, servers: SharedServers, *, instances: int = 1, relays: int = 1
) -> Iterator[System]:
    """Every process (``instances`` of each API, ``relays`` relay replicas) behind a gateway,
    on ``pair``."""
    with temporary_root() as root:
        write_stand_in_console(root / "console")
        fields = system_fields(servers, root, instances=instances)
        settings = pair.settings(console_dir=root / "console", **fields)
        ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
        names = [*PROCESSES, "write-api", "read-api"]
        names += [
            f"{api}-{n}" for api in ("write-api", "read-api") for n in range(2, instances + 1)
        ]
        supervisor = Supervisor(
            settings,
            os.environ | settings.process_environment(),
            only=names,
            instances=instances,
            relays=relays,
            gateway=True,
        )
        assert supervisor.gateway is not None
        try:
            supervisor.start_all(timeout_s=120)
            yield System(settings, supervisor, supervisor.gateway.ca.cert_path)
        finally:
            supervisor.stop_all()


@dataclass(frozen=True)
class Acknowledged:
    key: str
    kind: str
    sent_at: float  # wall clock, first attempt
    acked_at: float


@dataclass
class Load:
    """``clients`` threads, each with two accounts of its own, sending deposits and transfers
    between them (about ``rate`` commands/s in all) and logging every acknowledged one."""

    system: System
    log_path: Path
    clients: int = 4
    rate: float = 40.0
    acknowledged: list[Acknowledged] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # commands with no definite answer: findings
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._run, name=f"dr-load-{n}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def _http(self) -> httpx.Client:
        tls = ssl.create_default_context(cafile=str(self.system.ca_file))
        return httpx.Client(base_url=self.system.url, verify=tls, timeout=10)

    def _run(self) -> None:
        with self._http() as http, self.log_path.open("a") as log:
            user = self._send(http, log, "sign-up", "/v1/users", {}, _sign_up_body())
            token = mint_token(self.system.settings, uuid.UUID(user["id"]), ["customer"], 3600)
            headers = {"Authorization": f"Bearer {token}"}
            body = {"owner_id": user["id"], "currency": "EUR"}
            a = self._send(http, log, "open", "/v1/accounts", headers, body)["id"]
            b = self._send(http, log, "open", "/v1/accounts", headers, body)["id"]
            interval = self.clients / self.rate
            n = 0
            while not self._stop.wait(interval):
                n += 1
                if n % 3:
                    path, body = f"/v1/accounts/{a}/deposits", {"amount": 100, "reference": "dr"}
                    self._send(http, log, "deposit", path, headers, body)
                else:
                    body = {"from_account_id": a, "to_account_id": b, "amount": 50}
                    self._send(
                        http, log, "transfer", "/v1/transfers", headers, body | {"reference": "dr"}
                    )

    def _send(
        self,
        http: httpx.Client,
        log: Any,
        kind: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        """Send until a definite answer, with one idempotency key; log the acknowledgement."""
        key = str(uuid.uuid4())
        sent_at = time.time()
        pause = threading.Event()  # never set: the back-off between retries
        while True:
            try:
                response = http.post(path, json=body, headers=headers | {"Idempotency-Key": key})
            except httpx.TransportError:
                pause.wait(0.1)
                continue
            if response.status_code in _TRANSIENT:
                pause.wait(min(float(response.headers.get("Retry-After", 0.1)), 0.5))
                continue
            if response.status_code >= 300:
                with self._lock:
                    self.failed.append(f"{kind}: {response.status_code} {response.text[:200]}")
                raise RuntimeError(f"{kind} answered {response.status_code}")
            entry = Acknowledged(key, kind, sent_at, time.time())
            with self._lock:
                self.acknowledged.append(entry)
                log.write(json.dumps(entry.__dict__) + "\n")
                log.flush()
            return dict(response.json())


def _sign_up_body() -> dict[str, str]:
    email = f"dr-{uuid.uuid4().hex[:12]}@example.com"
    return {"email": email, "full_name": "Drill Client", "password": PASSWORD}


@dataclass
class DrillResult:
    acknowledged: int
    missing: list[str]  # acknowledged idempotency keys with no event in the store (RPO)
    rto_s: float
    failover_s: float
    events: int
    problems: dict[str, list[str]]

    @property
    def rpo(self) -> int:
        return len(self.missing)


def read_load_log(path: Path) -> list[Acknowledged]:
    return [Acknowledged(**json.loads(line)) for line in path.read_text().splitlines()]


def run_drill(
    pair: Pair,
    system: System,
    log_path: Path,
    *,
    before_s: float,
    after_s: float,
    clients: int = 4,
    rate: float = 40.0,
    operator_delay_s: float = 0.0,
) -> DrillResult:
    """Load, loss of the primary, fail-over, more load, then the figures and the checks."""
    load = Load(system, log_path, clients=clients, rate=rate)
    load.start()
    try:
        wait_for(lambda: len(load.acknowledged) >= clients * 3, 60, what="the load running")
        pause = threading.Event()
        pause.wait(before_s)  # a steady load for the stated time, not a synchronisation
        lost_at = time.time()
        lose(pair.primary, delete_data=True)
        pause.wait(operator_delay_s)  # the time an operator takes to notice and act
        failover_s = _failover_command(pair, system)

        def recovered() -> float | None:
            after = [a.acked_at for a in load.acknowledged if a.sent_at >= lost_at]
            return min(after) if after else None

        back_at = wait_for(recovered, 120, what="commands succeeding after the fail-over")
        assert back_at is not None  # wait_for returns only a truthy result
        pause.wait(after_s)
    finally:
        load.stop()
    logged = read_load_log(log_path)
    wait_drained(system.settings, 180)
    with psycopg.connect(system.settings.database_url) as conn:
        stored = {
            row[0]
            for row in conn.execute(
                "select distinct metadata->>'idempotency_key' from events"
                " where metadata ? 'idempotency_key'"
            )
        }
        events = conn.execute("select count(*) from events").fetchone()[0]  # type: ignore[index]
    report = check_all(system.settings)
    problems = dict(report.problems)
    problems["audit verify"] = _audit_verify(system)
    problems["load"] = list(load.failed)
    return DrillResult(
        acknowledged=len(logged),
        missing=[a.key for a in logged if a.key not in stored],
        rto_s=back_at - lost_at,
        failover_s=failover_s,
        events=int(events),
        problems=problems,
    )


def _failover_command(pair: Pair, system: System) -> float:
    """``ledgerline db failover`` as the operator runs it; how long it took."""
    began = time.monotonic()
    pair_environment = {
        "LEDGERLINE_DATA_DIR": str(pair.root),
        "LEDGERLINE_POSTGRES_PORT": str(pair.primary.port),
        "LEDGERLINE_STANDBY_PORT": str(pair.standby.port),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "infra.cli", "db", "failover"],
        env=system.environment() | pair_environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"ledgerline db failover failed: {completed.stderr.strip()}")
    return time.monotonic() - began


def _audit_verify(system: System) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "infra.cli", "audit", "verify"],
        env=system.environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode == 0:
        return []
    return [f"audit verify exited {completed.returncode}", *completed.stdout.splitlines()[-10:]]

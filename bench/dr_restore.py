"""Disaster-recovery drill (b): the primary is destroyed with no standby; recover from the base
backup and the streamed WAL archive to the latest point, under a steady command load.

    python bench/dr_restore.py [--rate 20] [--before 20] [--after 10] [--events N]

Starts a private stack (PostgreSQL, Kafka, the MongoDB-protocol server, Elasticsearch, Redis) on
free ports and, as ``ledgerline dev run`` does, every Ledgerline process behind the gateway, plus
the WAL archiver (``ledgerline backup stream``). It seeds accounts through the gateway, takes a
base backup, then a load generator here (threads, deposits through the gateway, each with its
own Idempotency-Key, never retried) logs every command: key, sent, answered, status.

After ``--before`` seconds the primary is lost: SIGKILL, then its data directory deleted. The
operator's runbook follows at once, automated: stop the Ledgerline processes, ``ledgerline backup
restore`` (latest point, new epoch, read models rebuilt), start the processes on the new topic
generation. The load keeps running throughout and for ``--after`` seconds more.

- RPO: acknowledged commands (2xx) whose events are not in the restored store, counted from the
  load generator's own log, and the span of time they were acknowledged in;
- RTO: from the loss until the first command sent after it succeeds (no detection delay: the
  drill starts the recovery at the moment of loss);
- then ``audit verify`` (hash chains), ``projections verify all`` and the money invariant
  (tests/soak/checks.py) on the drained system.

``--events N`` instead measures restore + rebuild time for a store of N realistic events
(tests/projections/scenario.py): seed, back up, destroy, restore with rebuild; the goal is 1
million events in 5 minutes, and a smaller N is extrapolated linearly (printed as such).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from pymongo import MongoClient

from event_store.hash_chain import verify_database
from event_store.schema import migrate
from infra.http.auth import mint_token
from infra.servers import PostgresServer, free_port
from infra.servers.dev_ca import DevCA
from infra.servers.process import terminate
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics

# A script run as `python bench/dr_restore.py` has bench/, not the repository, on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.server_fixtures import SharedServers, system_fields, write_stand_in_console
from tests.soak.checks import money_invariant, verify_read_models, wait_drained

PROCESSES = (
    "write-api",
    "read-api",
    "relay",
    "projector-mongo",
    "projector-search",
    "notifier",
    "wal-archiver",
)
PASSWORD = "a quiet lighthouse keeper"
GOALS = {"rpo": "<= 1 s of acknowledged commands", "rto": "<= 300 s for 1,000,000 events"}


def say(message: str) -> None:
    print(message, flush=True)


def drill_settings(root: Path, primary: PostgresServer, shared: SharedServers) -> Settings:
    console = write_stand_in_console(root / "console")
    return Settings(
        **system_fields(shared, root),
        postgres_port=primary.port,
        LEDGERLINE_DATABASE_URL=primary.url(),
        wal_archiver_metrics_port=free_port(),
        smtp_port=free_port(),  # nothing listens: mails stay owed, which the drill ignores
        console_dir=console,
    )


def start_processes(settings: Settings) -> Supervisor:
    supervisor = Supervisor(
        settings,
        os.environ | settings.process_environment(),
        only=PROCESSES,
        instances=1,
        gateway=True,
        archive=True,
    )
    supervisor.start_all(timeout_s=120)
    return supervisor


def stop_all_at_once(supervisor: Supervisor) -> dict[str, float]:
    """Stop every process in parallel, as a service manager stops its units: one by one, those
    still waiting on the lost primary (a request in flight, a pool checkout) would each use up
    their stop timeout in turn."""
    pids = {c.spec.name: c.process.pid for c in supervisor.children if c.process is not None}

    def stop(pid: int) -> float:
        began = time.monotonic()
        terminate(pid, 15.0)
        return time.monotonic() - began

    with ThreadPoolExecutor(max_workers=len(pids) or 1) as pool:
        seconds = dict(zip(pids, pool.map(stop, pids.values()), strict=True))
    supervisor.stop_all()  # the gateway, and the pid files
    return seconds


def ledgerline(settings: Settings, *args: str) -> str:
    """An operator command, as a subprocess; raises with its output if it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        env=os.environ | settings.process_environment(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"ledgerline {' '.join(args)}: {completed.stderr.strip()[-500:]}")
    return completed.stdout


def client(settings: Settings) -> httpx.Client:
    ca = DevCA(settings.data_dir / "tls").cert_path
    tls = ssl.create_default_context(cafile=str(ca))
    return httpx.Client(base_url=settings.gateway_url, verify=tls, timeout=10)


def seed_accounts(settings: Settings, count: int) -> list[tuple[str, str]]:
    """(account id, Authorization) of ``count`` new customers, each with a first deposit."""
    accounts = []
    with client(settings) as http:
        for n in range(count):
            body = {"email": f"dr{n}-{uuid.uuid4().hex[:6]}@example.com", "full_name": f"D {n}"}
            user = http.post("/v1/users", json=body | {"password": PASSWORD})
            user.raise_for_status()
            user_id = user.json()["id"]
            auth = f"Bearer {mint_token(settings, user_id, ['customer'], 3600)}"
            opened = http.post(
                "/v1/accounts",
                json={"owner_id": user_id, "currency": "EUR"},
                headers={"Authorization": auth},
            )
            opened.raise_for_status()
            accounts.append((str(opened.json()["id"]), auth))
    return accounts


@dataclass
class LoadLog:
    """Every command the load generator sent: (key, sent, answered, status; 0 = no answer)."""

    entries: list[tuple[str, float, float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acked(self) -> list[tuple[str, float, float, int]]:
        with self.lock:
            return [entry for entry in self.entries if 200 <= entry[3] < 300]


@contextmanager
def steady_load(
    settings: Settings, accounts: list[tuple[str, str]], rate: float, threads: int = 4
) -> Iterator[LoadLog]:
    """Deposits at ``rate`` per second (open loop, split over ``threads``) until the block ends."""
    log = LoadLog()
    stop = threading.Event()

    def worker(number: int) -> None:
        interval = threads / rate
        due = time.monotonic() + number * interval / threads
        with client(settings) as http:
            sent = 0
            while not stop.is_set():
                stop.wait(max(0.0, due - time.monotonic()))
                due += interval
                account, auth = accounts[(number + sent * threads) % len(accounts)]
                sent += 1
                key = str(uuid.uuid4())
                started = time.time()
                try:
                    response = http.post(
                        f"/v1/accounts/{account}/deposits",
                        json={"amount": 1 + sent % 5000, "reference": "drill"},
                        headers={"Authorization": auth, "Idempotency-Key": key},
                        timeout=5,
                    )
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                with log.lock:
                    log.entries.append((key, started, time.time(), status))

    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in workers:
        thread.start()
    try:
        yield log
    finally:
        stop.set()
        for thread in workers:
            thread.join(15)


@dataclass
class DrillFigures:
    acknowledged: int = 0
    lost: int = 0
    lost_span_s: float = 0.0
    rto_s: float = 0.0
    stop_s: float = 0.0  # stopping the Ledgerline processes
    restore_s: float = 0.0
    start_s: float = 0.0  # starting them again, until every one answers
    events: int = 0
    audit_breaks: int = -1
    verify_problems: list[str] = field(default_factory=list)
    money_problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The RPO goal met (acknowledged within 1 s of the loss) and every check clean. The RTO
        goal is about a million events, which ``--events`` measures."""
        return (
            self.lost_span_s <= 1.0
            and self.audit_breaks == 0
            and not self.verify_problems
            and not self.money_problems
        )

    def report(self) -> str:
        audit = "ok" if self.audit_breaks == 0 else f"{self.audit_breaks} breaks"
        return "\n".join(
            [
                f"RPO: {self.lost} of {self.acknowledged} acknowledged commands lost, acknowledged"
                f" within {self.lost_span_s:.2f} s before the loss   (goal {GOALS['rpo']})",
                f"RTO: {self.rto_s:.1f} s from the loss to the first successful command: stop the"
                f" processes {self.stop_s:.1f} s, restore with rebuild {self.restore_s:.1f} s,"
                f" start them {self.start_s:.1f} s; {self.events:,} events"
                f"   (goal {GOALS['rto']})",
                f"audit verify: {audit}",
                f"projections verify: {'ok' if not self.verify_problems else self.verify_problems}",
                f"money invariant: {'ok' if not self.money_problems else self.money_problems}",
            ]
        )


def run_drill(
    root: Path, shared: SharedServers, *, rate: float, before_s: float, after_s: float
) -> DrillFigures:
    """The drill on a private primary under ``root`` with the ``shared`` servers."""
    primary = PostgresServer(root, free_port())
    primary.start()
    settings = drill_settings(root, primary, shared)
    migrate(settings.database_url)
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    supervisor = start_processes(settings)
    figures = DrillFigures()
    try:
        accounts = seed_accounts(settings, 8)
        ledgerline(settings, "backup", "create")
        with steady_load(settings, accounts, rate) as load:
            threading.Event().wait(before_s)  # the load runs meanwhile: this is the bench's clock
            loss = time.time()
            say(f"loss: SIGKILL PostgreSQL and delete {primary.data_dir}")
            primary.kill()
            shutil.rmtree(primary.data_dir)
            began = time.monotonic()
            stopping = stop_all_at_once(supervisor)
            figures.stop_s = time.monotonic() - began
            say("stopped in (s): " + ", ".join(f"{n} {t:.1f}" for n, t in stopping.items()))
            ledgerline(settings, "backup", "restore")
            figures.restore_s = time.monotonic() - began - figures.stop_s
            began = time.monotonic()  # with the same settings: the new topic is in the store
            supervisor = start_processes(settings)
            figures.start_s = time.monotonic() - began
            deadline = time.monotonic() + after_s
            while time.monotonic() < deadline or not _succeeded_after(load, loss):
                threading.Event().wait(0.2)
                if time.monotonic() > deadline + 120:
                    break
        answered = [e for e in load.acked() if e[1] > loss]
        figures.rto_s = min(e[2] for e in answered) - loss if answered else float("inf")
        _check(settings, load, loss, figures)
    finally:
        supervisor.stop_all()
        primary.stop()
    return figures


def _succeeded_after(load: LoadLog, loss: float) -> bool:
    return any(entry[1] > loss for entry in load.acked())


def _check(settings: Settings, load: LoadLog, loss: float, figures: DrillFigures) -> None:
    acked = load.acked()
    with psycopg.connect(settings.database_url) as conn:
        stored = {
            row[0]
            for row in conn.execute(
                "select metadata->>'idempotency_key' from events where metadata ? 'idempotency_key'"
            )
        }
        count = conn.execute("select count(*) from events").fetchone()
        figures.events = 0 if count is None else int(count[0])
    lost = [entry for entry in acked if entry[0] not in stored]
    figures.acknowledged, figures.lost = len(acked), len(lost)
    # An answer can arrive just after the loss's timestamp (the kill lands a moment later):
    # that is a span of 0 s, not a negative one.
    figures.lost_span_s = max(0.0, loss - min(entry[2] for entry in lost)) if lost else 0.0
    wait_drained(settings, 180)
    figures.audit_breaks = len(verify_database(settings.database_url).breaks)
    figures.verify_problems = verify_read_models(settings)
    mongo: MongoClient[dict[str, Any]] = MongoClient(settings.mongo_url)
    with mongo, psycopg.connect(settings.database_url) as conn:
        figures.money_problems = money_invariant(conn, mongo[settings.mongo_database])


def measure_restore_time(root: Path, shared: SharedServers, events: int) -> tuple[float, int]:
    """Seed ``events`` realistic events, back up, destroy, restore with rebuild: (seconds,
    events restored)."""
    from event_store.connection import open_pool
    from event_store.store import EventStore
    from tests.projections.scenario import append_envelopes, busy_ledger

    primary = PostgresServer(root, free_port())
    primary.start()
    settings = drill_settings(root, primary, shared)
    migrate(settings.database_url)
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    pool = open_pool(settings.database_url, min_size=1, max_size=2)
    try:
        envelopes = busy_ledger(events).envelopes
        append_envelopes(EventStore(pool), envelopes)
    finally:
        pool.close()
    say(f"seeded {len(envelopes):,} events; backing up")
    ledgerline(settings, "backup", "create")
    primary.kill()
    shutil.rmtree(primary.data_dir)
    began = time.monotonic()
    output = ledgerline(settings, "backup", "restore")
    seconds = time.monotonic() - began
    primary.stop()
    rebuilt = [line for line in output.splitlines() if "read models rebuilt" in line]
    say(f"of which: {rebuilt[0].removeprefix('restore: ') if rebuilt else 'no rebuild line'}")
    return seconds, len(envelopes)


def main() -> int:
    from infra.devstack import throwaway_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="commands per second")
    parser.add_argument("--before", type=float, default=20.0, help="seconds of load before loss")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after it")
    parser.add_argument("--events", type=int, default=0, help="measure restore time at N events")
    args = parser.parse_args()
    servers = ["kafka", "mongo", "elasticsearch", "redis"]
    with throwaway_stack(servers, elasticsearch_quick_start=True) as stack:
        shared = SharedServers(
            stack.kafka.bootstrap_servers, stack.mongo.url, stack.elasticsearch.url, stack.redis.url
        )
        root = Path(tempfile.mkdtemp(prefix="ledgerline-dr-"))
        try:
            if args.events:
                seconds, events = measure_restore_time(root, shared, args.events)
                per_million = seconds * 1_000_000 / events
                if events >= 1_000_000:
                    figure = f"(goal {GOALS['rto']}; measured)"
                else:
                    figure = (
                        f"linear extrapolation to 1,000,000 events: {per_million:.0f} s"
                        f"   (goal {GOALS['rto']}; extrapolated, not measured)"
                    )
                say(f"restore + rebuild of {events:,} events: {seconds:.1f} s; {figure}")
                return 0 if per_million <= 300 else 1
            figures = run_drill(
                root, shared, rate=args.rate, before_s=args.before, after_s=args.after
            )
            say(figures.report())
            return 0 if figures.passed else 1
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end freshness: commands at fixed rates through the write API; for each one, the time
from the write API's response until the query API shows that stream version.

    python bench/pipeline.py [--rates 100,300] [--seconds 20]

Starts a private stack (PostgreSQL, Kafka, the MongoDB-protocol server, Elasticsearch, Mailpit,
Redis) and every Ledgerline process as separate OS processes, exactly as `ledgerline dev run`
does, on free ports. The visibility check is a GET with ``min_version``: the query API waits for
the MongoDB projector's version signal (Redis), re-checking every 250 ms without one. Each rate
prints its percentiles beside the goal, and the CPU seconds every process used meanwhile.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import httpx
import psutil

from event_store.schema import migrate
from infra.devstack import throwaway_stack
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor, process_specs
from projections.topics import ensure_topics

PASSWORD = "a quiet lighthouse keeper"
# Issue 13's goals on the 2-core machine with the whole stack running.
GOALS = {100: "p50 <= 20 ms, p99 <= 100 ms", 300: "p99 <= 250 ms"}


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU time of each process and its children (servers fork helpers); the
    load generator counts alone, since every other process is its child."""
    totals = {}
    for name, pid in pids.items():
        try:
            process = psutil.Process(pid)
            members = [process]
            if pid != os.getpid():
                members += process.children(recursive=True)
            totals[name] = sum(sum(p.cpu_times()[:2]) for p in members)
        except psutil.NoSuchProcess:
            totals[name] = 0.0
    return totals


def wakeups(settings: Settings) -> dict[str, float]:
    """The counters of how the query API's min_version waits and the relay's idle waits ended
    (a Redis signal, or the fallback poll), from their /metrics pages."""
    pages = {
        "min_version": (settings.read_api_port, "ledgerline_min_version_rechecks_total"),
        "relay": (settings.relay_metrics_port, "ledgerline_relay_wakeups_total"),
    }
    counts = {}
    for waiter, (port, metric) in pages.items():
        for line in httpx.get(f"http://127.0.0.1:{port}/metrics").text.splitlines():
            if line.startswith(metric + "{"):
                labels, value = line.rsplit(" ", 1)
                cause = labels.split('"')[1]
                counts[f"{waiter} by {cause}"] = float(value)
    return counts


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def processes_settings(stack_settings: Settings) -> Settings:
    """Settings for every Ledgerline process on ``stack_settings``' servers: free ports, quiet
    logs, and room for the seeding to sign everyone up from one address at once."""
    return stack_settings.model_copy(
        update={
            name: free_port()
            for name in (
                "write_api_port",
                "read_api_port",
                "relay_metrics_port",
                "projector_mongo_metrics_port",
                "projector_search_metrics_port",
                "notifier_metrics_port",
            )
        }
        | {"log_level": "WARNING", "anonymous_rate_limit_burst": 100_000}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", default="100,300", help="commands per second, one run per rate (comma list)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per rate")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="seconds of unrecorded load first (JIT, caches)"
    )
    parser.add_argument(
        "--without",
        default="",
        help="processes not to run (comma list, e.g. notifier): what they cost the others",
    )
    args = parser.parse_args()
    without = {name for name in args.without.split(",") if name}

    with throwaway_stack() as stack:
        settings = processes_settings(stack.settings)
        migrate(settings.database_url)
        ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 6})
        supervisor = Supervisor(
            settings,
            os.environ | settings.process_environment(),
            only=[spec.name for spec in process_specs(settings) if spec.name not in without],
        )
        try:
            supervisor.start_all()
            processes = {c.spec.name: c.process.pid for c in supervisor.children if c.process}
            processes |= {name: pid for name, s in stack.servers.items() if (pid := s.pid())}
            processes["load generator"] = os.getpid()
            accounts = seed_accounts(settings, args.accounts)
            rates = [float(rate) for rate in args.rates.split(",")]
            drive(settings, accounts, rates[0], args.warmup)
            for rate in rates:
                before, woken_before = cpu_seconds(processes), wakeups(settings)
                report(*drive(settings, accounts, rate, args.seconds), rate, args.seconds)
                after, woken_after = cpu_seconds(processes), wakeups(settings)
                usage = sorted(((after[n] - before[n], n) for n in before), reverse=True)
                print(
                    "CPU seconds during the run (2 cores = 2 CPU-s per second): "
                    + ", ".join(f"{name} {seconds:.1f}" for seconds, name in usage)
                )
                print(
                    "how waits ended: "
                    + ", ".join(
                        f"{name} {woken_after[name] - woken_before.get(name, 0):.0f}"
                        for name in sorted(woken_after)
                    )
                )
        finally:
            supervisor.stop_all()


Accounts = list[tuple[UUID, dict[str, str]]]


def seed_accounts(settings: Settings, account_count: int) -> Accounts:
    write = httpx.Client(base_url=f"http://127.0.0.1:{settings.write_api_port}", timeout=10)
    accounts: Accounts = []
    for n in range(account_count):
        body = {"email": f"u{n}@example.com", "full_name": f"U {n}", "password": PASSWORD}
        user = write.post("/v1/users", json=body)
        user_id = user.json()["id"]
        auth = {"Authorization": f"Bearer {mint_token(settings, user_id, ['customer'], 3600)}"}
        account = write.post(
            "/v1/accounts", json={"owner_id": user_id, "currency": "EUR"}, headers=auth
        ).json()["id"]
        write.post(
            f"/v1/accounts/{account}/deposits",
            json={"amount": 10**9, "reference": "seed"},
            headers=auth,
        )
        accounts.append((account, auth))
    return accounts


def drive(
    settings: Settings, accounts: Accounts, rate: float, seconds: float
) -> tuple[list[float], list[str], float]:
    """Commands at ``rate`` for ``seconds``; returns latencies (ms), errors and elapsed time."""
    write = httpx.Client(base_url=f"http://127.0.0.1:{settings.write_api_port}", timeout=10)
    read = httpx.Client(base_url=f"http://127.0.0.1:{settings.read_api_port}", timeout=10)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one_command() -> None:
        account, auth = random.choice(accounts)
        kind = "deposits" if random.random() < 0.7 else "withdrawals"
        response = write.post(
            f"/v1/accounts/{account}/{kind}",
            json={"amount": random.randint(1, 5000), "reference": "bench"},
            headers=auth,
        )
        written = time.perf_counter()
        if response.status_code != 200:
            with lock:
                errors.append(f"write {response.status_code}")
            return
        version = response.json()["version"]
        seen = read.get(f"/v1/accounts/{account}", params={"min_version": version}, headers=auth)
        visible = time.perf_counter()
        with lock:
            if seen.status_code == 200:
                latencies.append((visible - written) * 1000)
            else:
                errors.append(f"read {seen.status_code}")

    total = int(rate * seconds)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing the load generator, not synchronisation
            pool.submit(one_command)
    return latencies, errors, time.perf_counter() - started


def report(
    latencies: list[float], errors: list[str], elapsed: float, rate: float, seconds: float
) -> None:
    total = int(rate * seconds)
    print(
        f"commands: {total} at {rate:.0f}/s for {seconds:.0f} s (took {elapsed:.1f} s), "
        f"errors: {len(errors)} {sorted(set(errors))}"
    )
    if latencies:
        print(
            "write response -> visible in query API (ms): "
            f"p50 {percentile(latencies, 50):.1f}  p95 {percentile(latencies, 95):.1f}  "
            f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}  "
            f"mean {statistics.fmean(latencies):.1f}"
        )
    print(f"goal at {rate:.0f}/s: {GOALS.get(round(rate), 'none set')}")


if __name__ == "__main__":
    main()

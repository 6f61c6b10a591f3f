"""End-to-end freshness: commands at fixed rates through the write API; for each one, the time
from the write API's response until the query API shows that stream version.

    python bench/pipeline.py [--rates 100,300] [--seconds 20]

Starts a private stack (PostgreSQL, Kafka, the MongoDB-protocol server, Elasticsearch, Mailpit,
Redis) and every Ledgerline process as separate OS processes, exactly as `ledgerline dev run`
does, on free ports. The visibility check is a GET with ``min_version``: the query API waits for
the MongoDB projector's version signal (Redis), re-checking every 250 ms without one. Each rate
prints its percentiles beside the goal, and the CPU seconds every process used meanwhile.

This script seeds the accounts (users, tokens, accounts, a first deposit) over HTTP; the load
itself comes from pipeline_driver/ here, a small Go program (standard library only: keep-alive
connections, command i sent at start + i/rate whatever is still in flight, up to 256), because a
Python load generator took a fifth of one of the machine's two cores at 100 commands/s from the
system it measures. The first run builds it with Go into ``~/.cache/ledgerline`` (go_build.py here);
later runs reuse the binary until its sources change. The driver reads the load and the
accounts as JSON on stdin and answers with the latencies, errors and its own CPU time on
stdout; it shows in the CPU line as the "load generator".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from event_store.schema import migrate
from infra.devstack import throwaway_stack
from infra.http.auth import mint_token
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor, process_specs
from projections.topics import ensure_topics

# A script run as `python bench/pipeline.py` has bench/, not the repository, on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.go_build import GoBuildError, build_go_program

DRIVER_SOURCE = Path(__file__).resolve().parent / "pipeline_driver"
PASSWORD = "a quiet lighthouse keeper"
# Issue 13's goals on the 2-core machine with the whole stack running.
GOALS = {100: "p50 <= 20 ms, p99 <= 100 ms", 300: "p99 <= 250 ms"}


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU time of each process and its children (servers fork helpers)."""
    totals = {}
    for name, pid in pids.items():
        try:
            process = psutil.Process(pid)
            members = [process, *process.children(recursive=True)]
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
    try:
        driver = build_go_program(DRIVER_SOURCE, "pipeline_driver")
    except GoBuildError as error:
        sys.exit(f"bench/pipeline.py: {error}")

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
            accounts = seed_accounts(settings, args.accounts)
            rates = [float(rate) for rate in args.rates.split(",")]
            drive(driver, settings, accounts, rates[0], args.warmup)
            for rate in rates:
                before, woken_before = cpu_seconds(processes), wakeups(settings)
                run = drive(driver, settings, accounts, rate, args.seconds)
                after, woken_after = cpu_seconds(processes), wakeups(settings)
                report(run, rate, args.seconds)
                used = {name: after[name] - before[name] for name in before}
                used["load generator"] = run.cpu_seconds
                print(
                    "CPU seconds during the run (2 cores = 2 CPU-s per second): "
                    + ", ".join(
                        f"{name} {seconds:.1f}"
                        for name, seconds in sorted(used.items(), key=lambda item: -item[1])
                    )
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


Accounts = list[tuple[str, str]]  # account id, its owner's Authorization header


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
        accounts.append((account, auth["Authorization"]))
    return accounts


@dataclass(frozen=True)
class Run:
    """What the driver measured: latencies of the commands that became visible (ms), one
    error per other command ("write 409", "read 504", "write transport: ..."), the time the
    commands took, and the driver's own CPU time."""

    latencies: list[float]
    errors: list[str]
    elapsed: float
    cpu_seconds: float


def drive(driver: Path, settings: Settings, accounts: Accounts, rate: float, seconds: float) -> Run:
    """Commands at ``rate`` for ``seconds`` from the Go driver: 70 % deposits, 30 % withdrawals,
    amounts 1..5000, to accounts picked at random."""
    spec = {
        "write_url": f"http://127.0.0.1:{settings.write_api_port}",
        "read_url": f"http://127.0.0.1:{settings.read_api_port}",
        "rate": rate,
        "seconds": seconds,
        # Far above rate x latency: a slow system must not slow the load down (it would hide
        # its own latency: coordinated omission).
        "concurrency": 256,
        "deposit_share": 0.7,
        "max_amount": 5000,
        "timeout_s": 10,
        "accounts": [{"id": account, "authorization": auth} for account, auth in accounts],
    }
    # No timeout here: every request of the driver's has one, so the driver always ends. Its
    # CPU time comes in its answer: psutil cannot read a process that has exited, and this
    # process's RUSAGE_CHILDREN would also count any supervised process reaped meanwhile.
    completed = subprocess.run(
        [str(driver)], input=json.dumps(spec), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the pipeline driver failed: {completed.stderr.strip()}")
    result = json.loads(completed.stdout)
    return Run(
        latencies=result["latencies_ms"],
        errors=result["errors"],
        elapsed=result["elapsed_s"],
        cpu_seconds=result["cpu_s"],
    )


def report(run: Run, rate: float, seconds: float) -> None:
    total = int(rate * seconds)
    latencies = run.latencies
    print(
        f"commands: {total} at {rate:.0f}/s for {seconds:.0f} s (took {run.elapsed:.1f} s), "
        f"errors: {len(run.errors)} {sorted(set(run.errors))}"
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

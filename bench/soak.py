"""Soak test: the mixed workload for a while, with a fault every few seconds, then the checks.

    python bench/soak.py [--minutes 10] [--rate 60] [--clients 4] [--fault-every 30]

Starts a private stack (PostgreSQL, Kafka, the MongoDB-protocol server, Elasticsearch) and the
write API, relay, both projectors and the notifier as OS processes. Clients send deposits,
withdrawals, transfers and payments (captured, voided, refunded) at ``--rate`` operations/s,
retrying transient failures with the same Idempotency-Key; every holder has a webhook endpoint
for its accounts' credits and debits, on a receiver that answers 503 to ``--webhook-failures``
of the requests. Every ``--fault-every`` seconds the next fault of the schedule strikes: kill -9
the relay, kill -9 the notifier, kill -9 a projector, stop Kafka / MongoDB /
Elasticsearch for ``--outage`` seconds, kill -9 Elasticsearch (restarted at once), restart
PostgreSQL (fast shutdown). Relay and projector lag is sampled every second. At the end the
workload stops, the pipeline drains, every webhook delivery settles, and ``tests.soak.checks``
runs (including: as many distinct webhook-ids received as credits and debits stored); the exit
code is 1 if any check failed or any client saw an unexpected answer.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from infra.devstack import throwaway_stack
from infra.servers import ManagedServer
from projections.status import StatusUnavailable

# The soak harness lives with the fault tests (tests/ is not an installed package); a script run
# as `python bench/soak.py` does not have the repo root on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.notifier.receiver import receiver
from tests.soak.checks import (
    CheckReport,
    check_all,
    lag,
    wait_drained,
    wait_webhooks_settled,
    webhook_problems,
)
from tests.soak.system import System, running_system
from tests.soak.workload import Workload


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class LagSampler(threading.Thread):
    """Max events behind and max age of the oldest unprocessed event, per consumer."""

    def __init__(self, system: System, verbose: bool = False) -> None:
        super().__init__(daemon=True)
        self.system = system
        self.verbose = verbose
        self.stop = threading.Event()
        self.max_behind: dict[str, int] = {}
        self.max_age_s: dict[str, float] = {}
        self.peak_at_s: dict[str, float] = {}  # seconds into the run of the largest backlog
        self.unavailable = 0
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                sample = lag(self.system.settings)
            except StatusUnavailable:
                self.unavailable += 1  # a server is down: that is the fault, not a figure
                continue
            if self.verbose:
                print(f"{time.monotonic() - self.started:7.1f} s  lag {sample}", flush=True)
            for name, (behind, age) in sample.items():
                if behind > self.max_behind.get(name, -1):
                    self.max_behind[name] = behind
                    self.peak_at_s[name] = time.monotonic() - self.started
                self.max_age_s[name] = max(self.max_age_s.get(name, 0.0), age or 0.0)


FAULTS = (
    "relay",
    "notifier",
    "projector-mongo",
    "projector-search",
    "kafka",
    "mongo",
    "mongo-kill",
    "search",
    "search-kill",
    "postgres",
)


def fault_schedule(
    system: System, outage_s: float, chosen: set[str]
) -> list[tuple[str, Callable[[], None]]]:
    supervisor, stack = system.supervisor, system.stack

    def kill(name: str) -> Callable[[], None]:
        def strike() -> None:
            supervisor.kill(name)
            time.sleep(1.0)  # down for a moment, as a crashed process would be
            supervisor.restart(name)

        return strike

    def crash(server: ManagedServer) -> Callable[[], None]:
        def strike() -> None:
            server.kill()
            server.start()  # on the same data, as soon as the old process is gone

        return strike

    def outage(server: ManagedServer, seconds: float) -> Callable[[], None]:
        def strike() -> None:
            server.stop()
            time.sleep(seconds)
            server.start()

        return strike

    schedule = {
        "relay": ("kill -9 relay", kill("relay")),
        "notifier": ("kill -9 notifier", kill("notifier")),
        "projector-mongo": ("kill -9 projector-mongo", kill("projector-mongo")),
        "projector-search": ("kill -9 projector-search", kill("projector-search")),
        "kafka": (f"stop Kafka {outage_s:.0f} s", outage(stack.kafka, outage_s)),
        "mongo": (f"stop MongoDB {outage_s:.0f} s", outage(stack.mongo, outage_s)),
        "mongo-kill": ("kill -9 MongoDB", crash(stack.mongo)),
        "search": (
            f"stop Elasticsearch {outage_s:.0f} s",
            outage(stack.elasticsearch, outage_s),
        ),
        "search-kill": ("kill -9 Elasticsearch", crash(stack.elasticsearch)),
        # Down for a few seconds: long enough for every client to see it, short enough that
        # their retry budgets outlast it.
        "postgres": ("restart PostgreSQL (fast shutdown)", outage(stack.postgres, 3.0)),
    }
    return [schedule[name] for name in FAULTS if name in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=60.0,
        help="operations per second (an operation is one command, or a payment's two or three)",
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--holders", type=int, default=16)
    parser.add_argument("--fault-every", type=float, default=30.0, help="seconds")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds a server is down")
    parser.add_argument(
        "--webhook-failures",
        type=float,
        default=0.2,
        help="share of webhook requests the receiver answers 503",
    )
    parser.add_argument("--verbose", action="store_true", help="print every lag sample")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"comma-separated, in this order of the schedule: {','.join(FAULTS)}",
    )
    args = parser.parse_args()

    with (
        throwaway_stack() as stack,
        tempfile.TemporaryDirectory() as data_dir,
        running_system(stack, Path(data_dir)) as system,
        receiver() as hooks,
    ):
        hooks.failure_rate = args.webhook_failures
        workload = Workload(
            system.write_url,
            system.settings,
            clients=args.clients,
            holders=args.holders,
            rate=args.rate,
            webhook_url=hooks.url,
        )
        workload.setup()
        sampler = LagSampler(system, args.verbose)
        sampler.start()
        workload.start()
        started = time.monotonic()
        end = started + args.minutes * 60
        schedule = fault_schedule(system, args.outage, set(args.faults.split(",")))
        faults: list[str] = []
        while time.monotonic() + args.fault_every < end:
            time.sleep(args.fault_every)
            name, strike = schedule[len(faults) % len(schedule)]
            print(f"{time.monotonic() - started:7.1f} s  {name}", flush=True)
            strike()
            faults.append(name)
        time.sleep(max(0.0, end - time.monotonic()))
        workload.stop()
        elapsed = time.monotonic() - started
        crashed = system.crashed()
        if crashed:
            print(f"crashed (not restarted): {', '.join(crashed)}; logs in {data_dir}/logs")
            return 1
        drain_started = time.monotonic()
        wait_drained(system.settings, timeout_s=600)
        wait_webhooks_settled(system.settings, timeout_s=600)
        drained_s = time.monotonic() - drain_started
        sampler.stop.set()
        report = check_all(system.settings)
        received = [request.webhook_id for request in hooks.delivered()]
        report.problems["webhooks"] = webhook_problems(system.settings, received, report.figures)
        report.figures["webhook requests answered 503"] = len(hooks.requests) - len(received)
        if report.problems["verify"]:
            print_streams(system, report, started)
        return print_report(workload, sampler, faults, elapsed, drained_s, report)


def print_streams(system: System, report: CheckReport, started: float) -> None:
    """The events of the streams ``verify`` named, timed from the start of the run, to put
    next to the fault schedule."""
    ids = sorted(
        set(
            re.findall(
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                "\n".join(report.problems["verify"]),
            )
        )
    )
    offset = time.time() - time.monotonic()  # wall clock of monotonic 0
    with psycopg.connect(system.settings.database_url) as conn:
        for stream in ids[:10]:
            print(f"stream {stream}:")
            for version, kind, recorded_at, position in conn.execute(
                "SELECT version, type, extract(epoch FROM recorded_at), position FROM events"
                " WHERE stream_id = %s ORDER BY version",
                (stream,),
            ):
                at = float(recorded_at) - offset - started
                print(f"  v{version} {kind} at {at:.1f} s (position {position})")


def print_report(
    workload: Workload,
    sampler: LagSampler,
    faults: list[str],
    elapsed: float,
    drained_s: float,
    report: CheckReport,
) -> int:
    stats = workload.stats
    print(f"\nran {elapsed:.0f} s with {len(faults)} faults")
    print(
        f"commands done: {stats.commands} ({stats.commands / elapsed:.1f}/s): "
        + ", ".join(f"{kind} {n}" for kind, n in stats.done.most_common())
    )
    latencies = stats.latencies_ms
    if latencies:
        print(
            "command latency incl. retries (ms): "
            f"p50 {percentile(latencies, 50):.1f}  p99 {percentile(latencies, 99):.1f}  "
            f"max {max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}"
        )
    print("refused by the business rules: " + _counts(stats.refused))
    print("transient failures retried (same Idempotency-Key): " + _counts(stats.retried))
    print("unexpected answers: " + _counts(stats.unexpected))
    print(
        "max events behind / oldest unprocessed age: "
        + ", ".join(
            f"{name} {sampler.max_behind[name]} (at {sampler.peak_at_s[name]:.0f} s) / "
            f"{sampler.max_age_s[name]:.1f} s"
            for name in sampler.max_behind
        )
        + f"  (status unavailable while a server was down: {sampler.unavailable} samples)"
    )
    print(f"drained {drained_s:.1f} s after the workload stopped")
    print(report.describe())
    ok = report.ok and not stats.unexpected and not workload.crashes
    print("invariants: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{label}: {n}" for label, n in sorted(counter.items())) or "none"


if __name__ == "__main__":
    sys.exit(main())

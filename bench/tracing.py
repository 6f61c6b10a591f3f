"""What tracing costs: command throughput and end-to-end freshness with tracing off, with 10 %
sampling and with 100 % sampling, in one run on one stack.

    python bench/tracing.py [--rate 50] [--seconds 20] [--saturate 300] [--burst-seconds 10]

Uses bench/pipeline.py's machinery: the same private stack (every server, every Ledgerline
process as its own OS process, as `ledgerline dev run` starts them), the same seeding and the
same Go load driver (deposits and withdrawals through the write API, each followed by a GET with
``min_version`` on the query API). A local Jaeger receives the traces. For each configuration the
Ledgerline processes are started afresh with its ``LEDGERLINE_TRACING_*`` settings, then:

- freshness: ``--rate`` commands/s for ``--seconds`` after ``--warmup`` seconds unrecorded;
  p50 and p99 of write response -> visible in the query API;
- throughput: ``--saturate`` commands/s (more than the machine can do) for ``--burst-seconds``;
  commands that became visible per second of the burst, i.e. the rate the whole pipeline
  sustains;
then it waits until the projectors have caught up before the next configuration.

Each figure is printed beside the tracing-off one, with the goal (throughput cost <= 5 % at
10 % sampling, <= 15 % at 100 %), and the CPU seconds each process (Jaeger included) used.
``--rounds N`` repeats the three configurations N times, interleaved, since a machine shared
with other work drifts. Each round starts one configuration later (off, 10 %, 100 %; then 10 %,
100 %, off; ...): the read models grow through a run and the MongoDB stand-in's CPU per command
with them (measured: 8.8 CPU-s in a run's first configuration, 17 in its third), so a fixed
order charged the last configuration for its place. With several rounds a summary gives each
configuration's mean over the rounds; with a multiple of three rounds every configuration has
held every place once.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# A script run as `python bench/tracing.py` has bench/, not the repository, on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.go_build import GoBuildError, build_go_program
from bench.pipeline import (
    DRIVER_SOURCE,
    Accounts,
    cpu_seconds,
    drive,
    percentile,
    processes_settings,
    seed_accounts,
)
from event_store.schema import migrate
from infra.devstack import throwaway_stack
from infra.servers import JaegerServer, free_ports
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics

# (label, sampling ratio; None = tracing off), and the throughput cost each may have.
CONFIGURATIONS: list[tuple[str, float | None]] = [("off", None), ("10 %", 0.1), ("100 %", 1.0)]
GOALS = {"10 %": 5.0, "100 %": 15.0}
CATCH_UP_S = 180.0


@dataclass
class Measurement:
    label: str
    throughput: float  # commands visible per second of the burst
    burst_errors: int
    p50: float
    p99: float
    freshness_errors: int
    cpu: dict[str, float]


def _environment(settings: Settings) -> dict[str, str]:
    # Whatever the calling shell says about tracing, only these settings count.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERLINE_TRACING_")}
    return inherited | settings.process_environment()


def _projector_lag(settings: Settings) -> float:
    lag = 0.0
    for port in (settings.projector_mongo_metrics_port, settings.projector_search_metrics_port):
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        for line in page.splitlines():
            if line.startswith("ledgerline_projector_lag_events{"):
                lag += float(line.rsplit(" ", 1)[1])
    return lag


def _wait_until_caught_up(settings: Settings) -> None:
    """Until both projectors report no lag (a deadline, not a pause: checked every second)."""
    deadline = time.monotonic() + CATCH_UP_S
    while _projector_lag(settings) > 0:
        if time.monotonic() > deadline:
            print(f"  (projectors still behind after {CATCH_UP_S:.0f} s; going on)")
            return
        time.sleep(1.0)


def measure(
    label: str,
    settings: Settings,
    accounts: Accounts,
    driver: Path,
    args: argparse.Namespace,
    pids: dict[str, int],
) -> Measurement:
    supervisor = Supervisor(settings, _environment(settings))
    try:
        supervisor.start_all(timeout_s=120)
        processes = pids | {c.spec.name: c.process.pid for c in supervisor.children if c.process}
        drive(driver, settings, accounts, args.rate, args.warmup)
        before = cpu_seconds(processes)
        fresh = drive(driver, settings, accounts, args.rate, args.seconds)
        burst = drive(driver, settings, accounts, args.saturate, args.burst_seconds)
        after = cpu_seconds(processes)
        _wait_until_caught_up(settings)
    finally:
        supervisor.stop_all()
    latencies = fresh.latencies or [float("nan")]
    return Measurement(
        label=label,
        throughput=len(burst.latencies) / burst.elapsed,
        burst_errors=len(burst.errors),
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        freshness_errors=len(fresh.errors),
        cpu={name: after[name] - before[name] for name in before},
    )


def _mean(label: str, measurements: list[Measurement]) -> Measurement:
    """One configuration's measurements averaged over the rounds."""
    mine = [m for m in measurements if m.label == label]
    names = {name for m in mine for name in m.cpu}
    return Measurement(
        label=label,
        throughput=sum(m.throughput for m in mine) / len(mine),
        burst_errors=sum(m.burst_errors for m in mine),
        p50=sum(m.p50 for m in mine) / len(mine),
        p99=sum(m.p99 for m in mine) / len(mine),
        freshness_errors=sum(m.freshness_errors for m in mine),
        cpu={name: sum(m.cpu.get(name, 0.0) for m in mine) / len(mine) for name in names},
    )


def _change(value: float, baseline: float) -> str:
    return f"{(value - baseline) / baseline * 100:+.1f} %" if baseline else "n/a"


def report(measurements: list[Measurement], args: argparse.Namespace) -> None:
    baseline = next(m for m in measurements if m.label == "off")
    print(
        f"\nthroughput: commands visible per second during a {args.burst_seconds:.0f} s burst "
        f"offered at {args.saturate:.0f}/s; freshness: write response -> visible in the query "
        f"API at {args.rate:.0f} commands/s for {args.seconds:.0f} s"
    )
    header = (
        f"{'tracing':<8} {'throughput':>11} {'vs off':>9} {'goal':>12}   "
        f"{'p50 ms':>7} {'vs off':>9} {'p99 ms':>7} {'vs off':>9}   errors (burst/fresh)"
    )
    print(header)
    for m in measurements:
        cost = (baseline.throughput - m.throughput) / baseline.throughput * 100
        goal = GOALS.get(m.label)
        verdict = "" if goal is None else f"<= {goal:.0f} % {'met' if cost <= goal else 'MISSED'}"
        print(
            f"{m.label:<8} {m.throughput:>9.1f}/s {_change(m.throughput, baseline.throughput):>9} "
            f"{verdict:>12}   {m.p50:>7.1f} {_change(m.p50, baseline.p50):>9} "
            f"{m.p99:>7.1f} {_change(m.p99, baseline.p99):>9}   "
            f"{m.burst_errors}/{m.freshness_errors}"
        )
    print("\nCPU seconds during freshness run + burst (2 cores = 2 CPU-s per second):")
    for m in measurements:
        top = sorted(m.cpu.items(), key=lambda item: -item[1])
        print(
            f"  {m.label:<6} total {sum(m.cpu.values()):.1f}: "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in top)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="freshness: commands/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="freshness: measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds unrecorded first")
    parser.add_argument("--saturate", type=float, default=300.0, help="burst: offered rate")
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    try:
        driver = build_go_program(DRIVER_SOURCE, "pipeline_driver")
    except GoBuildError as error:
        sys.exit(f"bench/tracing.py: {error}")

    with (
        throwaway_stack() as stack,
        tempfile.TemporaryDirectory(prefix="ledgerline-jaeger-") as jaeger_root,
    ):
        jaeger = JaegerServer(Path(jaeger_root), *free_ports(4))
        jaeger.start()
        try:
            base = processes_settings(stack.settings)
            migrate(base.database_url)
            ensure_topics(base.kafka_bootstrap_servers, {base.kafka_topic: 6})
            pids = {name: pid for name, s in stack.servers.items() if (pid := s.pid())}
            pids["jaeger"] = jaeger.pid() or 0
            seeding = Supervisor(base, _environment(base))
            try:
                seeding.start_all(timeout_s=120)
                accounts = seed_accounts(base, args.accounts)
            finally:
                seeding.stop_all()
            measurements = []
            for round_number in range(args.rounds):
                shift = round_number % len(CONFIGURATIONS)
                for label, ratio in CONFIGURATIONS[shift:] + CONFIGURATIONS[:shift]:
                    settings = base.model_copy(
                        update={
                            "tracing_endpoint": None
                            if ratio is None
                            else jaeger.otlp_http_endpoint,
                            "tracing_sample_ratio": ratio or 1.0,
                        }
                    )
                    print(f"round {round_number + 1}, tracing {label} ...", flush=True)
                    measurements.append(measure(label, settings, accounts, driver, args, pids))
            for round_number in range(args.rounds):
                if args.rounds > 1:
                    print(f"\nround {round_number + 1}")
                report(measurements[round_number * 3 : round_number * 3 + 3], args)
            if args.rounds > 1:
                print(f"\nmean of {args.rounds} rounds")
                report([_mean(label, measurements) for label, _ in CONFIGURATIONS], args)
        finally:
            jaeger.stop()


if __name__ == "__main__":
    main()

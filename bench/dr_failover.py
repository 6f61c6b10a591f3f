"""Disaster-recovery drill (a): lose the primary under load, fail over to the hot standby.

    python bench/dr_failover.py [--before 20] [--after 10] [--clients 4] [--rate 60]
                                [--instances 2] [--relays 2] [--asynchronous]
                                [--operator-delay 0]

Starts a private stack (Kafka, the MongoDB-protocol server, Elasticsearch, Redis), a PostgreSQL
primary with a streaming standby (synchronous, remote_apply, unless ``--asynchronous``), and every
Ledgerline process behind the gateway, connected with the two-host connection string. Clients
send deposits and transfers through the gateway (about ``--rate`` commands/s), retrying with the
same Idempotency-Key, and log each acknowledged command. After ``--before`` seconds every process
of the primary is frozen and killed and its data directory deleted; ``ledgerline db failover``
runs ``--operator-delay`` seconds later (default 0: at once; the delay stands for the time it
takes to notice the loss); the load goes on for ``--after`` seconds once commands succeed again,
then stops, the pipeline drains and the checks run: ``audit verify``, ``projections verify
all``, the money invariant, every stored event on Kafka in stream order. Prints RPO and RTO
beside the goals; exit code 1 if a goal is missed or a check fails. ``run(args)`` returns the
figures, for the drills' front script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

# The drill lives with the fail-over tests (tests/ is not an installed package); a script run as
# `python bench/dr_failover.py` does not have the repository root on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from infra.devstack import throwaway_stack
from tests.failover.drill import run_drill, system_on
from tests.failover.pair import primary_and_standby
from tests.server_fixtures import SharedServers

GOALS = {"rpo": 0, "rto_s": 30.0}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=float, default=20.0, help="seconds of load before")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=60.0, help="commands/s, all clients")
    parser.add_argument("--instances", type=int, default=2, help="instances of each API")
    parser.add_argument("--relays", type=int, default=2, help="relay replicas (one leads)")
    parser.add_argument("--asynchronous", action="store_true", help="an asynchronous standby")
    parser.add_argument(
        "--operator-delay", type=float, default=0.0, help="seconds from the loss to `db failover`"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the drill; the figures and what each check found."""
    with (
        throwaway_stack(["kafka", "mongo", "elasticsearch", "redis"]) as stack,
        primary_and_standby(synchronous=not args.asynchronous) as pair,
    ):
        servers = SharedServers(
            stack.kafka.bootstrap_servers, stack.mongo.url, stack.elasticsearch.url, stack.redis.url
        )
        with system_on(pair, servers, instances=args.instances, relays=args.relays) as system:
            log_path = Path(tempfile.mkdtemp(prefix="ledgerline-dr-")) / "load.jsonl"
            print(f"load log: {log_path}")
            result = run_drill(
                pair,
                system,
                log_path,
                before_s=args.before,
                after_s=args.after,
                clients=args.clients,
                rate=args.rate,
                operator_delay_s=args.operator_delay,
            )
    return {
        "acknowledged": result.acknowledged,
        "events": result.events,
        "rpo": result.rpo,
        "rto_s": result.rto_s,
        "failover_s": result.failover_s,
        "problems": result.problems,
        "synchronous": not args.asynchronous,
        "operator_delay_s": args.operator_delay,
    }


def report(figures: dict[str, Any]) -> bool:
    """Print the figures beside the goals; True if every goal is met and every check passed."""
    mode = "synchronous (remote_apply)" if figures["synchronous"] else "asynchronous"
    print(f"drill (a): lose the primary, fail over to the {mode} standby")
    print(f"  acknowledged commands      {figures['acknowledged']}")
    print(f"  events in the store        {figures['events']}")
    rpo_ok = figures["rpo"] <= GOALS["rpo"]
    rto_ok = figures["rto_s"] <= GOALS["rto_s"]
    print(f"  RPO (acknowledged, lost)   {figures['rpo']:<8}  goal {GOALS['rpo']}  {_mark(rpo_ok)}")
    print(
        f"  RTO (loss -> success)      {figures['rto_s']:<8.1f}s goal <= {GOALS['rto_s']:.0f} s  "
        f"{_mark(rto_ok)}"
    )
    print(f"  operator delay (simulated) {figures['operator_delay_s']:.1f} s")
    print(f"  `db failover` ran for      {figures['failover_s']:.1f} s")
    checks_ok = True
    for name, found in figures["problems"].items():
        print(f"  {name:<26} {'ok' if not found else f'{len(found)} problems'}")
        for problem in found[:10]:
            print(f"    {problem}")
        checks_ok = checks_ok and not found
    return rpo_ok and rto_ok and checks_ok


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    return 0 if report(run(parse(argv))) else 1


if __name__ == "__main__":
    sys.exit(main())

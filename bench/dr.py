"""Both disaster-recovery drills, one after the other, each on a private stack of its own.

    python bench/dr.py [--events N] [--skip-failover] [--skip-restore]

(a) ``bench/dr_failover.py``: under load through the gateway the primary is destroyed and
``ledgerline db failover`` promotes the synchronous standby (goals: RPO 0, RTO <= 30 s).
(b) ``bench/dr_restore.py``: under load the primary is destroyed with no standby and restored
from the base backup and the streamed WAL (goals: RPO <= 1 s of acknowledged commands; RTO
<= 5 minutes for 1 million events including the read models' rebuild, measured by
``--events N``: restore plus rebuild of N events, extrapolated when N is smaller).

Each drill prints its figures beside its goals and the checks run afterwards (audit verify,
projections verify, the money invariant). The exit code is non-zero when a drill failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _drill(title: str, script: str, *args: str) -> bool:
    print(f"\n=== {title}", flush=True)
    return subprocess.run([sys.executable, str(BENCH / script), *args], check=False).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=0, help="also time restore of N events")
    parser.add_argument("--skip-failover", action="store_true")
    parser.add_argument("--skip-restore", action="store_true")
    args = parser.parse_args()
    results = {}
    if not args.skip_failover:
        results["(a) fail-over"] = _drill("(a) fail-over to the standby", "dr_failover.py")
    if not args.skip_restore:
        results["(b) restore"] = _drill("(b) restore from backup and WAL", "dr_restore.py")
        if args.events:
            results["(b) restore time"] = _drill(
                f"(b) restore and rebuild of {args.events:,} events",
                "dr_restore.py",
                "--events",
                str(args.events),
            )
    print("\n" + "\n".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""HTTP throughput: deposits through the write API and account reads through the query API,
each beside a hand-written FastAPI baseline (one INSERT, one ``find_one``: baselines.py here) on
the same servers, driven by wrk (Debian's, a compiled load generator) with the Lua scripts in
wrk/ here.

    python bench/http [--rounds 2] [--seconds 12] [--warmup 3] [--connections 32]
                      [--instances 2 | --direct] [--running-stack]

A directory rather than bench/http.py: a module named ``http`` beside the other benchmarks would
shadow the standard library's for every one of them run as ``python bench/<name>.py``.

What runs (systems.py): by default the system as clients meet it. A private stack (PostgreSQL,
Kafka, the MongoDB-protocol server, Elasticsearch, Redis, Mailpit) and every Ledgerline process
as `ledgerline dev run` starts them: ``--instances`` (2) of each API behind the gateway, the
relay, both projectors and the notifier, so the load runs with the whole pipeline working. wrk
speaks HTTPS to the gateway. The baselines run as many processes as there are instances, each
on its own port, behind a second NGINX built by the same code with the same configuration.
That is fairer than uvicorn workers sharing one port: the kernel spreads those workers'
connections unevenly and there would be no TLS or proxy hop in the baseline's figure, so the
ratio would charge NGINX's cost (a good part of a core at these rates) to our code; with a
gateway on both sides the ratio compares the services, and each gateway's CPU is printed. With
``--direct``: one process of each API and of each baseline, plain HTTP, no gateway, as this
bench measured before the gateway. ``--running-stack`` uses the servers and processes the
``LEDGERLINE_*`` environment names (e.g. a `ledgerline dev run`), through its gateway.

Load: ``--connections`` connections, requests spread round robin over ``--accounts`` accounts of
as many users, each deposit with its own Idempotency-Key, every request with the account owner's
access token (ES256, from a real login). Each run is ``--warmup`` seconds unrecorded, then
``--seconds`` measured; each round measures the four in turn and prints every figure beside its
baseline with the ratio, the CPU seconds each process used during the run, and the CPU time per
request of the serving instances and of the gateway in front of them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for bench.*

from bench.http.systems import Entry, systems
from bench.pipeline import cpu_seconds
from infra.servers.process import deadline_in

HERE = Path(__file__).resolve().parent
PASSWORD = "a quiet lighthouse keeper"
GOALS = {"deposits": 0.6, "reads": 0.8}


@dataclass(frozen=True)
class Outcome:
    """One wrk run's figures."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int  # non-2xx answers and socket errors
    wrk_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def describe(self) -> str:
        failed = f", {self.failed} FAILED" if self.failed else ""
        latency = f"p50 {self.p50_ms:5.1f} ms  p99 {self.p99_ms:6.1f} ms"
        return f"{self.per_second:6.0f}/s  {latency}{failed}"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    url: str, script: str, accounts_file: Path, seconds: float, connections: int
) -> Outcome:
    """One wrk run; the Lua script prints its figures as one JSON line (wrk/common.lua)."""
    argv = [
        "wrk",
        "--threads=1",  # one thread carries this load; a second would take CPU from the servers
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={HERE / 'wrk' / script}",
        url,
        "--",
        str(accounts_file),
        uuid.uuid4().hex[:12],  # this run's Idempotency-Key prefix
    ]
    cpu_before = _children_cpu_s()  # wrk is the only child that ends during the run
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return Outcome(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        failed=figures["non_2xx"] + figures["socket_errors"],
        wrk_cpu_s=_children_cpu_s() - cpu_before,
    )


@dataclass
class Customers:
    """The bench's users and their accounts. ``accounts_file`` is what the Lua scripts read;
    it logs everyone in again before their access tokens are half spent."""

    write_url: str
    path: Path
    emails: list[str]
    account_ids: list[str]
    tokens: list[str] = field(default_factory=list)
    refresh_at: float = 0.0

    def accounts_file(self) -> Path:
        if time.monotonic() >= self.refresh_at:
            with httpx.Client(base_url=self.write_url, timeout=30, verify=False) as api:
                logins = [_login(api, email) for email in self.emails]
            self.tokens = [token for token, _ in logins]
            self.refresh_at = time.monotonic() + min(ttl for _, ttl in logins) / 2
            lines = (f"{a} {t}" for a, t in zip(self.account_ids, self.tokens, strict=True))
            self.path.write_text("\n".join(lines) + "\n")
        return self.path


def _login(api: httpx.Client, email: str) -> tuple[str, int]:
    response = api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    body = response.json()
    return body["access_token"], int(body["expires_in"])


def _post(api: httpx.Client, path: str, body: dict[str, object], token: str | None = None) -> str:
    """POST, waiting out 429s (a running stack's sign-up limit), and return the new id."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    while True:
        response = api.post(path, json=body, headers=headers)
        if response.status_code != 429:
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))  # pacing, as the API asks
    response.raise_for_status()
    return str(response.json()["id"])


def seed(write_url: str, read_url: str, count: int, workdir: Path) -> Customers:
    """``count`` users, each with one funded account that the read model already shows."""
    run = uuid.uuid4().hex[:8]
    emails = [f"bench-http-{run}-{n}@example.com" for n in range(count)]
    account_ids = []
    with httpx.Client(base_url=write_url, timeout=30, verify=False) as api:
        for email in emails:
            user = _post(api, "/v1/users", {"email": email, "full_name": "B", "password": PASSWORD})
            token, _ = _login(api, email)
            account = _post(api, "/v1/accounts", {"owner_id": user, "currency": "EUR"}, token)
            deposit = {"amount": 10**9, "reference": "seed"}
            _post(api, f"/v1/accounts/{account}/deposits", deposit, token)
            account_ids.append(account)
    customers = Customers(write_url, workdir / "accounts.txt", emails, account_ids)
    customers.accounts_file()
    with httpx.Client(base_url=read_url, timeout=30, verify=False) as api:
        for account, token in zip(account_ids, customers.tokens, strict=True):
            api.get(
                f"/v1/accounts/{account}",
                params={"min_version": 2},  # opened, then funded
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
    return customers


@dataclass(frozen=True)
class Comparison:
    name: str
    script: str
    ours: Entry
    baseline: Entry


def settle(pids: dict[str, int], *, busy_cpu_s: float = 0.3, timeout_s: float = 120.0) -> None:
    """Wait until the processes together use less than ``busy_cpu_s`` CPU seconds in a second:
    the pipeline has drained what the previous run wrote (notifications, mails), so the next
    run does not pay for it."""
    deadline = deadline_in(timeout_s)
    pause = threading.Event()  # never set: its wait is the sampling interval
    before = cpu_seconds(pids)
    while time.monotonic() < deadline:
        pause.wait(1.0)
        after = cpu_seconds(pids)
        if sum(after.values()) - sum(before.values()) < busy_cpu_s:
            return
        before = after
    print(f"    (still busy after {timeout_s:.0f} s; measuring anyway)")


def _per_request(entry: Entry, used: dict[str, float], requests: int) -> str:
    """CPU time per request of each role serving ``entry`` (instances, gateway)."""
    parts = []
    for role, pids in entry.pids.items():
        if pids and all(name in used for name in pids):
            cpu_ms = sum(used[name] for name in pids) * 1000 / requests
            parts.append(f"{role} {cpu_ms:.2f}")
    return f"  CPU ms/request: {', '.join(parts)}" if parts and requests else ""


def measure(
    comparison: Comparison, customers: Customers, args: argparse.Namespace, pids: dict[str, int]
) -> list[Outcome]:
    """Ours, then the baseline: warm-up, then the measured run, each with its CPU use and, when
    the serving processes are known, their CPU time per request (steadier than requests/s on a
    machine whose other tenants come and go)."""
    outcomes = []
    for label, entry in (("ours", comparison.ours), ("baseline", comparison.baseline)):
        accounts = customers.accounts_file()
        settle(pids)
        run_wrk(entry.url, comparison.script, accounts, args.warmup, args.connections)
        before = cpu_seconds(pids)
        outcome = run_wrk(entry.url, comparison.script, accounts, args.seconds, args.connections)
        after = cpu_seconds(pids)
        used = {name: after[name] - before[name] for name in before}
        busiest = [
            f"{name} {seconds:.1f}"
            for name, seconds in sorted(used.items(), key=lambda item: -item[1])
            if seconds >= 0.3
        ]
        print(
            f"    {label:8}  {outcome.describe()}{_per_request(entry, used, outcome.requests)}"
            "\n              CPU s: " + ", ".join([*busiest, f"wrk {outcome.wrk_cpu_s:.1f}"])
        )
        outcomes.append(outcome)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unrecorded seconds per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--accounts", type=int, default=64)
    parser.add_argument(
        "--instances", type=int, default=2, help="instances of each API and of each baseline"
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="one process of each, plain HTTP straight to it, no gateway",
    )
    parser.add_argument(
        "--running-stack",
        action="store_true",
        help="use the servers and processes the LEDGERLINE_* environment names",
    )
    args = parser.parse_args()
    gateway = not args.direct
    instances = args.instances if gateway else 1

    with tempfile.TemporaryDirectory(prefix="bench-http-") as temporary:
        workdir = Path(temporary)
        with systems(instances, gateway, args.running_stack, workdir) as running:
            customers = seed(running.write.url, running.read.url, args.accounts, workdir)
            comparisons = [
                Comparison("deposits", "deposit.lua", running.write, running.insert),
                Comparison("reads", "read.lua", running.read, running.find_one),
            ]
            entry = "through a gateway each (HTTPS)" if gateway else "direct (HTTP)"
            print(
                f"wrk: {args.connections} connections over {args.accounts} accounts, "
                f"{args.warmup:.0f} s warm-up + {args.seconds:.0f} s measured per run; "
                f"{instances} instance(s) of each API and of each baseline, {entry}"
            )
            ratios: dict[str, list[float]] = {c.name: [] for c in comparisons}
            for round_number in range(1, args.rounds + 1):
                print(f"round {round_number}")
                for comparison in comparisons:
                    print(
                        f"  {comparison.name}: {comparison.ours.url} vs {comparison.baseline.url}"
                    )
                    ours, base = measure(comparison, customers, args, running.pids)
                    ratios[comparison.name].append(ours.per_second / base.per_second)
                    print(f"    ratio {ratios[comparison.name][-1]:.2f}")
            for name, values in ratios.items():
                print(
                    f"{name}: ours / baseline {min(values):.2f}-{max(values):.2f} over "
                    f"{len(values)} round(s); goal >= {GOALS[name]}"
                )


if __name__ == "__main__":
    main()

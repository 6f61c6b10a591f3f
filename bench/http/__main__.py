"""HTTP throughput: deposits through the write API and account reads through the query API,
each beside a hand-written FastAPI baseline (one INSERT, one ``find_one``: baselines.py here) on
the same servers, driven by wrk (Debian's, a compiled load generator) with the Lua scripts in
wrk/ here.

    python bench/http [--rounds 2] [--seconds 12] [--warmup 3] [--connections 32]
    python bench/http --running-stack --url https://127.0.0.1:8443 --baseline-processes 2

A directory rather than bench/http.py: a module named ``http`` beside the other benchmarks would
shadow the standard library's for every one of them run as ``python bench/<name>.py``.

By default it starts a private stack (PostgreSQL, Kafka, the MongoDB-protocol server,
Elasticsearch, Mailpit) and every Ledgerline process (APIs, relay, projectors, notifier) on free
ports, as `ledgerline dev run` does, so the load runs with the whole pipeline working. With
``--running-stack`` it uses the servers and processes the ``LEDGERLINE_*`` environment names
(e.g. a `ledgerline dev run`), and ``--url`` (``--read-url``) points the load at another entry,
such as the gateway; run the baselines with as many processes as instances sit behind it.

Load: ``--connections`` connections, requests spread round robin over ``--accounts`` accounts of
as many users, each deposit with its own Idempotency-Key, every request with the account owner's
access token (ES256, from a real login). Each run is ``--warmup`` seconds unrecorded, then
``--seconds`` measured; each round measures the four in turn and prints every figure beside its
baseline with the ratio, and the CPU seconds each process used during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for bench.*

from bench.pipeline import cpu_seconds, processes_settings
from event_store.schema import migrate
from infra.devstack import throwaway_stack
from infra.servers import free_port
from infra.servers.process import deadline_in, poll_until, terminate
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics

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
class Service:
    url: str
    pid: int


@contextmanager
def baseline(which: str, settings: Settings, processes: int, workdir: Path) -> Iterator[Service]:
    """A baseline service (baselines.py) in its own process(es)."""
    port = free_port()
    argv = [sys.executable, str(HERE / "baselines.py"), which, f"--port={port}"]
    with (workdir / f"baseline-{which}.log").open("ab") as log:
        server = subprocess.Popen(
            [*argv, f"--processes={processes}"],
            env=os.environ | settings.process_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{settings.bind_host}:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def exited() -> str | None:
        return None if server.poll() is None else f"baseline {which} exited, see {log.name}"

    try:
        poll_until(answers, deadline_in(30), abort=exited)
        yield Service(url, server.pid)
    finally:
        terminate(server.pid, timeout_s=15.0)
        server.wait()


@dataclass(frozen=True)
class Comparison:
    name: str
    script: str
    ours: str
    baseline: str
    # The processes serving each side (keys of the CPU accounting), for CPU per request.
    servers: tuple[str, str]


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


def measure(
    comparison: Comparison, customers: Customers, args: argparse.Namespace, pids: dict[str, int]
) -> list[Outcome]:
    """Ours, then the baseline: warm-up, then the measured run, each with its CPU use and, when
    the serving process is known, its CPU time per request (steadier than requests/s on a
    machine whose other tenants come and go)."""
    outcomes = []
    urls = (comparison.ours, comparison.baseline)
    sides = zip(("ours", "baseline"), urls, comparison.servers, strict=True)
    for label, url, server in sides:
        accounts = customers.accounts_file()
        settle(pids)
        run_wrk(url, comparison.script, accounts, args.warmup, args.connections)
        before = cpu_seconds(pids)
        outcome = run_wrk(url, comparison.script, accounts, args.seconds, args.connections)
        after = cpu_seconds(pids)
        used = sorted(((after[n] - before[n], n) for n in before), reverse=True)
        busiest = [f"{name} {seconds:.1f}" for seconds, name in used if seconds >= 0.3]
        per_request = ""
        if server in before and outcome.requests:
            cpu_ms = (after[server] - before[server]) * 1000 / outcome.requests
            per_request = f"  {server} {cpu_ms:.2f} ms CPU/request"
        print(
            f"    {label:8}  {outcome.describe()}{per_request}\n              CPU s: "
            + ", ".join([*busiest, f"wrk {outcome.wrk_cpu_s:.1f}"])
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
        "--running-stack",
        action="store_true",
        help="use the servers and processes the LEDGERLINE_* environment names",
    )
    parser.add_argument("--url", help="the system under test (default: the write API)")
    parser.add_argument("--read-url", help="for reads (default: --url, else the query API)")
    parser.add_argument(
        "--baseline-processes", type=int, default=1, help="uvicorn processes of each baseline"
    )
    args = parser.parse_args()

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        pids: dict[str, int] = {}
        if args.running_stack:
            settings = Settings()
        else:
            running = stack.enter_context(throwaway_stack())
            settings = processes_settings(running.settings)
            migrate(settings.database_url)
            ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 6})
            supervisor = Supervisor(settings, os.environ | settings.process_environment())
            stack.callback(supervisor.stop_all)
            supervisor.start_all()
            pids |= {c.spec.name: c.process.pid for c in supervisor.children if c.process}
            pids |= {name: pid for name, s in running.servers.items() if (pid := s.pid())}
        host = settings.bind_host
        write_url = args.url or f"http://{host}:{settings.write_api_port}"
        read_url = args.read_url or args.url or f"http://{host}:{settings.read_api_port}"
        customers = seed(write_url, read_url, args.accounts, workdir)
        processes = args.baseline_processes
        insert = stack.enter_context(baseline("insert", settings, processes, workdir))
        find_one = stack.enter_context(baseline("find-one", settings, processes, workdir))
        pids |= {"baseline-insert": insert.pid, "baseline-find-one": find_one.pid}
        comparisons = [
            Comparison(
                "deposits", "deposit.lua", write_url, insert.url, ("write-api", "baseline-insert")
            ),
            Comparison(
                "reads", "read.lua", read_url, find_one.url, ("read-api", "baseline-find-one")
            ),
        ]
        print(
            f"wrk: {args.connections} connections over {args.accounts} accounts, "
            f"{args.warmup:.0f} s warm-up + {args.seconds:.0f} s measured per run; "
            f"baselines: {processes} uvicorn process(es) each"
        )
        ratios: dict[str, list[float]] = {c.name: [] for c in comparisons}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}")
            for comparison in comparisons:
                print(f"  {comparison.name}: {comparison.ours} vs {comparison.baseline}")
                ours, base = measure(comparison, customers, args, pids)
                ratios[comparison.name].append(ours.per_second / base.per_second)
                print(f"    ratio {ratios[comparison.name][-1]:.2f}")
        for name, values in ratios.items():
            print(
                f"{name}: ours / baseline {min(values):.2f}-{max(values):.2f} over "
                f"{len(values)} round(s); goal >= {GOALS[name]}"
            )


if __name__ == "__main__":
    main()

"""Login cost: argon2id verification alone, logins per second through the write API, and whether
a wrong password and an unknown e-mail address (at login, and when asking for a password reset)
can be told apart by their timing.

    python bench/auth.py [--logins 200] [--clients 1 4] [--probes 200]

Starts a throwaway PostgreSQL and runs the write API as its own process (as ``ledgerline dev
run`` does) with the default hashing parameters (printed), rate limiting off and the login
throttle opened up (so that failed attempts are not locked out in the middle of the run).

- argon2id: one ``verify`` of a password hash in this process, p50 over 20 (the parameters
  were chosen so that this costs 50-150 ms of one core);
- logins: ``POST /v1/auth/login`` with the right password by ``--clients`` concurrent clients,
  each a user of its own; logins/s and p50/p99 latency;
- timing: ``--probes`` wrong-password logins for a real user and as many logins for an e-mail
  address nobody has, interleaved in a shuffled order; the medians should be within 5 % of
  each other;
- reset: as many password-reset requests for the real user's address and for an address nobody
  has, shuffled the same way, 20 ms apart (the real one's request is appended after the
  answer; back to back, that append slows whichever request comes next by about a millisecond).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from event_store.schema import migrate
from infra.bootstrap import password_hasher
from infra.devstack import throwaway_stack
from infra.servers import free_port
from infra.settings import Settings
from infra.supervisor import Supervisor

PASSWORD = "a quiet lighthouse keeper"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def argon2_ms(settings: Settings) -> float:
    hasher = password_hasher(settings)
    stored = hasher.hash(PASSWORD)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        assert hasher.verify(stored, PASSWORD)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def sign_up(api: httpx.Client) -> str:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "full_name": "Bench User", "password": PASSWORD}
    response = api.post("/v1/users", json=body)
    assert response.status_code == 201, response.text
    return email


def logins(base_url: str, emails: list[str], per_client: int) -> tuple[float, list[float]]:
    """Logins/s over all clients and every login's latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(email: str) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as api:
            for _ in range(per_client):
                started = time.perf_counter()
                response = api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(email,)) for email in emails]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def probe_timing(api: httpx.Client, email: str, probes: int) -> tuple[list[float], list[float]]:
    wrong: list[float] = []
    unknown: list[float] = []
    order = random.Random(7)
    for n in range(probes + 10):
        pair = [
            (wrong, {"email": email, "password": "not the right password at all"}),
            (unknown, {"email": f"nobody-{n}@example.com", "password": PASSWORD}),
        ]
        order.shuffle(pair)  # neither always follows the other's after-the-answer work
        for target, body in pair:
            started = time.perf_counter()
            response = api.post("/v1/auth/login", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 401, response.text
            if n >= 10:  # warm-up
                target.append(elapsed)
    return wrong, unknown


def probe_reset_timing(
    api: httpx.Client, email: str, probes: int
) -> tuple[list[float], list[float]]:
    known: list[float] = []
    unknown: list[float] = []
    order = random.Random(11)
    for n in range(probes + 10):
        # One unknown address over and over, like the known one: both update their existing
        # throttle row (a first request inserts one, for either kind of address alike).
        pair = [(known, email), (unknown, "nobody-reset@example.com")]
        order.shuffle(pair)
        for target, address in pair:
            started = time.perf_counter()
            response = api.post("/v1/auth/password-reset", json={"email": address})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 202, response.text
            if n >= 10:  # warm-up
                target.append(elapsed)
            # Let the known address's after-the-answer append finish: this measures the
            # answers, not how much one request's leftover work slows the next one.
            time.sleep(0.02)
    return known, unknown


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--logins", type=int, default=200, help="logins per client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    with throwaway_stack(["postgres"]) as stack:
        url = stack.postgres.url()
        migrate(url)
        settings = Settings(
            data_dir=Path(tempfile.mkdtemp(prefix="bench-auth-")),
            LEDGERLINE_DATABASE_URL=url,
            write_api_port=free_port(),
            rate_limit_enabled=False,
            login_free_failures_per_account=10**9,
            login_free_failures_per_address=10**9,
            password_reset_requests_per_address=10**9,
            log_level="WARNING",
        )
        print(
            f"argon2id: time_cost {settings.password_hash_time_cost}, memory"
            f" {settings.password_hash_memory_kib} KiB, parallelism"
            f" {settings.password_hash_parallelism}; one verify p50 {argon2_ms(settings):.0f} ms"
        )
        env = os.environ | settings.process_environment()
        supervisor = Supervisor(settings, env, ["write-api"])
        supervisor.start_all()
        base_url = f"http://127.0.0.1:{settings.write_api_port}"
        try:
            with httpx.Client(base_url=base_url, timeout=30) as api:
                emails = [sign_up(api) for _ in range(max(args.clients))]
                for clients in args.clients:
                    rate, latencies = logins(
                        base_url, emails[:clients], max(1, args.logins // clients)
                    )
                    print(
                        f"logins, {clients} client(s): {rate:.1f}/s, p50"
                        f" {statistics.median(latencies):.0f} ms, p99"
                        f" {percentile(latencies, 99):.0f} ms ({len(latencies)} logins)"
                    )
                wrong, unknown = probe_timing(api, emails[0], args.probes)
                difference = statistics.median(unknown) / statistics.median(wrong) - 1
                print(
                    f"failed logins over {args.probes} tries each: wrong password p50"
                    f" {statistics.median(wrong):.1f} ms, unknown e-mail p50"
                    f" {statistics.median(unknown):.1f} ms; difference {difference:+.1%}"
                    " (goal: within 5 %)"
                )
                known, unknown = probe_reset_timing(api, emails[0], args.probes)
                difference = statistics.median(unknown) / statistics.median(known) - 1
                print(
                    f"reset requests over {args.probes} tries each: known address p50"
                    f" {statistics.median(known):.1f} ms, unknown address p50"
                    f" {statistics.median(unknown):.1f} ms; difference {difference:+.1%}"
                )
        finally:
            supervisor.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())

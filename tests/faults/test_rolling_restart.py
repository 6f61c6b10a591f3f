"""A rolling restart of every kind of process under a steady mixed workload: each process (in
two waves) gets SIGTERM, must stop on its own (exit status 0) well within its grace period, and is
started again, while clients keep sending commands (retrying with their Idempotency-Key while
the write API is away) and reading an account through the query API (retrying while it is
away). No command fails, no read gets anything but its account, a projector that stopped has
left its consumer group at once (not after a session time-out), and once the pipeline has
drained nothing is lost or doubled (``tests.soak.checks``).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from kafka import KafkaAdminClient

from infra.devstack import RunningStack
from projections.notifier.service import notifier_group_id
from projections.process import projector_group_id
from tests.faults.test_crashes_and_outages import (
    assert_nothing_lost_or_doubled,
    traffic,
    under_load,
)
from tests.faults.test_relay_replicas import report_line
from tests.polling import wait_for
from tests.soak.system import System, running_system
from tests.soak.workload import Workload

pytestmark = pytest.mark.faults

# Two waves, each stopping one process of every kind that has two (the relay replicas) or
# whose clients retry (the write API, whose clients resend with their Idempotency-Key; the
# query API, whose reader retries), together with consumers whose partitions wait for them.
WAVES = (
    ("write-api", "relay", "projector-mongo", "notifier"),
    ("read-api", "relay-2", "projector-search"),
)


class AccountReader:
    """A client of the query API reading one account in a loop, retrying refused or dropped
    connections (the instance is restarting) as a client behind a load balancer would."""

    def __init__(self, url: str, path: str, headers: dict[str, str]) -> None:
        self._http = httpx.Client(base_url=url, headers=headers, timeout=5.0)
        self._path = path
        self._stop = threading.Event()
        self.answered = 0
        self.retried = 0
        self.wrong: list[str] = []
        self._thread = threading.Thread(target=self._run, name="account-reader")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._http.close()

    def read_once(self) -> bool:
        return self._http.get(self._path).status_code == 200

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                response = self._http.get(self._path)
            except httpx.TransportError:
                self.retried += 1
                continue
            if response.status_code == 200:
                self.answered += 1
            else:
                self.wrong.append(f"{response.status_code} {response.text[:200]}")


def group_members(system: System, group: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=system.settings.kafka_bootstrap_servers)
    try:
        return len(admin.describe_groups([group])[group]["members"])
    finally:
        admin.close()


def stop_gracefully(system: System, names: tuple[str, ...]) -> dict[str, float]:
    """SIGTERM each of ``names`` at once and wait for their exits (status 0 each: they stopped
    on their own); the seconds each took. A consumer-group member has left its group."""
    processes = {name: system.supervisor.child(name).process for name in names}
    started = time.monotonic()
    for process in processes.values():
        assert process is not None
        process.send_signal(signal.SIGTERM)
    took = {}
    for name, process in processes.items():
        assert process is not None
        code = process.wait(system.settings.shutdown_grace_s + 5)
        took[name] = time.monotonic() - started
        assert code == 0, f"{name} exited {code} after SIGTERM; see {system.settings.data_dir}/logs"
    groups = {
        "projector-mongo": projector_group_id(system.settings, "mongo"),
        "projector-search": projector_group_id(system.settings, "search"),
        "notifier": notifier_group_id(system.settings),
    }
    for name in names:
        if name in groups:  # it was its group's only member, and it left on its way out
            assert group_members(system, groups[name]) == 0, f"{name} is still in its group"
    return took


def start_again(system: System, names: tuple[str, ...]) -> float:
    """Start ``names`` together; the seconds until every one of them is ready."""
    started = time.monotonic()
    for name in names:
        system.supervisor.child(name).start()
    for name in names:
        port = system.supervisor.child(name).spec.health_port
        wait_for(lambda p=port: ready(p), 90, 0.1, what=f"{name} ready again")
    return time.monotonic() - started


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_every_kind_of_process_restarted_with_sigterm_under_load(
    fault_stack: RunningStack, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    stop_times: dict[str, float] = {}
    start_times: list[float] = []
    with running_system(fault_stack, tmp_path, relays=2, read_api=True) as system:
        with under_load(system) as workload:
            reader = account_reader(system, workload)
            wait_for(reader.read_once, 30, what="the account in the read model")
            reader.start()
            try:
                traffic(workload, 30)
                for wave in WAVES:
                    stop_times |= stop_gracefully(system, wave)
                    start_times.append(start_again(system, wave))
                    traffic(workload, 30)
                wait_for(lambda a=reader.answered: reader.answered > a, 20, what="a read")
            finally:
                reader.stop()
        report_line(
            request,
            "rolling restart, seconds from SIGTERM to exit: "
            + ", ".join(f"{name} {took:.2f}" for name, took in stop_times.items())
            + "; waves ready again after "
            + ", ".join(f"{took:.1f}" for took in start_times),
        )
        assert reader.wrong == [], reader.wrong[:5]
        assert reader.answered > 0
        assert max(stop_times.values()) < system.settings.shutdown_grace_s
        assert_nothing_lost_or_doubled(system, workload)


def account_reader(system: System, workload: Workload) -> AccountReader:
    holder = workload.holders[0]
    return AccountReader(
        f"http://127.0.0.1:{system.settings.read_api_port}",
        f"/v1/accounts/{holder.accounts['EUR']}",
        holder.headers,
    )

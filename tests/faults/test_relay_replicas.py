"""Three relay processes under a steady mixed workload, the leader killed with SIGKILL again and
again: each time another replica takes over within seconds and continues from the checkpoint,
and once the pipeline has drained every stored event is on the topic, each stream's events first
appear in version order, and the read models match the store (``tests.soak.checks``).

Takeover times are printed: "elected" is from the kill until a survivor reports itself leader
(``ledgerline_relay_leader``), "publishing" until a survivor's published count moved.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from infra.devstack import RunningStack
from tests.faults.relay_replicas import published, the_leader
from tests.faults.test_crashes_and_outages import (
    assert_nothing_lost_or_doubled,
    traffic,
    under_load,
)
from tests.polling import wait_for
from tests.soak.system import relay_replica_names, running_system

pytestmark = pytest.mark.faults

KILLS = 3
# Generous for a loaded 2-core CI machine; measured takeovers are well under a second (the
# waiting replicas try the lock every 0.5 s and PostgreSQL frees it when the socket closes).
TAKEOVER_BOUND_S = 5.0


def test_three_relays_with_the_leader_killed_again_and_again_under_load(
    fault_stack: RunningStack, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    names = relay_replica_names(3)
    elected: list[float] = []
    resumed: list[float] = []
    with running_system(fault_stack, tmp_path, relays=3) as system:
        with under_load(system) as workload:
            for _ in range(KILLS):
                traffic(workload, 40)
                leader = wait_for(lambda: the_leader(system, names), 20, what="one leader")
                assert leader is not None
                survivors = [name for name in names if name != leader]
                before = published(system, survivors)
                killed_at = time.monotonic()
                system.supervisor.kill(leader)
                wait_for(lambda s=survivors: the_leader(system, s), 20, what="a new leader")
                elected.append(time.monotonic() - killed_at)
                wait_for(
                    lambda s=survivors, b=before: any(
                        count > b.get(name, 0.0) for name, count in published(system, s).items()
                    ),
                    20,
                    interval=0.02,
                    what="the new leader to publish",
                )
                resumed.append(time.monotonic() - killed_at)
                system.supervisor.restart(leader)  # back as a replica that waits
            traffic(workload, 40)
        report_line(
            request,
            f"relay takeover after kill -9 ({KILLS} kills, 3 replicas): "
            f"elected {_describe(elected)}; publishing again {_describe(resumed)}",
        )
        assert max(elected) < TAKEOVER_BOUND_S, elected
        assert max(resumed) < TAKEOVER_BOUND_S, resumed
        assert_nothing_lost_or_doubled(system, workload)


def report_line(request: pytest.FixtureRequest, line: str) -> None:
    """Show ``line`` in pytest's output whether the test passes or not (figures to read)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)
    request.node.user_properties.append(("figures", line))


def _describe(seconds: list[float]) -> str:
    each = ", ".join(f"{s:.2f}" for s in seconds)
    return f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s ({each})"

"""SIGTERM handling of the long-running processes (a stop that outlasts its grace period ends
the process anyway, with its own status) and the supervisor's relay replicas."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from infra.settings import Settings
from infra.signals import GRACE_EXCEEDED_EXIT
from infra.supervisor import RELAY_PORT_STRIDE, process_specs
from tests.polling import wait_for

# A worker that sees the stop request but never finishes (a batch stuck on a server).
_STUCK_WORKER = textwrap.dedent(
    """
    import sys, threading
    from infra.signals import stop_event_on_signals
    stop = stop_event_on_signals(grace_s=float(sys.argv[1]))
    print("ready", flush=True)
    stop.wait()
    print("stopping", flush=True)
    threading.Event().wait()
    """
)

_PROMPT_WORKER = textwrap.dedent(
    """
    from infra.signals import stop_event_on_signals
    stop = stop_event_on_signals(grace_s=30.0)
    print("ready", flush=True)
    stop.wait()
    """
)


def _started(script: str, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def test_a_stop_that_outlasts_the_grace_period_ends_the_process_with_its_own_status() -> None:
    process = _started(_STUCK_WORKER, "0.5")
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    wait_for(lambda: process.poll() is not None, 20, what="the process to exit")
    assert process.returncode == GRACE_EXCEEDED_EXIT
    assert time.monotonic() - signalled >= 0.5
    assert process.stdout is not None and "stopping" in process.stdout.read()


def test_a_process_that_stops_within_its_grace_period_exits_normally() -> None:
    process = _started(_PROMPT_WORKER)
    process.send_signal(signal.SIGTERM)
    wait_for(lambda: process.poll() is not None, 20, what="the process to exit")
    assert process.returncode == 0


def test_the_supervisor_runs_relay_replicas_on_ports_a_stride_apart() -> None:
    settings = Settings(relay_metrics_port=9101)
    relays = [spec for spec in process_specs(settings, relays=3) if spec.kind == "relay"]
    assert [spec.name for spec in relays] == ["relay", "relay-2", "relay-3"]
    assert [spec.health_port for spec in relays] == [9101, 9111, 9121]
    assert relays[0].args == ("relay",)
    assert relays[2].args == ("relay", "--metrics-port", str(9101 + 2 * RELAY_PORT_STRIDE))
    assert [s.name for s in process_specs(settings) if s.kind == "relay"] == ["relay"]
    with pytest.raises(ValueError, match="relays"):
        process_specs(settings, relays=0)

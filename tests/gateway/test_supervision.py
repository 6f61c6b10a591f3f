"""The supervisor (as `ledgerline dev run` uses it) starts a gateway that died again."""

from __future__ import annotations

import threading

from tests.gateway.conftest import Gateway
from tests.polling import wait_for


def test_a_killed_gateway_is_started_again_by_the_supervisor(gateway: Gateway) -> None:
    killed_pid = gateway.server.pid()
    stop = threading.Event()
    watcher = threading.Thread(target=gateway.supervisor.supervise, args=(stop,))
    watcher.start()
    try:
        assert gateway.server.kill()
        wait_for(
            lambda: gateway.server.pid() not in (None, killed_pid) and gateway.server.is_ready(),
            30,
            what="the gateway started again",
        )
    finally:
        stop.set()
        watcher.join(30)
    with gateway.client() as client:
        assert client.get("/health/ready").status_code == 200

"""Losing a PostgreSQL server the way a machine is lost: every process of it stops at the same
instant (SIGSTOP to the postmaster and all its backends, then SIGKILL to them all), and
optionally its data directory is deleted.

Why not just ``kill -9`` the postmaster: backends outlive it until they notice, and a backend
waiting for the synchronous standby's acknowledgement gives up when it notices, which makes its
commit visible on the dying server to sessions that are still running there -- something no
real machine loss does. Freezing everything first leaves no such window.
"""

from __future__ import annotations

import contextlib
import shutil
import signal

import psutil

from infra.servers.postgres import PostgresServer
from tests.polling import wait_for


def lose(server: PostgresServer, *, delete_data: bool = False) -> None:
    """Stop every process of ``server`` at once, wait until they are gone, and with
    ``delete_data`` delete its data directory."""
    pid = server.pid()
    assert pid is not None, f"{server.name} is not running"
    postmaster = psutil.Process(pid)
    processes = [postmaster, *postmaster.children(recursive=True)]
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(sig)
    with contextlib.suppress(ChildProcessError):
        server.kill()  # forgets the pid file (and reaps the postmaster if it is our child)

    def alive(process: psutil.Process) -> bool:
        try:
            return bool(process.status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False

    what = f"every process of {server.name} to exit"
    wait_for(lambda: not any(alive(p) for p in processes), 10, what=what)
    if delete_data:
        shutil.rmtree(server.data_dir)

"""Process plumbing shared by the local servers: spawning, pid files, polling, stopping, ports.

Servers run detached (their own session) so that `ledgerline dev up` can exit and leave them
running, and so that `dev down` in another process can find them again through a pid file.
Everything that waits does so by polling a condition against a deadline, never by sleeping a
fixed time and hoping.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import psutil

LOCALHOST = "127.0.0.1"
POLL_INTERVAL_S = 0.05


class DeadlineExceeded(Exception):
    """A polled condition did not become true before its deadline."""


def deadline_in(seconds: float) -> float:
    """A deadline on the monotonic clock, `seconds` from now."""
    return time.monotonic() + seconds


def seconds_left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def poll_until(
    condition: Callable[[], bool],
    deadline: float,
    *,
    interval_s: float = POLL_INTERVAL_S,
    abort: Callable[[], str | None] | None = None,
) -> None:
    """Return once `condition()` is true; raise DeadlineExceeded after `deadline`.

    `abort` is checked before each attempt; a non-None result (a reason) stops the wait early
    with DeadlineExceeded(reason) — used to notice that a server process has already died.
    """
    while True:
        if abort is not None and (reason := abort()) is not None:
            raise DeadlineExceeded(reason)
        if condition():
            return
        if time.monotonic() >= deadline:
            raise DeadlineExceeded("timed out")
        time.sleep(min(interval_s, seconds_left(deadline)))


def spawn(
    argv: Sequence[str],
    log_path: Path,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session with stdout and stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        _log_line(log, "$ " + " ".join(argv))
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            user=user,
            start_new_session=True,
        )


def run_logged(
    argv: Sequence[str],
    log_path: Path,
    *,
    timeout_s: float,
    user: str | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run a short helper command to completion, its output appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        _log_line(log, "$ " + " ".join(argv))
        try:
            completed = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=user,
                env=env,
                timeout=timeout_s,
                check=False,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            _log_line(log, f"timed out after {timeout_s:.0f}s")
            return -1
        return completed.returncode


def _log_line(log: IO[bytes], text: str) -> None:
    log.write(f"[ledgerline] {text}\n".encode())
    log.flush()


def write_pid_file(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(path)


def read_pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def process_alive(pid: int, marker: str) -> bool:
    """Is `pid` a live (non-zombie) process whose command line mentions `marker`?

    The marker (the server's data directory) guards against a stale pid file whose pid has
    since been reused by an unrelated process.
    """
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    # An empty command line means the process is inside execve (a just-spawned child is, for a
    # moment, after Popen returns): it is alive and about to become our server.
    return not cmdline or marker in " ".join(cmdline)


def running_ledgerline_processes(data_dir: Path) -> list[str]:
    """Names of the Ledgerline processes (relay, projectors, APIs...) whose pid files under
    ``data_dir/pids`` belong to a live ``infra.cli`` process."""
    return [
        path.stem
        for path in sorted((data_dir / "pids").glob("*.pid"))
        if (pid := read_pid_file(path)) is not None and process_alive(pid, "infra.cli")
    ]


def wait_gone(pid: int, deadline: float) -> bool:
    """Wait until `pid` has exited (reaping it if it is our child); True if it did."""

    def gone() -> bool:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child, or it lingers as a zombie
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return True
        return _threads_left(pid) <= 1

    try:
        poll_until(gone, deadline)
    except DeadlineExceeded:
        return False
    return True


def _threads_left(pid: int) -> int:
    """Threads of `pid` still listed (its main thread stays listed until it is reaped).

    A multi-threaded process (Go, a JVM) that is killed shows as a zombie as soon as its main
    thread has exited, while its other threads are still exiting and holding its sockets and
    files: a restart at that moment found the ports of a killed Mailpit still taken.
    """
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return 0


def terminate(pid: int, timeout_s: float) -> None:
    """SIGTERM `pid`, wait up to `timeout_s`, then SIGKILL its whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, deadline_in(timeout_s)):
        return
    kill_hard(pid)


def kill_hard(pid: int) -> None:
    """SIGKILL `pid` and, when it leads its own session, every process in its group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    wait_gone(pid, deadline_in(5.0))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that the OS reports as free right now."""
    return free_ports(1)[0]


# Every port free_ports has handed out in this process. The OS may hand out a port again as
# soon as the socket that probed it is closed, so two calls a moment apart could give two
# servers of one test system the same port; the second then fails to bind, and a readiness
# probe of its address is answered by the first (a metrics endpoint answering 501 to a POST
# meant for the write API, in one CI run).
_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports, none of them handed out before by this process (each held
    open while choosing, so none repeats within a call either)."""
    chosen: list[int] = []
    with _HANDED_OUT_LOCK, contextlib.ExitStack() as held:
        while len(chosen) < count:
            sock = held.enter_context(socket.socket())
            sock.bind((LOCALHOST, 0))
            port = int(sock.getsockname()[1])
            if port not in _HANDED_OUT:
                chosen.append(port)
        _HANDED_OUT.update(chosen)
    return chosen


def port_in_use(port: int, host: str = LOCALHOST) -> bool:
    """Would a server fail to bind `host:port`? (SO_REUSEADDR, as servers use it.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def port_accepts(port: int, host: str = LOCALHOST, timeout_s: float = 0.5) -> bool:
    """Does something accept TCP connections on `host:port`?"""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# A leading timestamp (PostgreSQL also adds zone and pid) says nothing about why a start failed.
_TIMESTAMP = re.compile(
    r"^.*?\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\]?(?: [A-Z]{2,5} \[\d+\])? "
)
_ERROR_WORDS = ("FATAL", "PANIC", "ERROR", "error:", "Error", "Exception", "refused", "failed")


def failure_reason(log_path: Path, since_offset: int, default: str, *, first: bool = False) -> str:
    """The most telling line a failed start wrote to its log (after `since_offset`).

    That is the last error-looking line (servers log the fatal one last), or with `first` the
    first one (Maven puts the cause first, then boilerplate about -e and -X).
    """
    try:
        with log_path.open("rb") as log:
            log.seek(since_offset)
            text = _ANSI_ESCAPE.sub("", log.read().decode(errors="replace"))
    except FileNotFoundError:
        return default
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("[ledgerline]") and "GLIBC" not in line
    ]
    # Java and Python put the cause at the top/bottom of a stack trace; skip the frames.
    lines = [line for line in lines if not line.startswith(("at ", "File ", "^", "~"))]
    telling = [line for line in lines if any(word in line for word in _ERROR_WORDS)]
    candidates = telling or lines[-1:] or [default]
    chosen = candidates[0] if first else candidates[-1]
    chosen = _TIMESTAMP.sub("", chosen, count=1)
    return chosen if len(chosen) <= 300 else chosen[:297] + "..."


def log_size(log_path: Path) -> int:
    try:
        return log_path.stat().st_size
    except FileNotFoundError:
        return 0

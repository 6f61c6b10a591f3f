"""The life cycle every local server shares: start (idempotent), readiness, status and stop.

A ``ManagedServer`` owns ``ROOT/<name>/`` (its data), ``ROOT/logs/<name>.log`` and
``ROOT/run/<name>.pid``. Subclasses say how to prepare the data directory, how to launch the
process and how to ask it whether it answers; this class turns every way a start can go wrong
into one ``ServerStartError`` that names the server and its log file.
"""

from __future__ import annotations

import enum
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, ParamSpec, TypeVar

import structlog

from infra.servers.process import (
    LOCALHOST,
    DeadlineExceeded,
    deadline_in,
    failure_reason,
    kill_hard,
    log_size,
    poll_until,
    port_in_use,
    process_alive,
    read_pid_file,
    terminate,
    write_pid_file,
)

log = structlog.get_logger()

P = ParamSpec("P")
R = TypeVar("R")


class ServerStartError(Exception):
    """A local server could not be started; ``str(e)`` is the one line to show a developer."""

    def __init__(self, server: str, log_path: Path, reason: str) -> None:
        super().__init__(f"{server} failed to start: {reason} (log: {log_path})")
        self.server = server
        self.log_path = log_path
        self.reason = reason


class StartOutcome(enum.Enum):
    STARTED = "started"
    ALREADY_RUNNING = "already running"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    log_path: Path
    pid: int | None
    ready: bool

    @property
    def running(self) -> bool:
        return self.pid is not None


class ManagedServer(ABC):
    """One local server process bound to 127.0.0.1, with its data under ``root``."""

    name: str  # class default; an instance may own another directory (PostgresServer)
    start_timeout_s: ClassVar[float] = 30.0
    stop_timeout_s: ClassVar[float] = 20.0
    host: ClassVar[str] = LOCALHOST

    def __init__(self, root: Path, port: int) -> None:
        # Absolute, because the data path is also how we recognise our process (see pid()).
        self.root = root.absolute()
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def data_dir(self) -> Path:
        return self.root / self.name

    @property
    def log_path(self) -> Path:
        return self.root / "logs" / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return self.root / "run" / f"{self.name}.pid"

    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients connect (URL or host:port), as printed by ``dev up``."""

    def ports(self) -> list[int]:
        """Every port the server binds."""
        return [self.port]

    @abstractmethod
    def is_ready(self) -> bool:
        """Does the server answer a real request right now?"""

    @abstractmethod
    def _launch(self, deadline: float) -> int:
        """Start the server process; return the pid to track (and signal on stop)."""

    def _prepare(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Make the data directory usable (first-time initialisation); may be slow once."""

    def _after_ready(self) -> None:  # noqa: B027 - optional hook, empty by default
        """One-off setup that needs the server answering (e.g. create a database)."""

    def _shutdown(self, pid: int, timeout_s: float) -> None:
        terminate(pid, timeout_s)

    def pid(self) -> int | None:
        """The pid of our running server process, from the pid file; None if not running."""
        pid = read_pid_file(self.pid_path)
        if pid is not None and process_alive(pid, str(self.data_dir)):
            return pid
        return None

    def start(self, timeout_s: float | None = None) -> StartOutcome:
        """Start the server, or confirm it is already running and answering."""
        deadline = deadline_in(timeout_s or self.start_timeout_s)
        self._log_offset = log_size(self.log_path)
        if self.pid() is not None:
            self._guarded(self.wait_ready, deadline)
            self._guarded(self._after_ready)
            return StartOutcome.ALREADY_RUNNING
        self.pid_path.unlink(missing_ok=True)
        for port in self.ports():
            if port_in_use(port, self.host):
                raise self._error(f"port {port} on {self.host} is already in use")
        log.debug("server_starting", server=self.name, port=self.port, data_dir=str(self.data_dir))
        try:
            self._guarded(self._prepare)
            # The deadline covers the launch only: a first-time download is not a slow start.
            deadline = deadline_in(timeout_s or self.start_timeout_s)
            self._log_offset = log_size(self.log_path)
            pid = self._guarded(self._launch, deadline)
            write_pid_file(self.pid_path, pid)
            self._guarded(self.wait_ready, deadline)
            self._guarded(self._after_ready)
        except ServerStartError:
            self._abandon()
            raise
        log.debug("server_ready", server=self.name, address=self.address)
        return StartOutcome.STARTED

    def wait_ready(self, deadline: float) -> None:
        """Poll until the server answers; ServerStartError if it dies or the deadline passes."""
        pid = read_pid_file(self.pid_path)

        def died() -> str | None:
            if self._process is not None:  # our own child: its exit status is authoritative
                code = self._process.poll()
                return None if code is None else f"exited with code {code}"
            if pid is not None and not process_alive(pid, str(self.data_dir)):
                return "process exited"
            return None

        try:
            poll_until(self.is_ready, deadline, abort=died)
        except DeadlineExceeded as exc:
            if str(exc) == "timed out":
                raise self._error(f"no answer on port {self.port} before the deadline") from None
            raise self._error(f"{self._reason_from_log(str(exc))} ({exc})") from None

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop the server by pid; True if it was running."""
        pid = self.pid()
        if pid is not None:
            log.debug("server_stopping", server=self.name, pid=pid)
            self._shutdown(pid, timeout_s or self.stop_timeout_s)
        if self._process is not None:
            self._process.poll()  # reaped already by _shutdown; lets Popen notice
            self._process = None
        self.pid_path.unlink(missing_ok=True)
        return pid is not None

    def kill(self) -> bool:
        """SIGKILL the server, as a crash would, and wait until it has exited (a restart may
        then use the same data); True if it was running."""
        pid = self.pid()
        if pid is not None:
            log.debug("server_killing", server=self.name, pid=pid)
            kill_hard(pid)
        if self._process is not None:
            self._process.poll()
            self._process = None
        self.pid_path.unlink(missing_ok=True)
        return pid is not None

    def status(self) -> ServerStatus:
        pid = self.pid()
        ready = pid is not None and self.is_ready()
        return ServerStatus(self.name, self.address, self.log_path, pid, ready)

    def _abandon(self) -> None:
        """Clean up after a failed start so nothing half-started keeps running."""
        pid = read_pid_file(self.pid_path)
        if pid is None and self._process is not None:
            pid = self._process.pid
        if pid is not None and process_alive(pid, str(self.data_dir)):
            self._shutdown(pid, 5.0)
        if self._process is not None:
            self._process.poll()
            self._process = None
        self.pid_path.unlink(missing_ok=True)

    def _reason_from_log(self, default: str, *, first: bool = False) -> str:
        return failure_reason(self.log_path, self._log_offset, default, first=first)

    def _error(self, reason: str) -> ServerStartError:
        return ServerStartError(self.name, self.log_path, reason)

    def _guarded(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a start step, turning any unexpected failure into a ServerStartError."""
        try:
            return step(*args, **kwargs)
        except ServerStartError:
            raise
        except Exception as exc:
            raise self._error(f"{type(exc).__name__}: {exc}") from exc

"""Local Elasticsearch 8.19: one real single-node cluster on 127.0.0.1, from Maven Central.

The node is the ``integ-test-zip`` distribution (``org.elasticsearch.distribution.integ-test-zip``),
fetched once with Maven and unpacked into a cache directory keyed by version; later starts reuse
it. It is a minimal build: no ``GET /`` (so the clients' ``ping()`` and ``info()`` fail; use
``cluster.health()``), no ``_delete_by_query``/``_update_by_query``/``_reindex``, no painless, no
language analyzers. It runs on the machine's JDK 17.

The unpacked node (its "home") is shared and only read. Everything a node writes lives in its
data directory, ``ROOT/elasticsearch``: ``config/`` (a copy of the home's, with our
``jvm.options``, so that the keystore the node creates and its GC log stay per node), ``data/``,
``logs/`` and ``tmp/``.

Elasticsearch refuses to run as root. As root we run it as uid/gid 65534 (``setpriv``), which
must be able to read the home and own the data directory, through parents it can traverse.
Root's home directory is private (mode 700) on our machines, so as root the home lives under
``/var/tmp/ledgerline`` rather than ``~/.cache``; ``ROOT`` itself is made traversable (the test
roots come from ``mkdtemp``, mode 700); and when a parent of ``ROOT`` is not traversable (a clone
under ``/root``), the data directory moves to ``/var/tmp/ledgerline/nodes/`` with a log line
saying so.

``bin/elasticsearch`` runs a small launcher JVM (the CLI), which starts the server JVM as its
child and exits when it does. We track and signal the server JVM: SIGTERM stops it cleanly,
SIGKILL is a crash. It is recognised (``pid()``) by the data directory in its command line,
which our ``jvm.options`` put there (``java.io.tmpdir``, the GC log).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
import urllib.request
import zipfile
from pathlib import Path

import psutil
import structlog

from infra.servers.base import ManagedServer
from infra.servers.kafka import DOWNLOAD_TIMEOUT_S, default_cache_dir
from infra.servers.process import (
    DeadlineExceeded,
    deadline_in,
    kill_hard,
    poll_until,
    process_alive,
    run_logged,
    spawn,
    terminate,
    wait_gone,
)

log = structlog.get_logger()

ELASTICSEARCH_VERSION = "8.19.0"
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
# Where root keeps the node: every parent traversable, unlike root's own home directory.
SHARED_CACHE_DIR = Path("/var/tmp/ledgerline")
# nobody:nogroup on Debian; Elasticsearch only needs an unprivileged uid, not a named user.
NODE_UID = 65534
NODE_GID = 65534
SERVER_MAIN_CLASS = "org.elasticsearch.bootstrap.Elasticsearch"  # in "-m module/class"
_FATAL_MARKER = "fatal exception while booting Elasticsearch"
# C1 only: measured here, a start to yellow takes half the CPU (about 5 s instead of 10 s) and
# short runs are faster, while a warm node answers queries about 1.5 x slower (p50 5.1 against
# 3.4 ms at 200,000 documents) and bulk-loads about 15 % slower than with the full JIT.
_QUICK_JIT = "-XX:TieredStopAtLevel=1"


def running_as_root() -> bool:
    return os.geteuid() == 0


def node_cache_dir() -> Path:
    """Where the unpacked node lives: for root, a directory uid 65534 can reach."""
    return SHARED_CACHE_DIR if running_as_root() else default_cache_dir()


def java_home() -> Path | None:
    """The JDK of the ``java`` on PATH (``readlink -f $(which java)``, up two levels)."""
    java = shutil.which("java")
    return None if java is None else Path(java).resolve().parent.parent


def untraversable_parent(path: Path) -> Path | None:
    """The first existing parent of ``path`` that other users cannot enter, if any."""
    for parent in path.absolute().parents:
        try:
            mode = parent.stat().st_mode
        except FileNotFoundError:
            continue  # created later by us, with the usual 755
        if not mode & stat.S_IXOTH:
            return parent
    return None


class ElasticsearchServer(ManagedServer):
    """A single-node Elasticsearch with security off, data under ``ROOT/elasticsearch``.

    ``quick_start`` runs the server JVM with the C1 compiler only (see ``_QUICK_JIT``): for test
    sessions, which start nodes often, some of them under load, and query them little.
    """

    name = "elasticsearch"
    # The JVM takes 4-13 s to reach yellow here; far more while other JVMs start beside it.
    start_timeout_s = 120.0
    stop_timeout_s = 30.0

    def __init__(
        self,
        root: Path,
        port: int,
        transport_port: int,
        *,
        cache_dir: Path | None = None,
        version: str = ELASTICSEARCH_VERSION,
        heap: str = "512m",
        quick_start: bool = False,
    ) -> None:
        super().__init__(root, port)
        self.transport_port = transport_port
        self.cache_dir = cache_dir or node_cache_dir()
        self.version = version
        self.heap = heap
        self.quick_start = quick_start
        self._moved_because: str | None = None
        self._data_dir = self._choose_data_dir()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def home(self) -> Path:
        """The unpacked distribution (read only; shared by every node of this version)."""
        return self.cache_dir / f"elasticsearch-{self.version}"

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    def _choose_data_dir(self) -> Path:
        own = self.root / self.name
        if not running_as_root():
            return own
        # ROOT itself is ours to open up (see _open_up_path); its parents are not.
        blocked = untraversable_parent(self.root)
        if blocked is None:
            return own
        self._moved_because = f"{blocked} is not traversable by uid {NODE_UID}, which runs the node"
        digest = hashlib.sha256(str(own).encode()).hexdigest()[:16]
        return self.cache_dir / "nodes" / digest / self.name

    def ports(self) -> list[int]:
        return [self.port, self.transport_port]

    def is_ready(self) -> bool:
        # The minimal build has no GET /; health is the cheapest real request it serves.
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                body = json.load(response)
        except (OSError, ValueError):
            return False  # HTTPError (408 while red) is an OSError too
        return isinstance(body, dict) and body.get("status") in ("yellow", "green")

    def ensure_node(self) -> Path:
        """Download and unpack the node into the cache unless it is already there."""
        if self.home.is_dir():
            return self.home
        mvn = shutil.which("mvn")
        if mvn is None:
            raise self._error("Elasticsearch is not cached and Maven (mvn) is not installed")
        # Unpack beside the final place and rename: a home that exists is complete.
        partial = self.home.with_name(f"{self.home.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if running_as_root():
            _make_traversable(self.cache_dir)
        log.info("elasticsearch_downloading", version=self.version, into=str(self.home))
        argv = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            f"{MAVEN_DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={ARTIFACT.format(version=self.version)}",
            f"-DoutputDirectory={partial}",
        ]
        if run_logged(argv, self.log_path, timeout_s=DOWNLOAD_TIMEOUT_S) != 0:
            shutil.rmtree(partial, ignore_errors=True)
            reason = self._reason_from_log("see log", first=True)
            raise self._error(
                f"downloading Elasticsearch {self.version} with Maven failed: {reason}"
            )
        try:
            _unzip(partial / f"elasticsearch-{self.version}.zip", partial)
            (partial / f"elasticsearch-{self.version}").rename(self.home)
        except OSError:
            if not self.home.is_dir():
                raise
            # Another process unpacked the same version first; theirs is as good as ours.
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return self.home

    def _prepare(self) -> None:
        if java_home() is None:
            raise self._error("java is not installed (Elasticsearch needs Java 17+)")
        if running_as_root() and shutil.which("setpriv") is None:
            raise self._error("setpriv (util-linux) is needed to run Elasticsearch as uid 65534")
        self.ensure_node()
        if running_as_root() and (blocked := untraversable_parent(self.home)) is not None:
            raise self._error(f"uid {NODE_UID} cannot reach {self.home}: {blocked} is private")
        if self._moved_because is not None:
            log.warning(
                "elasticsearch_data_dir_moved",
                reason=self._moved_because,
                wanted=str(self.root / self.name),
                data_dir=str(self.data_dir),
            )
        for directory in (self._config_dir, self._data_path, self._logs_path, self._tmp_path):
            directory.mkdir(parents=True, exist_ok=True)
        # The home's configuration; the keystore the node creates stays in this copy.
        shutil.copytree(self.home / "config", self._config_dir, dirs_exist_ok=True)
        (self._config_dir / "jvm.options").write_text(self._jvm_options())
        if running_as_root():
            self._open_up_path()
            self._hand_over_to_node_user()

    def _open_up_path(self) -> None:
        """Let uid 65534 through (o+x only: no listing) the directories we made on the way to
        its data directory: ROOT (``mkdtemp`` makes it 700), or those under the cache."""
        base = self.root if self.data_dir.is_relative_to(self.root) else self.cache_dir
        for directory in self.data_dir.parents:
            _make_traversable(directory)
            if directory == base:
                break

    def _hand_over_to_node_user(self) -> None:
        for directory in (self.data_dir, self._data_path, self._logs_path, self._tmp_path):
            os.chown(directory, NODE_UID, NODE_GID)
        for path in (self._config_dir, *self._config_dir.rglob("*")):
            os.chown(path, NODE_UID, NODE_GID)

    def _launch(self, deadline: float) -> int:
        argv = [str(self.home / "bin" / "elasticsearch"), *self._settings_arguments()]
        if running_as_root():
            argv = [
                "setpriv",
                f"--reuid={NODE_UID}",
                f"--regid={NODE_GID}",
                "--clear-groups",
                *argv,
            ]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir, env=self._environment())
        return self._server_pid(self._process.pid, deadline)

    def _server_pid(self, launcher: int, deadline: float) -> int:
        """The server JVM that the launcher JVM starts as its child, once it exists."""
        found: list[int] = []

        def started() -> bool:
            try:
                children = psutil.Process(launcher).children(recursive=True)
            except psutil.NoSuchProcess:
                return False
            for child in children:
                try:
                    if SERVER_MAIN_CLASS in " ".join(child.cmdline()):
                        found.append(child.pid)
                        return True
                except psutil.Error:
                    continue
            return False

        def launcher_exited() -> str | None:
            code = self._process.poll() if self._process is not None else None
            return None if code is None else f"exited with code {code}"

        try:
            poll_until(started, deadline, interval_s=0.1, abort=launcher_exited)
        except DeadlineExceeded as exc:
            if str(exc) == "timed out":
                raise self._error("the server JVM did not start before the deadline") from None
            raise self._error(f"{self._reason_from_log(str(exc))} ({exc})") from None
        return found[0]

    def _shutdown(self, pid: int, timeout_s: float) -> None:
        launcher = _session_leader(pid)
        if launcher is None or not process_alive(launcher, str(self.data_dir)):
            terminate(pid, timeout_s)  # on its own: SIGTERM closes the node too
            return
        # SIGTERM to the launcher: it asks the server to close the node and both exit cleanly
        # (a SIGTERM to the server works as well, but the launcher then reports exit code 143
        # as an unexpected exit).
        with contextlib.suppress(ProcessLookupError):
            os.kill(launcher, signal.SIGTERM)
        if not wait_gone(pid, deadline_in(timeout_s)):
            kill_hard(pid)
        self._wait_for_launcher(launcher)

    def kill(self) -> bool:
        """SIGKILL the server JVM, as a crash would, and wait until it and its launcher have
        exited (a restart may then use the same data); True if it was running."""
        pid = self.pid()
        if pid is not None:
            log.debug("server_killing", server=self.name, pid=pid)
            launcher = _session_leader(pid)
            kill_hard(pid)  # the server alone: the launcher leads the session, and follows it
            self._wait_for_launcher(launcher)
        if self._process is not None:
            self._process.poll()  # reaped already; lets Popen notice
            self._process = None
        self.pid_path.unlink(missing_ok=True)
        return pid is not None

    def _wait_for_launcher(self, launcher: int | None) -> None:
        """The launcher exits once the server has; make sure (a restart must find the data
        directory and the ports free, and no half-stopped launcher behind)."""
        if launcher is not None and not wait_gone(launcher, deadline_in(10.0)):
            kill_hard(launcher)

    def _settings_arguments(self) -> list[str]:
        settings = {
            "discovery.type": "single-node",
            "xpack.security.enabled": "false",
            "network.host": self.host,
            "http.port": str(self.port),
            "transport.port": str(self.transport_port),
            "path.data": str(self._data_path),
            "path.logs": str(self._logs_path),
            # A full developer disk must not turn the indices read-only under a test.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        return [f"-E{key}={value}" for key, value in settings.items()]

    def _environment(self) -> dict[str, str]:
        ignored = {"JAVA_HOME", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "ES_PATH_CONF"}
        env = {key: value for key, value in os.environ.items() if key not in ignored}
        env.update(
            ES_JAVA_HOME=str(java_home()),
            ES_JAVA_OPTS=f"-Xms{self.heap} -Xmx{self.heap}",
            ES_PATH_CONF=str(self._config_dir),
            ES_TMPDIR=str(self._tmp_path),
            # The launcher's speed does not matter once the server runs; its start-up does.
            CLI_JAVA_OPTS=_QUICK_JIT,
        )
        return env

    def _jvm_options(self) -> str:
        # The distribution's options with absolute paths: its relative ones resolve against
        # the shared home, which the node must not write to.
        return (
            "# Written by infra/servers/elasticsearch.py on every start; edits are overwritten.\n"
            "-XX:+UseG1GC\n"
            "-Djava.io.tmpdir=${ES_TMPDIR}\n"
            "20-:--add-modules=jdk.incubator.vector\n"
            "23:-XX:CompileCommand=dontinline,java/lang/invoke/MethodHandle.setAsTypeCache\n"
            "23:-XX:CompileCommand=dontinline,java/lang/invoke/MethodHandle.asTypeUncached\n"
            "-XX:+HeapDumpOnOutOfMemoryError\n"
            "-XX:+ExitOnOutOfMemoryError\n"
            f"-XX:HeapDumpPath={self._tmp_path}\n"
            f"-XX:ErrorFile={self._logs_path}/hs_err_pid%p.log\n"
            f"-Xlog:gc*,gc+age=trace,safepoint:file={self._logs_path}/gc.log"
            ":utctime,level,pid,tags:filecount=4,filesize=16m\n"
            + (f"{_QUICK_JIT}\n" if self.quick_start else "")
        )

    def _reason_from_log(self, default: str, *, first: bool = False) -> str:
        # The server names the cause on one line ("fatal exception while booting ...
        # BindTransportException: Failed to bind to ..."); the launcher's last line does not.
        reason = super()._reason_from_log(default, first=first)
        try:
            with self.log_path.open("rb") as text:
                text.seek(self._log_offset)
                lines = text.read().decode(errors="replace").splitlines()
        except FileNotFoundError:
            return reason
        for line in lines:
            if _FATAL_MARKER in line:
                cause = line.split(_FATAL_MARKER, 1)[1].strip()
                return cause[:297] + "..." if len(cause) > 300 else cause
        return reason

    @property
    def _config_dir(self) -> Path:
        return self.data_dir / "config"

    @property
    def _data_path(self) -> Path:
        return self.data_dir / "data"

    @property
    def _logs_path(self) -> Path:
        return self.data_dir / "logs"

    @property
    def _tmp_path(self) -> Path:
        return self.data_dir / "tmp"


def _make_traversable(directory: Path) -> None:
    mode = directory.stat().st_mode
    if not mode & stat.S_IXOTH:
        directory.chmod(stat.S_IMODE(mode) | stat.S_IXGRP | stat.S_IXOTH)


def _session_leader(pid: int) -> int | None:
    """The process that leads ``pid``'s session (for the server JVM: its launcher)."""
    try:
        leader = os.getsid(pid)
    except ProcessLookupError:
        return None
    return leader if leader != pid else None


def _unzip(archive: Path, into: Path) -> None:
    """Extract ``archive`` keeping each file's Unix mode (zipfile drops them: bin/ must stay
    executable)."""
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            extracted = Path(zipped.extract(member, into))
            mode = (member.external_attr >> 16) & 0o777
            if mode:
                extracted.chmod(mode)

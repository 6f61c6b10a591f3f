"""Local Apache Kafka 4.x: one KRaft node (broker + controller) on 127.0.0.1, from Maven jars.

The jars come from Maven Central through ``infra/kafka/pom.xml``: the first start runs
``mvn dependency:copy-dependencies`` into a cache directory outside the git tree (default
``~/.cache/ledgerline/kafka-<version>/libs-<pom digest>``); later starts reuse it. The KRaft
log directory is formatted once as a standalone (single-voter) dynamic quorum.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import uuid
from pathlib import Path

import platformdirs
import structlog
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from infra.servers.base import ManagedServer
from infra.servers.process import port_accepts, run_logged, spawn

log = structlog.get_logger()

KAFKA_VERSION = "4.4.0"
POM_PATH = Path(__file__).resolve().parent.parent / "kafka" / "pom.xml"
DOWNLOAD_TIMEOUT_S = 900.0


def default_cache_dir() -> Path:
    """Where downloaded server artefacts live: the XDG cache (``~/.cache/ledgerline``)."""
    return platformdirs.user_cache_path("ledgerline")


def new_cluster_id() -> str:
    """A KRaft cluster id, made as Kafka's ``Uuid.randomUuid()`` makes them (saves a JVM run)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaServer(ManagedServer):
    """A single-node Kafka whose topics have replication factor 1."""

    name = "kafka"
    start_timeout_s = 90.0
    stop_timeout_s = 30.0

    def __init__(
        self,
        root: Path,
        port: int,
        controller_port: int,
        *,
        cache_dir: Path | None = None,
        version: str = KAFKA_VERSION,
        partitions: int = 6,
        heap: str = "512m",
    ) -> None:
        super().__init__(root, port)
        self.controller_port = controller_port
        self.cache_dir = cache_dir or default_cache_dir()
        self.version = version
        self.partitions = partitions
        self.heap = heap

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return self.bootstrap_servers

    @property
    def libs_dir(self) -> Path:
        # Keyed by the POM's content too, so editing the POM (say, a logging jar) re-downloads.
        pom_digest = hashlib.sha256(POM_PATH.read_bytes()).hexdigest()[:12]
        return self.cache_dir / f"kafka-{self.version}" / f"libs-{pom_digest}"

    def ports(self) -> list[int]:
        return [self.port, self.controller_port]

    def is_ready(self) -> bool:
        if not port_accepts(self.port, self.host):
            return False
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                client_id="ledgerline-readiness",
                request_timeout_ms=3000,
                bootstrap_timeout_ms=3000,
            )
        except KafkaError:
            return False
        try:
            admin.list_topics()
        except KafkaError:
            return False
        finally:
            admin.close()
        return True

    def ensure_jars(self) -> Path:
        """Download Kafka's jars into the cache unless they are already there."""
        if self.libs_dir.is_dir():
            return self.libs_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise self._error("Kafka jars are not cached and Maven (mvn) is not installed")
        # Download beside the final place and rename: a cache dir that exists is complete.
        partial = self.libs_dir.with_name(f"libs.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        log.info("kafka_jars_downloading", version=self.version, into=str(self.libs_dir))
        argv = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM_PATH),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial}",
            "-DincludeScope=runtime",
            f"-Dkafka.version={self.version}",
        ]
        if run_logged(argv, self.log_path, timeout_s=DOWNLOAD_TIMEOUT_S) != 0:
            shutil.rmtree(partial, ignore_errors=True)
            reason = self._reason_from_log("see log", first=True)
            raise self._error(f"downloading Kafka {self.version} with Maven failed: {reason}")
        try:
            partial.rename(self.libs_dir)
        except OSError:
            # Another process finished the same download first; theirs is as good as ours.
            shutil.rmtree(partial, ignore_errors=True)
        return self.libs_dir

    def _prepare(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise self._error("java is not installed (Kafka needs Java 17+)")
        self.ensure_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._properties_path.write_text(self._server_properties())
        self._log4j_path.write_text(_LOG4J2_PROPERTIES)
        if (self._log_dirs / "meta.properties").exists():
            return
        argv = [
            *self._java_argv(java),
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            new_cluster_id(),
            "-c",
            str(self._properties_path),
        ]
        if run_logged(argv, self.log_path, timeout_s=120) != 0:
            raise self._error(f"formatting the KRaft log dir failed: {self._reason_from_log('')}")

    def _launch(self, deadline: float) -> int:
        java = shutil.which("java") or "java"
        argv = [*self._java_argv(java), "kafka.Kafka", str(self._properties_path)]
        self._process = spawn(argv, self.log_path, cwd=self.data_dir)
        return self._process.pid

    def _java_argv(self, java: str) -> list[str]:
        return [
            java,
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self._log4j_path}",
            # The JVM expands the wildcard itself; no shell is involved.
            "-cp",
            f"{self.libs_dir}/*",
        ]

    @property
    def _properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _log4j_path(self) -> Path:
        return self.data_dir / "log4j2.properties"

    @property
    def _log_dirs(self) -> Path:
        return self.data_dir / "data"

    def _server_properties(self) -> str:
        plain = f"PLAINTEXT://{self.host}:{self.port}"
        controller = f"CONTROLLER://{self.host}:{self.controller_port}"
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{self.host}:{self.controller_port}",
            "listeners": f"{plain},{controller}",
            "advertised.listeners": f"{plain},{controller}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self._log_dirs),
            "num.partitions": str(self.partitions),
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            # A single node has nobody to wait for; the default delays every first join by 3s.
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
        }
        header = "# Written by infra/servers/kafka.py on every start; edits are overwritten.\n"
        return header + "".join(f"{key}={value}\n" for key, value in settings.items())


# Kafka logs to stdout (our log file); INFO shows the start-up, the rest is kept quiet.
_LOG4J2_PROPERTIES = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
"""

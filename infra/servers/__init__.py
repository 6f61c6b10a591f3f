"""Local servers for development and tests: PostgreSQL, Kafka, MongoDB protocol, Elasticsearch,
Mailpit, Redis, Jaeger, the NGINX gateway (with its development CA and its metrics exporter) and
Prometheus. ``go_programs`` builds the ones written in Go.

One module per server; ``base`` holds the shared life cycle and ``process`` the plumbing.
``infra.devstack`` composes them into the stack that ``ledgerline dev up`` starts.
"""

from infra.servers.base import ManagedServer, ServerStartError, ServerStatus, StartOutcome
from infra.servers.elasticsearch import ElasticsearchServer
from infra.servers.jaeger import JaegerServer
from infra.servers.kafka import KafkaServer
from infra.servers.mailpit import MailpitServer
from infra.servers.mongo import MongoServer
from infra.servers.nginx import NginxServer
from infra.servers.nginx_config import GatewayGuard
from infra.servers.nginx_exporter import NginxExporterServer
from infra.servers.postgres import PostgresServer
from infra.servers.process import free_port, free_ports
from infra.servers.prometheus import PrometheusServer
from infra.servers.redis import RedisServer

__all__ = [
    "ElasticsearchServer",
    "GatewayGuard",
    "JaegerServer",
    "KafkaServer",
    "MailpitServer",
    "ManagedServer",
    "MongoServer",
    "NginxExporterServer",
    "NginxServer",
    "PostgresServer",
    "PrometheusServer",
    "RedisServer",
    "ServerStartError",
    "ServerStatus",
    "StartOutcome",
    "free_port",
    "free_ports",
]

"""Prometheus on a whole running system, as ``ledgerline dev run`` starts it: two instances of each
API, the relay, both projectors and the notifier as OS processes, the gateway with its exporter,
and Prometheus scraping every one of them from a configuration made from the running processes.
Everything is checked through Prometheus's HTTP API; and the Grafana dashboard may use only
metric names these processes export."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MailpitServer,
    MongoServer,
    PostgresServer,
    PrometheusServer,
    RedisServer,
)
from infra.servers.prometheus import promtool_binary
from infra.settings import Settings
from infra.supervisor import Supervisor
from tests.gateway.conftest import system_behind_gateway
from tests.polling import wait_for

DASHBOARD = Path(__file__).resolve().parents[2] / "infra" / "grafana" / "ledgerline-dashboard.json"
EXPECTED_TARGETS = {
    ("write-api", "write-api"),
    ("write-api", "write-api-2"),
    ("read-api", "read-api"),
    ("read-api", "read-api-2"),
    ("relay", "relay"),
    ("projector-mongo", "projector-mongo"),
    ("projector-search", "projector-search"),
    ("notifier", "notifier"),
    ("gateway", "gateway"),
}


@dataclass
class Monitored:
    settings: Settings
    supervisor: Supervisor
    prometheus: PrometheusServer

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector."""
        url = f"{self.prometheus.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.prometheus.url}{path}", timeout=10) as response:
            return json.load(response)["data"]

    def metrics_pages(self) -> list[str]:
        """The /metrics page of every target, as Prometheus scrapes them."""
        pages = []
        for target in self.api("/api/v1/targets")["activeTargets"]:
            with urllib.request.urlopen(target["scrapeUrl"], timeout=10) as response:
                pages.append(response.read().decode())
        return pages


@pytest.fixture(scope="module")
def monitored(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
    mailpit_server: MailpitServer,
) -> Iterator[Monitored]:
    with system_behind_gateway(
        postgres_server,
        kafka_server,
        mongo_server,
        elasticsearch_server,
        redis_server,
        processes=None,
        prometheus=True,
        smtp_port=mailpit_server.port,
    ) as system:
        assert system.supervisor.prometheus is not None
        yield Monitored(system.settings, system.supervisor, system.supervisor.prometheus)
    assert all(server.pid() is None for server in system.supervisor.servers)


def test_prometheus_scrapes_every_process_and_the_gateway_and_each_is_up(
    monitored: Monitored,
) -> None:
    def every_target_up() -> list[dict[str, Any]] | None:
        result = monitored.query("up")
        seen = {(r["metric"]["job"], r["metric"]["process"]) for r in result}
        if seen != EXPECTED_TARGETS or any(r["value"][1] != "1" for r in result):
            return None
        return result

    result = wait_for(every_target_up, 60, interval=0.5, what="every target up == 1")

    assert len(result) == len(EXPECTED_TARGETS)
    assert all(r["metric"]["instance"].startswith("127.0.0.1:") for r in result)
    [gateway] = monitored.query('nginx_up{job="gateway"}')
    assert gateway["value"][1] == "1"


def test_prometheus_loaded_every_alert_rule_and_none_fires_on_a_healthy_system(
    monitored: Monitored,
) -> None:
    rules_file = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "infra" / "prometheus" / "alerts.yml").read_text()
    )
    expected = {rule["alert"] for group in rules_file["groups"] for rule in group["rules"]}
    groups = monitored.api("/api/v1/rules")["groups"]
    loaded = {rule["name"] for group in groups for rule in group["rules"]}
    assert loaded == expected
    # Evaluated at least once, and healthy: no alert even pending.
    wait_for(
        lambda: all(
            rule.get("lastEvaluation", "").startswith("20")
            for g in monitored.api("/api/v1/rules")["groups"]
            for rule in g["rules"]
        ),
        30,
        interval=0.5,
        what="a first evaluation of every rule",
    )
    assert monitored.api("/api/v1/alerts")["alerts"] == []


# -- the Grafana dashboard -------------------------------------------------------------------

_TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)$", re.MULTILINE)
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "untyped": ("",),
    "info": ("_info",),
}


def exported_names(pages: list[str]) -> set[str]:
    """Every sample name the pages can carry: each family's ``# TYPE`` line (present even before
    a labelled family has its first sample) expanded by its type's suffixes."""
    names = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}  # Prometheus adds these
    for page in pages:
        for family, kind in _TYPE_LINE.findall(page):
            base = family.removesuffix("_total") if kind == "counter" else family
            names.update(base + suffix for suffix in _SUFFIXES.get(kind, ("",)))
    return names


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?")
_KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "atan2",
}


def metric_names(promql: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions,
    keywords, label names (inside matchers or grouping lists) or parts of strings and ranges."""
    text = _STRINGS.sub('""', promql)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _LABEL_LISTS.sub(" ", text)
    return {
        name
        for name, call in _IDENTIFIER.findall(text)
        if not call and name.lower() not in _KEYWORDS
    }


def test_the_name_extraction_skips_functions_labels_and_keywords() -> None:
    expression = (
        'histogram_quantile(0.99, sum by (le, job) (rate(a_bucket{job="x", le!="1"}[5m])))'
        " / on (job) group_left (process) b_total > bool 0.5 unless c offset 5m"
    )
    assert metric_names(expression) == {"a_bucket", "b_total", "c"}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_dashboard_expression_is_valid_promql() -> None:
    # promtool checks rule files; each expression becomes a recording rule there.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:expression_{n}", "expr": expr}
                    for n, expr in enumerate(dashboard_expressions())
                ],
            }
        ]
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as rules_file:
        rules_file.write(json.dumps(rules))
        rules_file.flush()
        checked = subprocess.run(
            [str(promtool_binary()), "check", "rules", rules_file.name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_metric_the_dashboard_uses_is_exported_by_a_process(monitored: Monitored) -> None:
    pages = monitored.metrics_pages()
    # The rebuild's gauges live in the operator's `projections rebuild --metrics-port` process,
    # which is not part of a running system: read them from the module that defines them.
    from prometheus_client import REGISTRY, generate_latest

    import infra.cli.progress  # noqa: F401 - registers the rebuild gauges

    pages.append(generate_latest(REGISTRY).decode())
    exported = exported_names(pages)

    used = {name for expr in dashboard_expressions() for name in metric_names(expr)}

    assert used, "no metric names found in the dashboard"
    assert sorted(used - exported) == []

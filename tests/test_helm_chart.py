"""The Helm chart (infra/helm/ledgerline) as CI checks it: ``helm lint``, ``helm template`` with
the default values and with values-ha.yaml, ``kubeconform -strict`` on the output against the
Kubernetes and KEDA schemas; and against the code: every variable is a real setting that yields
valid production Settings, every container runs a real CLI command, the processes and settings
are the compose file's, consumer groups are the ones the code joins, pods are hardened and
probed on the ports the processes listen on, the gateway's NGINX config is the renderer's.

Helm, kubeconform and the schemas come from the cache ``ledgerline dev fetch`` fills on install.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.servers.dev_ca import DevCA
from infra.servers.kubernetes_schemas import SCHEMA_LOCATION, ensure_chart_tools
from infra.servers.nginx import nginx_binary
from infra.servers.nginx_chart import CHART_DIR, CHART_NGINX_CONF, render_for_chart
from infra.supervisor import process_specs
from projections.notifier.service import notifier_group_id
from projections.process import projector_group_id
from tests.deployment_files import (
    COMPOSE_FILE,
    LEDGERLINE_PROCESSES,
    MIGRATION_COMMAND,
    is_cli_command,
    setting_names,
    settings_from,
)

HA_VALUES = CHART_DIR / "values-ha.yaml"
RELEASE = "ledgerline"
Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def tools() -> dict[str, Path]:
    return ensure_chart_tools()


def helm(tools: dict[str, Path], *args: str) -> str:
    completed = subprocess.run(
        [str(tools["helm"]), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def render(tools: dict[str, Path], *values: Path) -> str:
    files = [argument for path in values for argument in ("--values", str(path))]
    return helm(tools, "template", RELEASE, str(CHART_DIR), "--namespace", "payments", *files)


@pytest.fixture(scope="module", params=["default", "ha"])
def rendered(request: pytest.FixtureRequest, tools: dict[str, Path]) -> str:
    return render(tools, *([HA_VALUES] if request.param == "ha" else []))


@pytest.fixture(scope="module")
def manifests(rendered: str) -> list[Manifest]:
    return [document for document in yaml.safe_load_all(rendered) if document]


def kubeconform(tools: dict[str, Path], manifests: str) -> dict[str, Any]:
    location = f"{tools['kubernetes-schemas']}/{SCHEMA_LOCATION}"
    completed = subprocess.run(
        [
            str(tools["kubeconform"]),
            "-strict",
            "-summary",
            "-verbose",
            "-output",
            "json",
            "-schema-location",
            location,
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    result["returncode"] = completed.returncode
    return result


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def component(manifest: Manifest) -> str:
    return str(manifest["metadata"]["labels"]["app.kubernetes.io/component"])


def ledgerline_pods(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(component, pod spec) of every Deployment and Job."""
    for manifest in manifests:
        if manifest["kind"] in ("Deployment", "Job"):
            yield component(manifest), manifest["spec"]["template"]["spec"]


def chart_environment(manifests: list[Manifest]) -> dict[str, str]:
    """The settings ConfigMap's and Secret's variables, as every process gets them."""
    settings = of_kind(manifests, "ConfigMap")[f"{RELEASE}-settings"]["data"]
    secret = of_kind(manifests, "Secret")[f"{RELEASE}-secrets"]["data"]
    decoded = {key: base64.b64decode(value).decode() for key, value in secret.items()}
    return {key: str(value) for key, value in settings.items()} | decoded


def test_helm_lint_passes_with_the_default_and_the_ha_values(tools: dict[str, Path]) -> None:
    for values in ([], ["--values", str(HA_VALUES)]):
        output = helm(tools, "lint", "--strict", str(CHART_DIR), *values)
        assert "1 chart(s) linted, 0 chart(s) failed" in output


def test_the_rendered_manifests_conform_to_the_kubernetes_and_keda_schemas(
    tools: dict[str, Path], rendered: str, manifests: list[Manifest]
) -> None:
    result = kubeconform(tools, rendered)

    assert result["returncode"] == 0, result
    assert result["summary"]["valid"] == len(manifests)
    checked = {(r["kind"], r["name"]) for r in result["resources"] if r["status"] == "statusValid"}
    assert checked == {(m["kind"], m["metadata"]["name"]) for m in manifests}


def test_kubeconform_refuses_an_unknown_field_and_a_wrong_type(tools: dict[str, Path]) -> None:
    rendered = render(tools, HA_VALUES)
    unknown_field = rendered.replace("revisionHistoryLimit: 5", "revisionHistoryLimits: 5", 1)
    wrong_type = rendered.replace("minReplicaCount: 2", "minReplicaCount: two", 1)

    for broken, reason in [(unknown_field, "revisionHistoryLimits"), (wrong_type, "integer")]:
        result = kubeconform(tools, broken)
        assert result["returncode"] == 1
        assert [r["status"] for r in result["resources"]].count("statusInvalid") == 1
        assert any(reason in r["msg"] for r in result["resources"])


def test_every_variable_is_a_real_setting_and_yields_valid_production_settings(
    manifests: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = chart_environment(manifests)
    for _, pod in ledgerline_pods(manifests):
        for container in pod["containers"]:
            for variable in container.get("env", []):
                environment[variable["name"]] = variable["value"]

    settings = settings_from(environment, monkeypatch)

    assert settings.env == "production"
    assert settings.bind_host == "0.0.0.0"
    assert settings.database_url.startswith("postgresql://")
    assert settings.webhooks_private_addresses_allowed is False
    assert settings.public_url == settings.auth_issuer == "https://ledgerline.example.com"
    assert str(settings.data_dir).startswith("/tmp/")  # the only writable path


def test_the_processes_are_the_compose_files_running_real_cli_commands(
    manifests: list[Manifest],
) -> None:
    deployments = of_kind(manifests, "Deployment")
    commands = {
        component(d): d["spec"]["template"]["spec"]["containers"][0]["args"]
        for d in deployments.values()
        if component(d) != "gateway"
    }
    job = next(iter(of_kind(manifests, "Job").values()))
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]

    assert commands == LEDGERLINE_PROCESSES
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == MIGRATION_COMMAND
    for name, command in [*commands.items(), ("migrate", MIGRATION_COMMAND)]:
        assert is_cli_command(command), command
        assert compose[name]["command"] == command, name


def test_the_compose_file_sets_the_charts_settings(manifests: list[Manifest]) -> None:
    chart = set(chart_environment(manifests))
    compose = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in [*LEDGERLINE_PROCESSES, "migrate"]:
        variables = {key for key in compose[name]["environment"] if key.startswith("LEDGERLINE_")}
        # Tracing is optional in both (the chart sets it with servers.tracing.endpoint).
        assert variables == chart - {
            "LEDGERLINE_TRACING_ENDPOINT",
            "LEDGERLINE_TRACING_SAMPLE_RATIO",
        }


def test_the_migration_runs_as_a_hook_after_the_settings_it_reads(
    manifests: list[Manifest],
) -> None:
    job = next(iter(of_kind(manifests, "Job").values()))
    weights = {}
    for manifest in manifests:
        annotations = manifest["metadata"].get("annotations") or {}
        if "helm.sh/hook" in annotations:
            assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
            weights[manifest["kind"]] = int(annotations["helm.sh/hook-weight"])

    assert weights["ConfigMap"] < weights["Job"] and weights["Secret"] < weights["Job"]
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "default"  # exists before
    secret = of_kind(manifests, "Secret")[f"{RELEASE}-secrets"]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_every_pod_is_non_root_read_only_without_capabilities_and_bounded(
    manifests: list[Manifest],
) -> None:
    for name, pod in ledgerline_pods(manifests):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"], name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name


def test_probes_ask_each_process_on_the_port_its_setting_gives_it(
    manifests: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from(chart_environment(manifests), monkeypatch)
    listens = {
        "write-api": settings.write_api_port,
        "query-api": settings.read_api_port,
        "relay": settings.relay_metrics_port,
        "projector-mongo": settings.projector_mongo_metrics_port,
        "projector-search": settings.projector_search_metrics_port,
        "notifier": settings.notifier_metrics_port,
    }
    for deployment in of_kind(manifests, "Deployment").values():
        name = component(deployment)
        if name == "gateway":
            continue
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["ports"] == [
            {"name": "http", "containerPort": listens[name], "protocol": "TCP"}
        ]
        probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness")}
        probes["readiness"] = container["readinessProbe"]["httpGet"]
        assert probes["startup"] == probes["liveness"] == {"path": "/health/live", "port": "http"}
        assert probes["readiness"] == {"path": "/health/ready", "port": "http"}
        # SIGTERM, the process's grace period, then a margin before SIGKILL.
        assert pod["terminationGracePeriodSeconds"] > settings.shutdown_grace_s


def test_pods_carry_the_job_names_the_alert_rules_use(
    manifests: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from(chart_environment(manifests), monkeypatch)
    # The local stack's scrape jobs, which infra/prometheus/alerts.yml is written against.
    jobs = {spec.args[:2]: spec.kind for spec in process_specs(settings)}
    for deployment in of_kind(manifests, "Deployment").values():
        if component(deployment) == "gateway":
            continue
        pod = deployment["spec"]["template"]
        command = tuple(pod["spec"]["containers"][0]["args"])
        assert pod["metadata"]["labels"]["ledgerline.io/metrics-job"] == jobs[command[:2]]
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(
            pod["spec"]["containers"][0]["ports"][0]["containerPort"]
        )


def test_only_the_gateway_reaches_the_apis(manifests: list[Manifest]) -> None:
    policies = of_kind(manifests, "NetworkPolicy")
    gateway = of_kind(manifests, "Deployment")[f"{RELEASE}-gateway"]
    gateway_labels = gateway["spec"]["selector"]["matchLabels"]
    for api in ("write-api", "query-api"):
        rules = policies[f"{RELEASE}-{api}"]["spec"]["ingress"]
        service = of_kind(manifests, "Service")[f"{RELEASE}-{api}"]
        api_rules = [
            r for r in rules if r["ports"][0]["port"] == service["spec"]["ports"][0]["port"]
        ]
        peers = [peer for rule in api_rules for peer in rule["from"]]
        assert {"podSelector": {"matchLabels": gateway_labels}} in peers
        # values-ha.yaml lets Prometheus scrape too; nobody else.
        assert all(
            p == {"podSelector": {"matchLabels": gateway_labels}} or "namespaceSelector" in p
            for p in peers
        )
    egress = policies[f"{RELEASE}-servers-egress"]["spec"]
    assert egress["policyTypes"] == ["Egress"]
    ports = {port["port"] for rule in egress["egress"] for port in rule["ports"]}
    assert ports == {53, 5432, 9092, 27017, 9200, 6379, 4318}


def test_autoscaling_follows_cpu_for_the_apis_and_lag_for_the_consumers_within_partitions(
    tools: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = [m for m in yaml.safe_load_all(render(tools, HA_VALUES)) if m]
    settings = settings_from(chart_environment(manifests), monkeypatch)
    groups = {
        "projector-mongo": projector_group_id(settings, "mongo"),
        "projector-search": projector_group_id(settings, "search"),
        "notifier": notifier_group_id(settings),
    }
    scaled = {component(s): s["spec"] for s in of_kind(manifests, "ScaledObject").values()}
    hpas = {component(h): h["spec"] for h in of_kind(manifests, "HorizontalPodAutoscaler").values()}
    deployments = {component(d): d["spec"] for d in of_kind(manifests, "Deployment").values()}

    assert set(hpas) == {"write-api", "query-api"}
    assert all(h["metrics"][0]["resource"]["name"] == "cpu" for h in hpas.values())
    assert set(scaled) == set(groups)
    for name, spec in scaled.items():
        trigger = spec["triggers"][0]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == groups[name]
        assert trigger["metadata"]["topic"] == settings.kafka_topic
        assert spec["minReplicaCount"] >= 2
        assert spec["maxReplicaCount"] <= settings.kafka_partitions
    for name, spec in deployments.items():  # HA: two of everything, a budget for each
        if name in scaled or name in hpas:
            assert "replicas" not in spec, name  # the autoscaler's to set
            assert scaled.get(name, {}).get("minReplicaCount", 2) >= 2
            assert hpas.get(name, {}).get("minReplicas", 2) >= 2
        else:
            assert spec["replicas"] >= 2, name
    budgets = {component(p) for p in of_kind(manifests, "PodDisruptionBudget").values()}
    assert budgets == set(deployments)


def test_the_partition_count_caps_the_consumers_autoscaling(tools: dict[str, Path]) -> None:
    manifests = yaml.safe_load_all(
        helm(
            tools,
            "template",
            RELEASE,
            str(CHART_DIR),
            "--values",
            str(HA_VALUES),
            "--set",
            "servers.kafka.partitions=3",
        )
    )
    caps = [m["spec"]["maxReplicaCount"] for m in manifests if m and m["kind"] == "ScaledObject"]
    assert caps == [3, 3, 3]


def test_the_gateway_config_is_the_renderers_and_nginx_accepts_it(
    manifests: list[Manifest], tmp_path: Path
) -> None:
    assert CHART_NGINX_CONF.read_text() == render_for_chart(), (
        "stale: python -m infra.servers.nginx_chart"
    )
    config = of_kind(manifests, "ConfigMap")[f"{RELEASE}-gateway"]["data"]["nginx.conf"]
    assert "__LEDGERLINE_" not in config
    assert f"server {RELEASE}-write-api:8000 " in config
    assert f"server {RELEASE}-query-api:8001 " in config

    certificate = DevCA(tmp_path / "ca").issue_server_certificate()
    local = (
        config.replace(f"{RELEASE}-write-api:8000", "127.0.0.1:8000")
        .replace(f"{RELEASE}-query-api:8001", "127.0.0.1:8001")
        .replace("/etc/ledgerline/tls/tls.crt", str(certificate.chain_path))
        .replace("/etc/ledgerline/tls/tls.key", str(certificate.key_path))
    )
    (tmp_path / "nginx.conf").write_text(local)
    checked = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


VARIANTS = {
    "own secret, tracing, SMTP login": [
        "secrets.existingSecret=ledgerline-settings",
        "servers.tracing.endpoint=http://otel-collector.observability:4318",
        "servers.smtp.user=ledgerline",
    ],
    "an Ingress in front of the gateway": [
        "ingress.enabled=true",
        "gateway.service.type=ClusterIP",
    ],
    "your own proxy instead of the gateway, no migration hook": [
        "gateway.enabled=false",
        "migration.enabled=false",
        "networkPolicy.apiFrom[0].podSelector.matchLabels.app=edge-proxy",
    ],
    "an in-cluster PostgreSQL that admits only Ledgerline": [
        "networkPolicy.serverIngress[0].name=postgresql",
        "networkPolicy.serverIngress[0].namespace=databases",
        "networkPolicy.serverIngress[0].podSelector.matchLabels.app=postgresql",
        "networkPolicy.serverIngress[0].ports[0]=5432",
    ],
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_option_renders_valid_manifests_with_real_settings(
    tools: dict[str, Path], variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = [argument for value in VARIANTS[variant] for argument in ("--set", value)]
    options += ["--set-string", "secrets.smtpPassword=not-a-real-one"]
    rendered = helm(tools, "template", RELEASE, str(CHART_DIR), *options)
    manifests = [m for m in yaml.safe_load_all(rendered) if m]

    result = kubeconform(tools, rendered)
    assert result["returncode"] == 0, result
    assert result["summary"]["valid"] == len(manifests)
    settings = of_kind(manifests, "ConfigMap")[f"{RELEASE}-settings"]["data"]
    assert set(settings) <= setting_names()
    secrets = of_kind(manifests, "Secret")
    for name, pod in ledgerline_pods(manifests):
        if name == "gateway":
            continue
        sources = pod["containers"][0]["envFrom"]
        secret_name = next(s["secretRef"]["name"] for s in sources if "secretRef" in s)
        # The pods read the Secret the chart made, or the one named in values.
        assert secret_name in secrets or secret_name == "ledgerline-settings"
        assert (secret_name in secrets) == (not variant.startswith("own secret"))


def test_without_the_gateway_nobody_reaches_the_apis_until_named(tools: dict[str, Path]) -> None:
    def api_ingress(*options: str) -> list[Any]:
        rendered = helm(tools, "template", RELEASE, str(CHART_DIR), *options)
        policies = of_kind([m for m in yaml.safe_load_all(rendered) if m], "NetworkPolicy")
        return [
            policies[f"{RELEASE}-{api}"]["spec"]["ingress"] for api in ("write-api", "query-api")
        ]

    # An ingress rule without peers would admit everyone: none is written.
    assert api_ingress("--set", "gateway.enabled=false") == [[], []]
    proxy = {"podSelector": {"matchLabels": {"app": "edge-proxy"}}}
    named = api_ingress(
        "--set",
        "gateway.enabled=false",
        "--set",
        "networkPolicy.apiFrom[0].podSelector.matchLabels.app=edge-proxy",
    )
    assert [[rule["from"] for rule in rules] for rules in named] == [[[proxy]], [[proxy]]]

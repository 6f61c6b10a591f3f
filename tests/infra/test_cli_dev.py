"""`ledgerline dev up/status/down` as a developer runs them, against a private data dir."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.servers import free_port, free_ports
from infra.servers.process import write_pid_file
from infra.settings import Settings
from infra.supervisor import stop_processes
from tests.server_fixtures import temporary_root

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev_env() -> Iterator[dict[str, str]]:
    smtp_port, mailpit_http_port = free_ports(2)
    with temporary_root() as root:
        env = {
            **os.environ,
            "LEDGERLINE_DATA_DIR": str(root),
            "LEDGERLINE_POSTGRES_PORT": str(free_port()),
            "LEDGERLINE_SMTP_PORT": str(smtp_port),
            "LEDGERLINE_MAILPIT_HTTP_PORT": str(mailpit_http_port),
            "LEDGERLINE_LOG_LEVEL": "WARNING",
        }
        try:
            yield env
        finally:
            ledgerline(env, "dev", "down")


def ledgerline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dev_up_status_down_for_postgres_only(dev_env: dict[str, str]) -> None:
    port = dev_env["LEDGERLINE_POSTGRES_PORT"]
    log_path = Path(dev_env["LEDGERLINE_DATA_DIR"]) / "logs" / "postgres.log"

    up = ledgerline(dev_env, "dev", "up", "--only", "postgres")
    assert up.returncode == 0, up.stderr
    [line] = up.stdout.splitlines()
    assert f"postgresql://postgres@127.0.0.1:{port}/ledgerline" in line
    assert str(log_path) in line

    status = ledgerline(dev_env, "dev", "status", "--only", "postgres")
    assert "answering" in status.stdout and "NOT" not in status.stdout

    again = ledgerline(dev_env, "dev", "up", "--only", "postgres")
    assert "already running" in again.stdout

    down = ledgerline(dev_env, "dev", "down")
    assert down.returncode == 0
    assert "postgres       stopped" in down.stdout
    assert "kafka          was not running" in down.stdout

    after = ledgerline(dev_env, "dev", "status", "--only", "postgres")
    assert "not running" in after.stdout


def test_dev_up_prints_the_mailpit_web_address_on_its_own_line(dev_env: dict[str, str]) -> None:
    web = f"http://127.0.0.1:{dev_env['LEDGERLINE_MAILPIT_HTTP_PORT']}"

    up = ledgerline(dev_env, "dev", "up", "--only", "mailpit")
    assert up.returncode == 0, up.stderr
    [line] = up.stdout.splitlines()
    assert line.split()[:2] == ["mailpit", web]

    status = ledgerline(dev_env, "dev", "status", "--only", "mailpit")
    assert "answering" in status.stdout and "NOT" not in status.stdout

    down = ledgerline(dev_env, "dev", "down", "--only", "mailpit")
    assert "mailpit        stopped" in down.stdout


def test_dev_up_that_fails_prints_one_line_and_exits_non_zero(dev_env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(dev_env["LEDGERLINE_POSTGRES_PORT"])))
        squatter.listen()
        up = ledgerline(dev_env, "dev", "up", "--only", "postgres")

    assert up.returncode == 1
    assert up.stdout == ""
    [line] = up.stderr.splitlines()
    assert line.startswith("error: postgres failed to start: port ")
    assert "postgres.log" in line


def test_dev_up_with_an_unknown_server_name_is_refused(dev_env: dict[str, str]) -> None:
    up = ledgerline(dev_env, "dev", "up", "--only", "oracle")
    assert up.returncode == 1
    assert "unknown server oracle" in up.stderr
    assert "Traceback" not in up.stderr


def test_dev_fetch_names_every_cached_server_artefact(dev_env: dict[str, str]) -> None:
    result = ledgerline(dev_env, "dev", "fetch")

    assert result.returncode == 0, result.stderr
    fetched = dict(line.split(maxsplit=1) for line in result.stdout.splitlines())
    assert sorted(fetched) == [
        "elasticsearch",
        "gateway-exporter",
        "helm",
        "jaeger",
        "kafka",
        "kubeconform",
        "kubernetes-schemas",
        "mailpit",
        "prometheus",
    ]
    assert any(Path(fetched["kafka"]).glob("kafka-server-*.jar"))
    assert (Path(fetched["elasticsearch"]) / "bin" / "elasticsearch").is_file()
    for name, binary in [
        ("mailpit", Path(fetched["mailpit"])),
        ("jaeger", Path(fetched["jaeger"])),
        ("prometheus", Path(fetched["prometheus"]) / "prometheus"),
        ("promtool", Path(fetched["prometheus"]) / "promtool"),
        ("prometheus-nginx-exporter", Path(fetched["gateway-exporter"])),
        ("helm", Path(fetched["helm"])),
        ("kubeconform", Path(fetched["kubeconform"])),
    ]:
        assert binary.name == name
        assert os.access(binary, os.X_OK), binary
    assert (Path(fetched["kubernetes-schemas"]) / "deployment-apps-v1.json").is_file()


def test_dev_up_prints_the_jaeger_ui_address_on_its_own_line(dev_env: dict[str, str]) -> None:
    ports = free_ports(4)
    env = dev_env | {
        f"LEDGERLINE_JAEGER_{name}_PORT": str(port)
        for name, port in zip(("OTLP_GRPC", "OTLP_HTTP", "UI", "QUERY_GRPC"), ports, strict=True)
    }

    up = ledgerline(env, "dev", "up", "--only", "jaeger")
    assert up.returncode == 0, up.stderr
    [line] = up.stdout.splitlines()
    assert line.split()[:2] == ["jaeger", f"http://127.0.0.1:{ports[2]}"]

    down = ledgerline(env, "dev", "down", "--only", "jaeger")
    assert "jaeger         stopped" in down.stdout


def test_dev_down_stops_a_supervisor_started_as_python_m_infra_cli(tmp_path: Path) -> None:
    """`python -m infra.cli dev run` has no "ledgerline" in its command line; `dev down` must
    still recognise it from its pid file (and leave an unrelated process with a reused pid)."""
    settings = Settings(data_dir=tmp_path)
    pid_file = tmp_path / "pids" / "supervisor.pid"
    pid_file.parent.mkdir(parents=True)
    # Stand-ins that live until their stdin closes (killed at the end in any case).
    waits = "import sys; sys.stdin.read()"
    unrelated = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    ours = subprocess.Popen(
        [sys.executable, "-c", waits, "-m", "infra.cli", "dev", "run"], stdin=subprocess.PIPE
    )
    try:
        write_pid_file(pid_file, unrelated.pid)
        assert "supervisor" not in stop_processes(settings)
        assert unrelated.poll() is None
        write_pid_file(pid_file, ours.pid)
        assert "supervisor" in stop_processes(settings)
        assert ours.wait(30) is not None
    finally:
        for process in (unrelated, ours):
            process.kill()
            process.wait()

"""Settings handed to a child process through its environment arrive whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from infra.settings import Settings
from infra.supervisor import Supervisor


def test_a_child_process_environment_gives_back_the_same_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = Settings(
        data_dir=Path("/tmp/elsewhere"),
        LEDGERLINE_DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        kafka_topic="t.events",
        kafka_partitions=3,
        kafka_group_prefix="g",
        LEDGERLINE_REDIS_URL="redis://127.0.0.1:2/0",
        redis_prefix="r",
        mongo_database="m",
        search_index_prefix="s",
        write_api_port=1234,
        relay_metrics_port=2345,
        jwt_secret=SecretStr("a-secret-that-is-long-enough-for-hs256-tokens"),
        rate_limit_enabled=False,
        db_pool_max_size=3,
        db_pool_timeout_s=0.5,
        smtp_host="smtp.example.net",
        smtp_port=2525,
        smtp_security="starttls",
        smtp_user="ledgerline",
        smtp_password=SecretStr("a relay password"),
        smtp_timeout_s=3.5,
        mail_from="Payments <payments@ledgerline.example>",
        mailpit_http_port=3456,
        log_level="WARNING",
        log_format="json",
        tracing_endpoint="http://127.0.0.1:4318",
        tracing_sample_ratio=0.25,
    )
    for name, value in parent.process_environment().items():
        monkeypatch.setenv(name, value)
    child = Settings()
    for field in (
        "log_format",
        "database_url",
        "kafka_bootstrap_servers",
        "mongo_url",
        "elasticsearch_url",
        "data_dir",
        "kafka_topic",
        "kafka_partitions",
        "kafka_group_prefix",
        "redis_url",
        "redis_prefix",
        "mongo_database",
        "search_index_prefix",
        "write_api_port",
        "relay_metrics_port",
        "jwt_secret",
        "rate_limit_enabled",
        "db_pool_max_size",
        "db_pool_timeout_s",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_user",
        "smtp_password",
        "smtp_timeout_s",
        "mail_from",
        "mailpit_http_port",
        "log_level",
        "tracing_endpoint",
        "tracing_sample_ratio",
    ):
        assert getattr(child, field) == getattr(parent, field), field


def test_the_issuer_and_public_url_default_to_the_gateway_and_reach_children_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = Settings(gateway_port=9443)
    assert parent.auth_issuer == parent.public_url == "https://127.0.0.1:9443"
    assert Settings(auth_issuer="https://id.example").auth_issuer == "https://id.example"
    for name, value in parent.process_environment().items():
        monkeypatch.setenv(name, value)
    child = Settings()  # its gateway_port is the default, but the parent's issuer wins
    assert (child.auth_issuer, child.public_url) == (parent.auth_issuer, parent.public_url)


def test_api_instances_listen_two_ports_apart_and_colliding_series_are_refused() -> None:
    settings = Settings(write_api_port=8000, read_api_port=8001)
    assert settings.api_instance_ports(3) == ([8000, 8002, 8004], [8001, 8003, 8005])
    with pytest.raises(ValueError, match="collide"):
        Settings(write_api_port=8000, read_api_port=8002).api_instance_ports(2)
    assert Settings(write_api_port=8000, read_api_port=8002).api_instance_ports(1)


def test_tracing_reaches_every_supervised_process_only_when_an_endpoint_is_set() -> None:
    off = Settings()
    assert not off.tracing_on
    assert not any(name.startswith("LEDGERLINE_TRACING_") for name in off.process_environment())
    assert all(child.env is None for child in Supervisor(off).children)

    on = Settings(tracing_endpoint="http://127.0.0.1:4318", tracing_sample_ratio=0.1)
    children = Supervisor(on, env={"PATH": "/usr/bin"}).children
    assert {child.spec.name for child in children} >= {"write-api", "relay", "notifier"}
    for child in children:
        assert child.env is not None
        assert child.env["LEDGERLINE_TRACING_ENDPOINT"] == "http://127.0.0.1:4318"
        assert child.env["LEDGERLINE_TRACING_SAMPLE_RATIO"] == "0.1"
        assert child.env["PATH"] == "/usr/bin"

"""The alert rules (infra/prometheus/alerts.yml) are valid and each behaves as its
``promtool test rules`` case says (infra/prometheus/alerts_test.yml)."""

from __future__ import annotations

import subprocess

import yaml

from infra.servers.prometheus import promtool_binary
from infra.servers.prometheus_config import ALERT_RULES

RULES_TESTS = ALERT_RULES.with_name("alerts_test.yml")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool_binary()), *args],
        cwd=ALERT_RULES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_rules_file_is_valid() -> None:
    checked = promtool("check", "rules", ALERT_RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_rule_passes_its_unit_tests() -> None:
    tested = promtool("test", "rules", RULES_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_rule_has_a_unit_test() -> None:
    rules = yaml.safe_load(ALERT_RULES.read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    cases = yaml.safe_load(RULES_TESTS.read_text())["tests"]
    tested = {check["alertname"] for case in cases for check in case["alert_rule_test"]}
    assert alerts == tested
    firing = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    assert firing == alerts  # each rule is shown firing, not only staying quiet

"""The Prometheus alerting rules for authsvc pass ``promtool check rules`` and their unit tests.

promtool comes from Debian's ``prometheus`` package. Without it the test is skipped, unless
``QG_REQUIRE_PROMTOOL=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("QG_REQUIRE_PROMTOOL") == "1":
            pytest.fail(
                "QG_REQUIRE_PROMTOOL=1 but promtool is missing (apt-get install prometheus)"
            )
        pytest.skip("promtool not installed (Debian: apt-get install prometheus)")
    return found


def _run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - promtool from PATH with our own files
        [promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=120, check=False
    )


def test_rules_are_valid(promtool: str) -> None:
    done = _run(promtool, "check", "rules", "authsvc-alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


def test_rule_unit_tests_pass(promtool: str) -> None:
    done = _run(promtool, "test", "rules", "authsvc-alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_unit_test() -> None:
    rules = (RULES / "authsvc-alerts.yml").read_text(encoding="utf-8")
    tests = (RULES / "authsvc-alerts.test.yml").read_text(encoding="utf-8")
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if "- alert:" in line]
    assert alerts
    for alert in alerts:
        assert f"alertname: {alert}" in tests, f"{alert} has no promtool test"

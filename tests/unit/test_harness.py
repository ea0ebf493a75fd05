"""The harness keeps one source of truth for versions: uv.lock.

pre-commit installs its hooks' tools from PyPI by itself; these tests fail when a pin
in `.pre-commit-config.yaml` or `.ci/run` drifts from the locked version, so the hooks
never judge code with a different ruff than `nox -s lint` does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"]}


def _hook_pins() -> list[tuple[str, str, str]]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    pins = []
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            for requirement in hook.get("additional_dependencies", []):
                name, _, version = requirement.partition("==")
                pins.append((hook["id"], name, version))
    return pins


def test_every_hook_is_local() -> None:
    """Hook repositories cannot be cloned on this project's machines."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"] * len(config["repos"])


@pytest.mark.parametrize(("hook", "name", "version"), _hook_pins())
def test_hook_pins_are_exact(hook: str, name: str, version: str) -> None:
    assert re.fullmatch(r"\d+(\.\d+)*", version), f"{hook}: {name} must be pinned with =="


def test_hook_pins_match_the_lock() -> None:
    locked = _locked_versions()
    drift = [
        f"{hook}: {name}=={version}, uv.lock has {locked[name]}"
        for hook, name, version in _hook_pins()
        if name in locked and locked[name] != version
    ]
    assert drift == []


def test_ci_pins_nox_to_the_locked_version() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pinned = re.search(r'"nox==([\d.]+)"', script)
    assert pinned is not None, ".ci/run must install a pinned nox"
    assert pinned.group(1) == _locked_versions()["nox"]

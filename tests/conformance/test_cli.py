"""``quality-gates conformance`` and the plugin on bad input: exit 2, every problem listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quality_gates.cli import main
from quality_gates.conformance import properties
from tests.conformance._targets import PROFILES, ROOT
from tests.integration._servers import free_port

SUITE = Path(properties.__file__).parent


def test_unreachable_target_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["conformance", url, "--profile", str(PROFILES / "authsvc.toml")]) == 2
    err = capsys.readouterr().err
    assert f"quality-gates: error: target unreachable: {url}" in err
    assert len(err.splitlines()) == 1


def test_invalid_profile_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(
        '[target]\nname = ""\nencoding = "xml"\n[endpoints.login]\nmethod = "FETCH"\n',
        encoding="utf-8",
    )
    assert main(["conformance", "http://127.0.0.1:9", "--profile", str(profile)]) == 2
    err = capsys.readouterr().err.splitlines()
    for expected in (
        "target.name: expected a non-empty string",
        "target.encoding: expected one of",
        "endpoints.login.method: expected an HTTP method",
        "endpoints.login.path: missing (required)",
        "endpoints.register: missing (required endpoint)",
        "tokens: missing (required section)",
    ):
        assert any(expected in line for line in err), (expected, err)


def test_a_url_is_required_somewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (PROFILES / "authsvc.toml").read_text(encoding="utf-8")
    profile = tmp_path / "no-url.toml"
    profile.write_text(text.replace('base_url = "http://127.0.0.1:8000"\n', ""), encoding="utf-8")
    assert main(["conformance", "--profile", str(profile)]) == 2
    assert "no target URL" in capsys.readouterr().err


def test_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "file:///etc", "--profile", str(PROFILES / "authsvc.toml")]) == 2
    assert "expected http://HOST" in capsys.readouterr().err


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", *args],
        cwd=SUITE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plugin_exits_2_on_an_unreachable_target() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = _pytest("--target-url", url, "--target-profile", str(PROFILES / "authsvc.toml"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "target unreachable" in done.stderr
    assert "failed" not in done.stdout


def test_plugin_exits_2_on_an_invalid_profile(tmp_path: Path) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text("[target]\n", encoding="utf-8")
    done = _pytest("--target-url", "http://127.0.0.1:9", "--target-profile", str(profile))
    assert done.returncode == 2
    assert "target.name: missing (required)" in done.stderr


def test_plugin_is_inert_without_a_target() -> None:
    """Loaded in every pytest run: without options the suite's tests only skip, saying why."""
    done = _pytest("-q", "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no target: give --target-profile FILE" in done.stdout
    assert " passed" not in done.stdout
    assert "failed" not in done.stdout


def test_plugin_options_are_registered_for_this_repository() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "--target-url=URL" in done.stdout
    assert "--target-profile=FILE" in done.stdout

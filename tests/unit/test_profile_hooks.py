"""profiles/authsvc_hooks.py: the grey-box hooks of authsvc's conformance profile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HOOKS = Path(__file__).resolve().parents[2] / "profiles" / "authsvc_hooks.py"


@pytest.mark.parametrize("command", ["stored-hash", "disable"])
def test_without_a_database_url_the_hooks_refuse_and_create_nothing(
    tmp_path: Path, command: str
) -> None:
    """Hooks run in the profile's directory: a relative default would make a stray database."""
    env = {key: value for key, value in os.environ.items() if key != "AUTHSVC_DATABASE_URL"}
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(HOOKS), command, "someone@example.com"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "set AUTHSVC_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []

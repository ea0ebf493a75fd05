"""The real pipeline on this repository, with its cheapest real stage: ``api-compat``.

Two patches made against whatever HEAD is: a new file (benign: the gate passes) and an edit
of the committed OpenAPI snapshot (a bug: the snapshot no longer matches the app, and the gate
blocks it). The other stages take minutes; ``nox -s bugzoo`` runs them in CI.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bugzoo.cli import main
from tests.bugzoo._zoo import BENIGN_META, BUG_META, write_entry

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = "authsvc/openapi.json"
NEW_FILE = (
    "diff --git a/docs/bugzoo-probe.md b/docs/bugzoo-probe.md\nnew file mode 100644\n"
    "--- /dev/null\n+++ b/docs/bugzoo-probe.md\n@@ -0,0 +1 @@\n+A probe of the bug zoo.\n"
)


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "-C", str(ROOT), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _snapshot_edit() -> str:
    before = _git("show", f"HEAD:{SNAPSHOT}")
    after = before.replace('"title": "authsvc"', '"title": "authsvc (renamed)"', 1)
    assert after != before
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{SNAPSHOT}",
        f"b/{SNAPSHOT}",
    )
    return "".join(lines)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_api_compat_on_this_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The benign patch passes, the snapshot edit is blocked; exit 0, no worktree left."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    zoo = tmp_path / "zoo"
    write_entry(zoo, "probe-file", NEW_FILE, BENIGN_META)
    write_entry(
        zoo, "snapshot-edited", _snapshot_edit(), {**BUG_META, "expected_gates": ["api-compat"]}
    )
    worktrees = _git("worktree", "list")
    results = tmp_path / "zoo.json"
    args = ["run", "--repo", str(ROOT), "--patches", str(zoo), "--stages", "api-compat"]
    code = main([*args, "--results", str(results), "--matrix", str(tmp_path / "m.md")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(results.read_text(encoding="utf-8"))
    stages = {p["slug"]: p["stages"][0] for p in data["patches"]}
    assert stages["probe-file"]["status"] == "pass"
    assert stages["snapshot-edited"]["status"] == "fail"
    assert "[snapshot-drift]" in stages["snapshot-edited"]["reason"]
    assert data["verdict"] == {"exit_code": 0, "problems": [], "warnings": []}
    assert _git("worktree", "list") == worktrees

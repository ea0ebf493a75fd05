"""The framework's wheel on its own: built, installed into a fresh venv, used on other projects.

The wheel (framework/pyproject.toml) is built with ``uv build``, installed with its locked
dependencies into a new virtual environment that holds nothing else, and then driven as an
adopting team would: ``quality-gates conformance`` against a running authsvc, and
``quality-gates run`` on a small git repository that is not this one. The service's own tools
(its profile's hooks run ``authsvc`` and ``python``) come from the dev venv, as they would come
from the service's own environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conformance._targets import PROFILES
from tests.gates._repo import GitRepo
from tests.gates.test_run import build
from tests.integration._servers import Database, start_server

ROOT = Path(__file__).resolve().parents[2]
#: The service's stack: none of it may reach the framework's environment.
SERVICE_MODULES = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "jwt")
TIMEOUT = 240.0


@dataclass(frozen=True)
class FreshVenv:
    """The framework's wheel installed in a venv of its own."""

    wheel: Path
    python: Path

    @property
    def quality_gates(self) -> str:
        return str(self.python.parent / "quality-gates")


def _uv() -> str:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.fail("uv is not on PATH: the packaging test builds and installs with it")
    return uv


def _run(
    *command: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with ``env``, by default :func:`_outside_env`."""
    return subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        command,
        cwd=cwd,
        env=_outside_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _checked(*command: str, cwd: Path) -> None:
    done = _run(*command, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"


def _outside_env() -> dict[str, str]:
    """This environment minus what would tie a child to the dev venv, a CI service, or coverage.

    coverage ships a .pth file that starts measuring any process that inherits its variables,
    in the fresh venv too (coverage is a framework dependency): its data would name files that
    are gone when the run's data is combined.
    """
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT", "CI")
    prefixes = ("GITHUB_", "AUTHSVC_", "COVERAGE_")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith(prefixes)
    }


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    """Build the wheel and install it, with its locked dependencies, into a new venv."""
    work = tmp_path_factory.mktemp("packaging")
    uv = _uv()
    _checked(uv, "build", "--wheel", "--quiet", "-o", str(work / "dist"), "framework", cwd=ROOT)
    (wheel,) = (work / "dist").glob("auth_quality_gates-*.whl")
    # The versions of uv.lock, as every environment of this project; the member itself is the
    # wheel just built. An export that listed the service's stack would fail below as well.
    requirements = work / "requirements.txt"
    export = ("export", "--frozen", "--package", "auth-quality-gates", "--extra", "conformance")
    quiet = ("--no-emit-workspace", "--no-default-groups", "--no-hashes", "--quiet")
    _checked(uv, *export, *quiet, "-o", str(requirements), cwd=ROOT)
    venv = work / "venv"
    _checked(uv, "venv", "--quiet", "--python", sys.executable, str(venv), cwd=work)
    python = venv / "bin" / "python"
    install = ("pip", "install", "--quiet", "--python", str(python), "-r", str(requirements))
    _checked(uv, *install, f"{wheel}[conformance]", cwd=work)
    return FreshVenv(wheel, python)


def test_the_wheel_holds_the_framework_and_its_entry_points(fresh: FreshVenv) -> None:
    with zipfile.ZipFile(fresh.wheel) as wheel:
        names = wheel.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
        metadata = wheel.read(f"{dist_info}/METADATA").decode()
    packages = {name.split("/")[0] for name in names} - {dist_info}
    assert packages == {"quality_gates"}
    assert "quality_gates/conformance/properties/test_01_credentials.py" in names
    assert "quality-gates = quality_gates.cli:main" in entry_points
    assert "quality_gates_conformance = quality_gates.conformance.plugin" in entry_points
    assert "authsvc" not in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    always = [line for line in requires if "extra ==" not in line]
    assert not [line for line in always if any(m in line.lower() for m in SERVICE_MODULES)]
    assert "Requires-Dist: psycopg[binary]>=3.2; extra == 'postgres'" in requires
    assert "Requires-Dist: pytest>=8.3; extra == 'conformance'" in requires


def test_the_service_wheel_holds_only_the_service(tmp_path: Path) -> None:
    """The root project's wheel: authsvc and its script, nothing of the framework."""
    _checked(_uv(), "build", "--wheel", "--quiet", "-o", str(tmp_path), ".", cwd=ROOT)
    (built,) = tmp_path.glob("authsvc-*.whl")
    with zipfile.ZipFile(built) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read("authsvc-0.1.0.dist-info/entry_points.txt").decode()
    assert {name.split("/")[0] for name in names} == {"authsvc", "authsvc-0.1.0.dist-info"}
    assert "authsvc/migrations/env.py" in names
    assert entry_points.split() == ["[console_scripts]", "authsvc", "=", "authsvc.cli:main"]


def test_the_fresh_venv_has_no_web_framework_or_database_driver(
    fresh: FreshVenv, tmp_path: Path
) -> None:
    probe = (
        "import importlib.util, quality_gates.cli, quality_gates.conformance.plugin\n"
        f"print(quality_gates.cli.__file__)\n"
        f"print(*[m for m in {SERVICE_MODULES!r} if importlib.util.find_spec(m)])\n"
    )
    done = _run(str(fresh.python), "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, present = done.stdout.splitlines()
    assert where.startswith(str(fresh.python.parent.parent)), "not the installed copy"
    assert present == ""
    version = _run(fresh.quality_gates, "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, "quality-gates 0.1.0\n")


def test_conformance_against_a_running_authsvc(fresh: FreshVenv, tmp_path: Path) -> None:
    database = Database.sqlite(tmp_path / "authsvc.db")
    # A few properties, not the whole suite (tests/conformance runs that): enough to show the
    # installed suite, its plugin and the profile's hooks (seeding through `authsvc`) at work.
    server = start_server(tmp_path, database, env={"AUTHSVC_CLIENT_RATE_LIMIT": "0"})
    try:
        env = _outside_env()
        env["AUTHSVC_DATABASE_URL"] = database.url
        env["CONFORMANCE_JWT_KEY"] = json.loads(server.env["AUTHSVC_SIGNING_KEYS"])[0]["secret"]
        assert server.clock_file is not None
        env["AUTHSVC_CLOCK_OFFSET_FILE"] = str(server.clock_file)
        # The hooks' `authsvc` and `python` are the service's: the dev venv's, not the wheel's.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        report = tmp_path / "conformance.json"
        done = _run(
            fresh.quality_gates,
            "conformance",
            server.base_url,
            "--profile",
            str(PROFILES / "authsvc.toml"),
            "-k",
            # Not the checks that time the service: they belong to tests/conformance, which
            # runs them on a quieter machine than six parallel test runs make.
            "(test_01 or test_02 or test_09) and not timing and not quickly",
            f"--report=json={report}",
            cwd=tmp_path,
            env=env,
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    (gate,) = json.loads(report.read_text(encoding="utf-8"))["gates"]
    assert gate["status"] == "pass"
    metrics = {key: int(value) for key, value in gate["metrics"].items()}
    assert metrics["passed"] >= 10, metrics
    assert metrics.get("failed", 0) == metrics.get("error", 0) == 0, metrics


def _statuses(report: Path) -> dict[str, str]:
    """Each gate's status in a JSON report of `quality-gates run`."""
    gates = json.loads(report.read_text(encoding="utf-8"))["gates"]
    return {str(g["gate"]): str(g["status"]) for g in gates}


def test_run_on_a_repository_that_is_not_this_one(fresh: FreshVenv, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "service")
    build(repo)  # a change that adds an untested branch to a critical file
    body = repo.write("body.md", "Accept legacy hashes.\n\n- [x] <!-- id:threat-model --> done\n")
    report = tmp_path / "gate.json"
    done = _run(
        fresh.quality_gates,
        "run",
        "--body-file",
        str(body),
        f"--report=json={report}",
        cwd=repo.path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert _statuses(report) == {
        "checklist": "pass",
        "coverage": "fail",
        "api-compat": "pass",
        "incidents": "pass",
    }
    assert "app/auth/login.py" in done.stdout
    # A gate whose extra is not installed says which one to install (exit code 2: an error).
    mutation = _run(fresh.quality_gates, "mutation", cwd=repo.path)
    assert mutation.returncode == 2, mutation.stdout + mutation.stderr
    assert "install the framework's `mutation` extra (auth-quality-gates[mutation])" in (
        mutation.stderr
    )
    # Bad input: a directory that is no git repository is one line and exit code 2.
    elsewhere = _run(fresh.quality_gates, "--repo", str(tmp_path), "run", cwd=tmp_path)
    assert elsewhere.returncode == 2, elsewhere.stderr
    assert len(elsewhere.stderr.strip().splitlines()) == 1, elsewhere.stderr


def _action_step(name: str) -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (script,) = [step["run"] for step in action["runs"]["steps"] if step.get("name") == name]
    return str(script)


def test_the_action_runs_the_gates_asked_for(fresh: FreshVenv, tmp_path: Path) -> None:
    """action.yml's last step, run as GitHub runs it (bash -eo pipefail), with the wheel."""
    repo = GitRepo(tmp_path / "service")
    build(repo)
    report = tmp_path / "gate.json"
    summary = tmp_path / "summary.md"
    env = _outside_env()
    env["PATH"] = f"{fresh.python.parent}{os.pathsep}{env.get('PATH', '')}"
    env |= {
        "QG_POLICY_DIR": str(repo.path),
        "QG_BASELINE": "",
        "QG_BASE_REF": "main",  # a pull request into main: the baseline is origin/main
        "QG_GATES": "incidents api-compat",
        "QG_ARGS": f"--report json={report}",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    script = _action_step("quality-gates run")
    shell = ("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
    done = _run(*shell, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--baseline origin/main" in done.stdout
    assert _statuses(report) == {
        "checklist": "skipped",
        "coverage": "skipped",
        "api-compat": "pass",
        "incidents": "pass",
    }
    assert "incidents" in summary.read_text(encoding="utf-8")
    # Every gate of the policy: the coverage gate fails the step.
    everything = _run(*shell, cwd=tmp_path, env={**env, "QG_GATES": ""})
    assert everything.returncode == 1, everything.stdout + everything.stderr
    unknown = _run(*shell, cwd=tmp_path, env={**env, "QG_GATES": "coverage speling"})
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "quality-gates: error: unknown gate 'speling' in `gates`"

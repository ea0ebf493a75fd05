"""Each version's code and environment: a git worktree, and a venv built from its own lock.

The baseline is checked out with ``git worktree add`` under the cache directory and removed
afterwards. Each version gets the environment its *own* ``uv.lock`` describes (``uv sync
--frozen``), cached by the lock's hash: two versions with the same lock share one venv, and a
dependency bump gets a venv of its own, so it is tested too. The project itself is not installed
into the shared venv; the version's source is put first on ``PYTHONPATH`` and its
``[project.scripts]`` become small launchers in a per-version ``bin`` directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from quality_gates import git
from quality_gates.errors import InputError

SYNC_TIMEOUT = 900.0
_ENTRY_POINT = re.compile(r"([A-Za-z_][\w.]*)\s*:\s*([A-Za-z_][\w.]*)\Z")
_COMPLETE = ".quality-gates-complete"


@dataclass(frozen=True)
class VersionEnv:
    """How to run one version: its source tree, venv and launchers."""

    label: str
    source: Path
    venv: Path
    bin_dir: Path

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with this version's launchers, venv and source first in line."""
        env = {k: v for k, v in base.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
        # Coverage of the gate's own test run must not follow into the versions under test.
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_")}
        env["PATH"] = os.pathsep.join(
            [str(self.bin_dir), str(self.venv / "bin"), base.get("PATH", os.defpath)]
        )
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PYTHONPATH"] = str(self.source)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # never write into the baseline's worktree
        return env


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/quality-gates/replay`` (``~/.cache`` when unset)."""
    root = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "quality-gates" / "replay"


@contextlib.contextmanager
def baseline_worktree(repo: Path, commit: str, cache: Path) -> Iterator[Path]:
    """Check out ``commit`` in a fresh worktree under ``cache``; removed on exit."""
    root = cache / "worktrees"
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{commit[:12]}-{uuid.uuid4().hex[:8]}"
    done = git.run_git(
        repo, "worktree", "add", "--detach", "--quiet", str(path), commit, check=False
    )
    if done.returncode != 0:
        raise InputError(f"git worktree add {commit[:12]} failed: {done.stderr.strip()}")
    try:
        yield path
    finally:
        git.run_git(repo, "worktree", "remove", "--force", str(path), check=False)
        shutil.rmtree(path, ignore_errors=True)
        git.run_git(repo, "worktree", "prune", check=False)


def lock_key(lock_file: Path, python: str) -> str:
    """The cache key of an environment: the lock's bytes, the interpreter and the platform."""
    digest = hashlib.sha256(lock_file.read_bytes())
    digest.update(f"\0{python}\0{platform.machine()}\0{sys.platform}".encode())
    return digest.hexdigest()[:20]


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        raise InputError("the replay gate needs `uv` on PATH to build each version's environment")
    return found


def build_env(label: str, source: Path, cache: Path, workdir: Path, python: str) -> VersionEnv:
    """The environment of the version in ``source``, synced from its ``uv.lock`` once."""
    lock_file = source / "uv.lock"
    if not lock_file.is_file():
        raise InputError(f"{label}: no uv.lock in {source}: the replay installs from the lock")
    key = lock_key(lock_file, python)
    venv = cache / "envs" / key
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{key}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # two runs must not sync one venv at once
        if not (venv / _COMPLETE).is_file():
            _sync(label, source, venv, python)
            (venv / _COMPLETE).write_text(f"{lock_file}\n", encoding="utf-8")
    bin_dir = workdir / f"bin-{label}"
    write_launchers(source / "pyproject.toml", venv, bin_dir)
    return VersionEnv(label, source, venv, bin_dir)


def _sync(label: str, source: Path, venv: Path, python: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    command = [
        _uv(),
        "sync",
        "--frozen",
        "--no-install-project",
        "--no-default-groups",
        "--python",
        python,
        "--project",
        str(source),
        "--quiet",
    ]
    try:
        done = subprocess.run(  # noqa: S603 - uv with fixed arguments
            command, env=env, capture_output=True, text=True, timeout=SYNC_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"{label}: `uv sync` timed out after {SYNC_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise InputError(f"{label}: `uv sync --frozen` failed:\n{tail}")


def write_launchers(pyproject: Path, venv: Path, bin_dir: Path) -> list[str]:
    """One launcher per ``[project.scripts]`` entry, running the venv's Python."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{pyproject}: cannot read [project.scripts]: {exc}") from None
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    names = []
    for name, target in dict(project.get("scripts", {})).items():
        match = _ENTRY_POINT.match(str(target))
        if match is None or not re.fullmatch(r"[\w.-]+", name):
            continue
        module, attribute = match.groups()
        script = bin_dir / name
        script.write_text(
            f"#!{python}\nimport sys\nfrom {module} import {attribute.split('.')[0]} as _entry\n"
            f"sys.exit(_entry{''.join('.' + p for p in attribute.split('.')[1:])}())\n",
            encoding="utf-8",
        )
        script.chmod(0o755)
        names.append(name)
    return names

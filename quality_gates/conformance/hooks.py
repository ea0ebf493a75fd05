"""Grey-box hooks of a target profile: seed accounts, read a stored hash, move the clock.

Hook commands run in the directory of the profile file, with the caller's environment plus
``hooks.env``; a leading ``python`` is the interpreter running the suite, and a command not on
``PATH`` is also looked for beside it (a virtual environment's ``bin/``). ``${NAME}`` in a hook
value is the environment variable ``NAME``; when it is unset the hook counts as absent, and the
properties that need it are skipped with that reason.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from quality_gates.profile import TargetProfile, expand

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
PBKDF2_ITERATIONS = 10_000  # enough to be a real PBKDF2 hash, cheap enough for a test


class HookError(RuntimeError):
    """A hook command failed: the harness is broken, not the property."""


class HookUnavailableError(LookupError):
    """The profile has no such hook, or it refers to an unset environment variable."""


def expand_env(text: str, where: str) -> str:
    """Replace ``${NAME}`` by the environment variable; unset → ``HookUnavailableError``."""

    def fill(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise HookUnavailableError(f"{where}: ${{{match.group(1)}}} is not set")
        return value

    return _ENV_REF.sub(fill, text)


def legacy_hash(password: str, scheme: str) -> str:
    """A stored hash of ``password`` in a legacy ``scheme`` (see ``SEED_HASH_SCHEMES``)."""
    if scheme == "pbkdf2_sha256":  # Django's format
        salt = secrets.token_hex(8)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
        encoded = base64.b64encode(digest).decode("ascii")
        return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${encoded}"
    try:
        import bcrypt  # noqa: PLC0415 - optional: only this scheme needs it
    except ImportError:
        raise HookUnavailableError(
            "hooks.seed_hash_scheme bcrypt needs the bcrypt package"
        ) from None
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode("ascii")


class HookRunner:
    """Runs the hooks of one profile."""

    def __init__(self, profile: TargetProfile) -> None:
        self.profile = profile
        self.hooks = profile.hooks
        source = profile.source
        self.cwd = source.resolve().parent if source is not None else Path.cwd()

    def require(self, name: str) -> None:
        """Raise ``HookUnavailableError`` unless hook ``name`` is configured and usable."""
        value = getattr(self.hooks, name)
        if not value:
            raise HookUnavailableError(f"the profile has no hooks.{name}")
        parts = [value] if isinstance(value, str) else list(value)
        for part in parts:
            expand_env(part, f"hooks.{name}")

    def _run(self, name: str, template: Sequence[str], **values: str) -> str:
        self.require(name)
        argv = [expand_env(part, f"hooks.{name}") for part in expand(template, **values)]
        argv[0] = _executable(argv[0])
        env = dict(os.environ)
        env.update({k: expand_env(v, f"hooks.env.{k}") for k, v in self.hooks.env.items()})
        try:
            done = subprocess.run(  # noqa: S603 - the profile's own command, no shell
                argv,
                cwd=self.cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.hooks.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HookError(f"hooks.{name}: {exc}") from None
        if done.returncode != 0:
            # One line: the last thing the command said (a traceback's last line is its error).
            lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
            raise HookError(f"hooks.{name} exited with {done.returncode}: {lines[-1][-300:]}")
        return done.stdout

    def seed(self, accounts: Sequence[dict[str, object]]) -> None:
        """Import ``accounts`` (``email``, ``password_hash``, ``disabled``) with the seed hook."""
        lines = "".join(json.dumps(account) + "\n" for account in accounts)
        with tempfile.TemporaryDirectory(prefix="qg-seed-") as tmp:
            file = Path(tmp) / "accounts.jsonl"
            file.write_text(lines, encoding="utf-8")
            self._run("seed_accounts", self.hooks.seed_accounts, file=str(file))

    def stored_hash(self, email: str) -> str:
        """The stored password hash of ``email`` (the hook's stdout, stripped)."""
        output = self._run("stored_hash", self.hooks.stored_hash, email=email).strip()
        if not output:
            raise HookError(f"hooks.stored_hash printed nothing for {email}")
        return output

    def disable(self, email: str) -> None:
        """Disable the existing account ``email``."""
        self._run("disable_account", self.hooks.disable_account, email=email)

    def reset_lockout(self, email: str) -> None:
        """Lift the lock on ``email`` (or, for a client-wide lock, on this client)."""
        self._run("reset_lockout", self.hooks.reset_lockout, email=email)

    def census(self) -> str:
        """What the census hook printed: one JSON line per account (checked by the caller)."""
        return self._run("census", self.hooks.census)

    def jwt_key(self) -> bytes:
        """The target's HMAC signing key."""
        self.require("jwt_key")
        return expand_env(self.hooks.jwt_key, "hooks.jwt_key").encode("utf-8")

    def clock_file(self) -> Path:
        """The target's clock offset file."""
        self.require("clock_offset_file")
        path = Path(expand_env(self.hooks.clock_offset_file, "hooks.clock_offset_file"))
        return path if path.is_absolute() else self.cwd / path

    @contextlib.contextmanager
    def clock_moved(self) -> Iterator[ClockControl]:
        """A handle to move the target's clock; the original offset is restored afterwards."""
        control = ClockControl(self.clock_file())
        try:
            yield control
        finally:
            control.restore()


class ClockControl:
    """Moves a target's clock through its offset file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.original = float(path.read_text(encoding="utf-8").strip() or 0)
        except FileNotFoundError:
            self.original = 0.0
        except (OSError, ValueError) as exc:
            raise HookError(f"hooks.clock_offset_file: cannot read {path}: {exc}") from None

    def set(self, seconds_ahead: float) -> None:
        """Put the target's clock ``seconds_ahead`` of where it was at the start."""
        self._write(self.original + seconds_ahead)

    def restore(self) -> None:
        """Put the clock back."""
        self._write(self.original)

    def _write(self, offset: float) -> None:
        temporary = self.path.with_name(self.path.name + ".qg-tmp")
        try:
            temporary.write_text(f"{offset}\n", encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:
            raise HookError(f"hooks.clock_offset_file: cannot write {self.path}: {exc}") from None


def _executable(name: str) -> str:
    if name in ("python", "python3"):
        return sys.executable
    if os.sep in name or shutil.which(name):
        return name
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name

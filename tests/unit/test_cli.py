"""The authsvc command line."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from authsvc import cli
from authsvc.app import openapi_document
from authsvc.logs import JsonFormatter
from authsvc.security.hashing import make_pbkdf2_sha256
from authsvc.store.db import Database, make_engine
from authsvc.store.migrate import current_revision
from authsvc.store.repository import Repository
from tests.unit._helpers import SIGNING_KEY

KEYS = json.dumps([SIGNING_KEY])


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty SQLite database named by AUTHSVC_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", url)
    return url


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No command, an unknown command or a bad option: exit 2."""
    assert cli.main([]) == 2
    assert cli.main(["frobnicate"]) == 2
    assert cli.main(["serve", "--port", "70000"]) == 2
    assert cli.main(["serve", "--workers", "0"]) == 2
    assert cli.main(["--help"]) == 0
    capsys.readouterr()


def test_migrate(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """To a revision, then to head; an unknown revision is a usage error."""
    assert cli.main(["migrate", "--revision", "0001"]) == 0
    assert current_revision(db_url) == "0001"
    assert cli.main(["migrate"]) == 0
    assert current_revision(db_url) == "0002"
    assert "revision 0002" in capsys.readouterr().out
    assert cli.main(["migrate", "--revision", "nope"]) == 2


def test_unreachable_database_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database that cannot be opened: exit 1 with the driver's one-line reason."""
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", "sqlite:////nonexistent/dir/x.db")
    assert cli.main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "OperationalError: unable to open database file" in err
    assert "Traceback" not in err


def _write(path: Path, *records: Any) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_users(tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """All good: exit 0, accounts present (the database is migrated first)."""
    legacy = make_pbkdf2_sha256("legacy password", iterations=1000)
    source = _write(tmp_path / "u.jsonl", {"email": "A@example.com", "password_hash": legacy})
    assert cli.main(["import-users", str(source)]) == 0
    assert "imported 1, rejected 0" in capsys.readouterr().out
    db = Database(make_engine(db_url))
    user = Repository(db).find_user("a@example.com")
    db.dispose()
    assert user is not None
    assert user.password_hash == legacy


def test_import_users_with_rejections(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any rejected line: exit 1, stderr and the JSON report name lines and reasons."""
    legacy = make_pbkdf2_sha256("legacy password", iterations=1000)
    source = _write(
        tmp_path / "u.jsonl",
        {"email": "a@example.com", "password_hash": legacy},
        "{broken",
        {"email": "b@example.com", "password_hash": "plain"},
    )
    report = tmp_path / "report.json"
    assert cli.main(["import-users", str(source), "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert "line 2: invalid_json" in captured.err
    assert "line 3: unsupported_hash" in captured.err
    assert legacy not in captured.err + captured.out
    assert json.loads(report.read_text())["imported"] == 1


def test_import_users_missing_file(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing or unreadable file: exit 2."""
    assert cli.main(["import-users", "/nonexistent/users.jsonl"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_import_users_unwritable_report(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report that cannot be written is reported, not a traceback."""
    source = _write(tmp_path / "u.jsonl", "{}")
    assert cli.main(["import-users", str(source), "--report", "/nonexistent/r.json"]) == 2
    capsys.readouterr()


def test_openapi_output_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Writes the document; --check passes on it and fails on a drifted copy."""
    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == openapi_document()
    assert cli.main(["openapi", "--check", str(target)]) == 0
    drifted = json.loads(target.read_text())
    drifted["paths"].pop("/v1/me")
    target.write_text(json.dumps(drifted))
    assert cli.main(["openapi", "--check", str(target)]) == 1
    assert cli.main(["openapi", "--check", str(tmp_path / "missing.json")]) == 2
    target.write_text("not json")
    assert cli.main(["openapi", "--check", str(target)]) == 2
    capsys.readouterr()
    assert cli.main(["openapi"]) == 0
    assert json.loads(capsys.readouterr().out)["openapi"] == "3.1.0"


def test_committed_snapshot_passes_the_check() -> None:
    """`authsvc openapi --check authsvc/openapi.json` is what CI runs."""
    snapshot = Path(cli.__file__).parent / "openapi.json"
    assert cli.main(["openapi", "--check", str(snapshot)]) == 0


def test_serve_refuses_weak_keys_without_echoing_them(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid settings: exit 2; the message names the variable, not the secret."""
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", '[{"kid": "k", "secret": "tooshort-secret"}]')
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "AUTHSVC_SIGNING_KEYS" in err
    assert "tooshort-secret" not in err
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", "not json")
    assert cli.main(["serve"]) == 2
    monkeypatch.delenv("AUTHSVC_SIGNING_KEYS")
    assert cli.main(["serve"]) == 2


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "  AUTHSVC_SIGNING_KEYS is required (or set AUTHSVC_DEV_MODE=true for development)"),
        (
            {"AUTHSVC_SIGNING_KEYS": '[{"kid": "a"}]'},
            "  AUTHSVC_SIGNING_KEYS (item 1, secret): Field required",
        ),
        (
            {"AUTHSVC_DEV_MODE": "true", "AUTHSVC_ACCESS_TTL_SECONDS": "soon"},
            "  AUTHSVC_ACCESS_TTL_SECONDS: Input should be a valid integer",
        ),
        (
            {
                "AUTHSVC_DEV_MODE": "true",
                "AUTHSVC_ARGON2_PARALLELISM": "4",
                "AUTHSVC_ARGON2_MEMORY_COST": "8",
            },
            "  AUTHSVC_ARGON2_MEMORY_COST must be at least 8 KiB per lane",
        ),
    ],
    ids=["missing", "inside-json", "type", "across-settings"],
)
def test_invalid_settings_name_the_variable(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    expected: str,
) -> None:
    """Each problem is one line naming the AUTHSVC_* variable, never a bare ``AUTHSVC_``."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert f"\n{expected}" in err
    assert "AUTHSVC_:" not in err
    assert "Value error" not in err


def test_serve_on_a_taken_port_exits_1_before_creating_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The port is checked first: a failed start leaves no database file behind."""
    import socket  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    database = tmp_path / "never.db"
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: pytest.fail("uvicorn started"))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == f"authsvc serve: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not database.exists()


def test_serve_help_shows_defaults_and_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """``serve --help`` documents each option's default and points to AUTHSVC_*."""
    assert cli.main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for text in ("(default: 127.0.0.1)", "(default: 8000)", "(default: 1)"):
        assert text in out
    for variable in ("AUTHSVC_DATABASE_URL", "AUTHSVC_SIGNING_KEYS", "AUTHSVC_DEV_MODE"):
        assert variable in out
    assert "docs/authsvc.md" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` prints the program and its version, exit 0."""
    from authsvc import __version__  # noqa: PLC0415

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"authsvc {__version__}\n"


def test_serve_dev_mode_is_single_worker(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ephemeral keys differ per process, so several workers are refused."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    assert cli.main(["serve", "--workers", "2"]) == 2
    assert "one worker" in capsys.readouterr().err


def test_serve_migrates_then_runs_uvicorn(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database is at head before uvicorn starts, with the app factory and safe options."""
    import logging  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    calls: list[dict[str, Any]] = []

    def fake_run(app: str, **kwargs: Any) -> None:
        calls.append({"app": app, "revision": current_revision(db_url), **kwargs})
        calls[-1]["multiproc"] = __import__("os").environ.get("PROMETHEUS_MULTIPROC_DIR")

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", KEYS)
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        assert cli.main(["serve", "--port", "0", "--workers", "2"]) == 0
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
    (call,) = calls
    assert call["app"] == "authsvc.app:create_serving_app"
    assert call["factory"] is True
    assert call["revision"] == "0002"
    assert call["workers"] == 2
    assert call["proxy_headers"] is False
    assert call["server_header"] is False
    assert call["http"] == "authsvc.protocol_httptools:ProblemHttpToolsProtocol"
    assert call["host"] == "127.0.0.1"
    assert call["multiproc"]
    assert not Path(call["multiproc"]).exists()  # cleaned up after uvicorn returns
    assert "PROMETHEUS_MULTIPROC_DIR" not in __import__("os").environ  # and forgotten


def _stamp_newer_revision(url: str) -> None:
    """Leave the database as a newer version would: migrated to a revision we do not ship."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_newer'")
    finally:
        engine.dispose()


def test_serve_after_a_rollback_serves_the_newer_schema(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A database a newer version migrated is served as it is, with a warning.

    Upgrading it would fail on the unknown revision, so a rolled-back version could not
    start at all: the rollback that ends an outage would itself fail.
    """
    import uvicorn  # noqa: PLC0415

    assert cli.main(["migrate"]) == 0
    _stamp_newer_revision(db_url)
    started: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: started.append(current_revision(db_url)))
    monkeypatch.setenv("AUTHSVC_SIGNING_KEYS", KEYS)
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        assert cli.main(["serve", "--port", "0"]) == 0
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
    assert started == ["9999_newer"]  # served, schema untouched
    (ahead,) = [r for r in caplog.records if r.getMessage() == "schema_ahead"]
    assert ahead.levelno == logging.WARNING
    assert "9999_newer" in JsonFormatter().format(ahead)


def test_import_refuses_a_database_a_newer_version_migrated(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing is written under a schema this version does not know: exit 2, a reason."""
    assert cli.main(["migrate"]) == 0
    _stamp_newer_revision(db_url)
    source = tmp_path / "users.jsonl"
    source.write_text(
        json.dumps(
            {
                "email": "a@example.com",
                "password_hash": make_pbkdf2_sha256("pw-123456", iterations=1000),
            }
        )
        + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert cli.main(["import-users", str(source)]) == 2
    assert "revision 9999_newer, newer than this version knows" in capsys.readouterr().err
    assert current_revision(db_url) == "9999_newer"


def test_unexpected_errors_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug is one line on stderr and exit 1."""

    def boom(_args: Any) -> int:
        raise RuntimeError("internal")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        action.choices["openapi"].set_defaults(func=boom)  # type: ignore[index]
    assert cli.main(["openapi"]) == 1
    assert "failed: RuntimeError" in capsys.readouterr().err


def test_python_dash_m(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m authsvc` is the same command."""
    import runpy  # noqa: PLC0415
    import sys  # noqa: PLC0415

    argv = sys.argv
    sys.argv = ["authsvc", "--help"]
    try:
        with pytest.raises(SystemExit) as info:
            runpy.run_module("authsvc", run_name="__main__")
    finally:
        sys.argv = argv
    assert info.value.code == 0
    assert "import-users" in capsys.readouterr().out

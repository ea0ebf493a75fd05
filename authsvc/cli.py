"""The ``authsvc`` command: serve, migrate, import-users, openapi.

Exit codes: 0 success, 1 failure (a rejected import line, an OpenAPI drift, an unreachable
database, a port already in use), 2 bad usage or input (argparse errors, invalid settings, a
missing file), 3 an unknown ``AUTHSVC_*`` variable (a mistyped, renamed or removed setting).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from authsvc import __version__

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNKNOWN_SETTING = 0, 1, 2, 3

_SETTINGS_EPILOG = """\
settings come from environment variables, AUTHSVC_<NAME>; the ones to know:
  AUTHSVC_DATABASE_URL   SQLAlchemy URL (default: sqlite:///./authsvc.db, in the
                         working directory)
  AUTHSVC_SIGNING_KEYS   JSON list [{"kid": ..., "secret": ...}]; required unless
  AUTHSVC_DEV_MODE=true  (development: an ephemeral key, /docs and /redoc served)
docs/authsvc.md lists every AUTHSVC_* variable with its default and range; an
AUTHSVC_* variable that is no setting refuses the start (exit 3)."""


class _ExitError(Exception):
    """A failure whose message says it all (no traceback, no exception type): exit ``code``."""

    code = EXIT_FAILURE


class _UsageError(_ExitError):
    """Bad input from the command line or the environment: exit 2."""

    code = EXIT_USAGE


class _UnknownSettingError(_ExitError):
    """An ``AUTHSVC_*`` variable that is no setting: exit 3, before anything is created."""

    code = EXIT_UNKNOWN_SETTING


class _ServeError(_ExitError):
    """A start-up failure: exit 1."""


def _check_address_free(host: str, port: int) -> None:
    """Raise unless ``host:port`` can be bound now.

    Run before migrating, so that a second ``authsvc serve`` on a taken port leaves no new
    database behind. uvicorn binds again right after; the window between is harmless (its
    own bind error is the answer then).
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise _UsageError(f"cannot listen on {host!r}: {exc.strerror}") from None
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            # As uvicorn binds: a port whose old connections linger in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise _ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _settings_line(err: ErrorDetails) -> str:
    # pydantic prefixes a validator's own message; ours are written to stand alone.
    message = err["msg"].removeprefix("Value error, ")
    loc = err["loc"]
    if not loc:  # a rule across settings (model validator): its message names them
        return f"  {message}"
    variable = f"AUTHSVC_{str(loc[0]).upper()}"
    # Inside a JSON setting, say where: AUTHSVC_SIGNING_KEYS (item 1, secret).
    inside = ", ".join(f"item {p + 1}" if isinstance(p, int) else str(p) for p in loc[1:])
    return f"  {variable}{f' ({inside})' if inside else ''}: {message}"


def _settings_error(exc: ValidationError) -> _UsageError:
    # Field and message only: pydantic's default rendering quotes the input value,
    # which for AUTHSVC_SIGNING_KEYS is the secret.
    lines = [_settings_line(err) for err in exc.errors()]
    return _UsageError("invalid settings:\n" + "\n".join(lines))


def _describe(exc: Exception) -> str:
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    # A driver's own message ("could not connect", "unable to open database file") helps
    # the operator; SQLAlchemy's rendering would add the statement and its parameters.
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first_line = (str(exc.orig).splitlines() or [""])[0][:200]
        return f"{type(exc.orig).__name__}: {first_line}"
    return type(exc).__name__


def _load(kind: type[Any]) -> Any:
    from pydantic_settings import SettingsError  # noqa: PLC0415

    from authsvc.config import UnknownSettingError, check_environment  # noqa: PLC0415

    try:
        warnings = check_environment(os.environ)
    except UnknownSettingError as exc:
        raise _UnknownSettingError(str(exc)) from None
    for warning in warnings:
        print(f"authsvc: warning: {warning}", file=sys.stderr)
    try:
        return kind()
    except ValidationError as exc:
        raise _settings_error(exc) from None
    except SettingsError as exc:  # a variable that should hold JSON does not
        raise _UsageError(f"invalid settings: {exc}") from None


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 (heavy, and only this command needs it)

    from authsvc.config import Settings  # noqa: PLC0415
    from authsvc.logs import configure_logging, log_event  # noqa: PLC0415
    from authsvc.metrics import MULTIPROC_ENV  # noqa: PLC0415
    from authsvc.protocol import protocol_path  # noqa: PLC0415
    from authsvc.store.migrate import revision_ahead, upgrade  # noqa: PLC0415

    settings: Settings = _load(Settings)
    if settings.uses_ephemeral_key and args.workers > 1:
        raise _UsageError("dev mode without signing keys runs one worker only (keys differ)")
    configure_logging(settings.log_level)
    _check_address_free(args.host, args.port)
    ahead = revision_ahead(settings.database_url)
    if ahead is None:
        upgrade(settings.database_url)
    else:
        # A rollback: a newer version migrated this database. Serve on its schema.
        log_event("schema_ahead", outcome="serving", reason=ahead, level=logging.WARNING)
    made_dir = None
    if args.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # Workers are separate processes; this makes /metrics aggregate all of them.
        made_dir = tempfile.mkdtemp(prefix="authsvc-metrics-")
        os.environ[MULTIPROC_ENV] = made_dir
    try:
        uvicorn.run(
            "authsvc.app:create_serving_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,  # the app logs one JSON line per request itself
            server_header=False,
            # X-Forwarded-For is interpreted by the app, from AUTHSVC_TRUSTED_PROXIES only.
            proxy_headers=False,
            # Requests the parser rejects get problem+json too, not uvicorn's plain text.
            http=protocol_path(),
        )
    finally:
        if made_dir is not None:
            # Gone with its directory: a later app in this process (tests call main()
            # in-process) must not look for worker files in a directory that is no more.
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(made_dir, ignore_errors=True)
    return EXIT_OK


def _cmd_migrate(args: argparse.Namespace) -> int:
    from alembic.util import CommandError  # noqa: PLC0415

    from authsvc.config import StoreSettings  # noqa: PLC0415
    from authsvc.store.migrate import current_revision, upgrade  # noqa: PLC0415

    settings: StoreSettings = _load(StoreSettings)
    try:
        upgrade(settings.database_url, args.revision)
    except CommandError as exc:
        raise _UsageError(str(exc)) from None
    print(f"database at revision {current_revision(settings.database_url)}")
    return EXIT_OK


def _cmd_import_users(args: argparse.Namespace) -> int:
    from authsvc.clock import SystemClock  # noqa: PLC0415
    from authsvc.config import StoreSettings  # noqa: PLC0415
    from authsvc.services.importer import import_users  # noqa: PLC0415
    from authsvc.store.db import Database, make_engine  # noqa: PLC0415
    from authsvc.store.migrate import revision_ahead, upgrade  # noqa: PLC0415
    from authsvc.store.repository import Repository  # noqa: PLC0415

    settings: StoreSettings = _load(StoreSettings)
    ahead = revision_ahead(settings.database_url)
    if ahead is not None:
        # Rows written with this version's idea of the schema could miss newer columns.
        raise _UsageError(
            f"the database is at revision {ahead}, newer than this version knows; "
            "import with the version that migrated it"
        )
    try:
        source = Path(args.file).open("rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    upgrade(settings.database_url)
    db = Database(make_engine(settings.database_url))
    try:
        with source:
            report = import_users(source, Repository(db), SystemClock())
    except OSError as exc:
        raise _UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    finally:
        db.dispose()
    for rejection in report.rejected:
        print(f"line {rejection.line}: {', '.join(rejection.reasons)}", file=sys.stderr)
    print(f"imported {report.imported}, rejected {len(report.rejected)}")
    if args.report:
        text = json.dumps(report.as_dict(), indent=2) + "\n"
        try:
            Path(args.report).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _UsageError(f"cannot write {args.report}: {exc.strerror}") from None
    return EXIT_FAILURE if report.rejected else EXIT_OK


def _cmd_openapi(args: argparse.Namespace) -> int:
    from authsvc.app import openapi_document  # noqa: PLC0415

    document = openapi_document()
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.check:
        try:
            committed = json.loads(Path(args.check).read_text(encoding="utf-8"))
        except OSError as exc:
            raise _UsageError(f"cannot read {args.check}: {exc.strerror}") from None
        except ValueError:
            raise _UsageError(f"{args.check} is not JSON") from None
        if committed != json.loads(text):
            print(
                f"{args.check} differs from the API: run `authsvc openapi --output {args.check}`",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        print(f"{args.check} is up to date")
        return EXIT_OK
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("port must be 0-65535")
    return port


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="authsvc",
        description="The authsvc login service.",
        epilog="Settings are AUTHSVC_* environment variables: see `authsvc serve --help`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="migrate the database, then serve HTTP",
        description="Check that the address is free, migrate the database to this version's\n"
        "schema, then serve the API with uvicorn until SIGTERM or Ctrl-C.",
        epilog=_SETTINGS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="TCP port, 0 for any free one (default: %(default)s)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes; more than 1 needs AUTHSVC_SIGNING_KEYS (default: %(default)s)",
    )
    serve.set_defaults(func=_cmd_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    migrate.set_defaults(func=_cmd_migrate)

    importer = commands.add_parser("import-users", help="import accounts from JSON Lines")
    importer.add_argument("file", metavar="FILE.jsonl")
    importer.add_argument("--report", metavar="FILE", help="also write a JSON report here")
    importer.set_defaults(func=_cmd_import_users)

    openapi = commands.add_parser("openapi", help="write or check the OpenAPI document")
    target = openapi.add_mutually_exclusive_group()
    target.add_argument("--output", metavar="FILE", help="write the document to FILE")
    target.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the API")
    openapi.set_defaults(func=_cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 for --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        result: int = args.func(args)
    except _ExitError as exc:
        print(f"authsvc {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 (a clear line, not a traceback)
        print(f"authsvc {args.command}: failed: {_describe(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    return result

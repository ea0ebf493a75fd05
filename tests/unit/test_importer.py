"""Line validation and per-line transactions of the user import."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from authsvc.clock import ManualClock
from authsvc.domain.credentials import UserRecord
from authsvc.security.hashing import PasswordHasher, make_bcrypt, make_pbkdf2_sha256
from authsvc.services.importer import Candidate, import_users, parse_line
from authsvc.store.repository import Repository

PBKDF2 = make_pbkdf2_sha256("legacy password", iterations=1000, salt="salt")
BCRYPT = make_bcrypt("legacy password", rounds=4)


def _line(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_valid_line() -> None:
    """A complete, valid record becomes a candidate with canonical and display forms."""
    parsed = parse_line(_line(email=" Ada@Example.COM ", password_hash=PBKDF2, disabled=True))
    assert parsed == Candidate("ada@example.com", "Ada@Example.COM", PBKDF2, True)


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        (b"{", ["invalid_json"]),
        (b"\xff\xfe", ["invalid_encoding"]),
        (b"[1]", ["not_an_object"]),
        (_line(password_hash=PBKDF2), ["missing_email"]),
        (_line(email="a@example.com"), ["missing_password_hash"]),
        (_line(email="nope", password_hash=PBKDF2), ["email_invalid"]),
        (_line(email=7, password_hash=PBKDF2), ["email_not_a_string"]),
        (_line(email="a@example.com", password_hash="md5$x"), ["unsupported_hash"]),  # noqa: S106
        (_line(email="a@example.com", password_hash=7), ["unsupported_hash"]),
        (
            _line(email="a@example.com", password_hash=PBKDF2, disabled="no"),
            ["disabled_not_a_boolean"],
        ),
        (
            _line(email="a@example.com", password_hash=PBKDF2, is_admin=True, id="x"),
            ["unknown_field:id", "unknown_field:is_admin"],
        ),
        (b"[" * 100_000, ["invalid_json"]),
    ],
)
def test_invalid_lines(raw: bytes, reasons: list[str]) -> None:
    """Each problem has a reason code; several can be reported for one line."""
    assert parse_line(raw) == reasons


def test_import_reports_lines_and_inserts_the_rest(repo: Repository) -> None:
    """Good lines land, bad lines are reported with their numbers; blank lines skipped."""
    argon = PasswordHasher().hash("x" * 10)
    repo.create_user(
        UserRecord(
            "existing", "taken@example.com", "taken@example.com", argon, False, datetime.now(UTC)
        )
    )
    lines = [
        _line(email="a@example.com", password_hash=PBKDF2),
        b"",
        _line(email="A@EXAMPLE.COM", password_hash=BCRYPT),
        _line(email="taken@example.com", password_hash=PBKDF2),
        b"not json",
        _line(email="b@example.com", password_hash=argon, disabled=True),
    ]
    report = import_users(lines, repo, ManualClock())
    assert report.imported == 2
    assert report.skipped_blank == 1
    assert [(r.line, r.reasons) for r in report.rejected] == [
        (3, ("duplicate_in_file:line_1",)),
        (4, ("email_taken",)),
        (5, ("invalid_json",)),
    ]
    imported = repo.find_user("b@example.com")
    assert imported is not None
    assert imported.disabled
    assert imported.password_hash == argon
    assert report.as_dict()["rejected"][0] == {"line": 3, "reasons": ["duplicate_in_file:line_1"]}


def test_reports_never_contain_the_hash(repo: Repository) -> None:
    """Reasons are codes only."""
    report = import_users([_line(email="x", password_hash=PBKDF2)], repo, ManualClock())
    assert PBKDF2 not in json.dumps(report.as_dict())

"""Bulk import of accounts with legacy hashes (``authsvc import-users``).

Input is JSON Lines, one account a line::

    {"email": "ada@example.com", "password_hash": "pbkdf2_sha256$…", "disabled": false}

Every line is validated on its own (JSON object, known fields only, e-mail acceptable,
hash well-formed in a supported scheme, no duplicate canonical e-mail in the file or the
database), and each accepted line is inserted in its own transaction: a line is imported
whole or not at all, and one bad line does not stop the others. Blank lines are skipped.
Rejections carry line numbers and reason codes, never the submitted hash.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from authsvc.clock import Clock
from authsvc.domain.credentials import UserRecord
from authsvc.domain.outcomes import EmailTaken
from authsvc.security.hashing import is_supported
from authsvc.security.identifiers import canonical_email, email_problem
from authsvc.store.models import EMAIL_LENGTH
from authsvc.store.repository import Repository

__all__ = ["Candidate", "ImportReport", "Rejection", "import_users", "parse_line"]

_FIELDS = frozenset({"email", "password_hash", "disabled"})
_MAX_HASH_LENGTH = 512


@dataclass(frozen=True)
class Rejection:
    """A line that was not imported, and why (reason codes)."""

    line: int
    reasons: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did."""

    imported: int = 0
    skipped_blank: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "imported": self.imported,
            "rejected": [{"line": r.line, "reasons": list(r.reasons)} for r in self.rejected],
            "skipped_blank": self.skipped_blank,
        }


@dataclass(frozen=True)
class Candidate:
    """A line that passed validation, ready to insert."""

    canonical: str
    display: str
    password_hash: str
    disabled: bool


def _check_email(value: Any) -> tuple[str | None, str | None]:
    """Return ``(display form, None)`` or ``(None, reason)``."""
    if not isinstance(value, str):
        return None, "email_not_a_string"
    if code := email_problem(value):
        return None, code
    display = value.strip()
    if len(display) > EMAIL_LENGTH:
        return None, "email_too_long"
    return display, None


def parse_line(raw: bytes) -> Candidate | list[str]:
    """Validate one line: a candidate account, or the list of reasons it is refused."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return ["invalid_encoding"]
    except (ValueError, RecursionError):
        return ["invalid_json"]
    if not isinstance(data, dict):
        return ["not_an_object"]
    reasons = [f"unknown_field:{name[:64]}" for name in sorted(set(data) - _FIELDS)]
    display, email_reason = _check_email(data.get("email")) if "email" in data else (None, None)
    if "email" not in data:
        reasons.append("missing_email")
    elif email_reason:
        reasons.append(email_reason)
    password_hash = data.get("password_hash")
    if "password_hash" not in data:
        reasons.append("missing_password_hash")
    elif (
        not isinstance(password_hash, str)
        or len(password_hash) > _MAX_HASH_LENGTH
        or not is_supported(password_hash)
    ):
        reasons.append("unsupported_hash")
    disabled = data.get("disabled", False)
    if not isinstance(disabled, bool):
        reasons.append("disabled_not_a_boolean")
    if reasons or display is None or not isinstance(password_hash, str):
        return reasons or ["invalid_record"]
    return Candidate(canonical_email(display), display, password_hash, disabled)


def import_users(lines: Iterable[bytes], repo: Repository, clock: Clock) -> ImportReport:
    """Validate and insert every line of ``lines``; return the report."""
    report = ImportReport()
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            report.skipped_blank += 1
            continue
        parsed = parse_line(raw)
        if isinstance(parsed, list):
            report.rejected.append(Rejection(number, tuple(parsed)))
            continue
        if parsed.canonical in first_seen:
            reason = f"duplicate_in_file:line_{first_seen[parsed.canonical]}"
            report.rejected.append(Rejection(number, (reason,)))
            continue
        first_seen[parsed.canonical] = number
        user = UserRecord(
            id=str(uuid.uuid4()),
            email_canonical=parsed.canonical,
            email_display=parsed.display,
            password_hash=parsed.password_hash,
            disabled=parsed.disabled,
            created_at=clock.now(),
        )
        try:
            repo.create_user(user)
        except EmailTaken:
            report.rejected.append(Rejection(number, ("email_taken",)))
            continue
        report.imported += 1
    return report

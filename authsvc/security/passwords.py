"""Password normalisation and the registration password policy.

One documented normalisation, applied the same way at registration and at login:
Unicode NFKC, nothing else. Spaces are significant (no stripping), case is significant
(no folding), and nothing is truncated. The policy follows NIST SP 800-63B: a minimum
length counted in code points, a generous maximum, a blocklist of common passwords, no
composition rules.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

from authsvc.security.identifiers import canonical_email

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "PASSWORD_COMMON",
    "PASSWORD_CONTAINS_EMAIL",
    "PASSWORD_INVALID",
    "PASSWORD_TOO_LONG",
    "PASSWORD_TOO_SHORT",
    "PasswordPolicy",
    "common_passwords",
    "is_too_long",
    "normalize_password",
]

#: The hard ceiling, in code points: anything longer is refused before any hashing, so a
#: megabyte "password" costs nothing.
MAX_PASSWORD_LENGTH = 1024

PASSWORD_TOO_SHORT = "password_too_short"
PASSWORD_TOO_LONG = "password_too_long"
PASSWORD_COMMON = "password_common"
PASSWORD_CONTAINS_EMAIL = "password_contains_email"
#: Lone surrogates (only reachable through JSON ``\\ud800`` escapes) cannot be encoded
#: as UTF-8, so such a password could never be hashed.
PASSWORD_INVALID = "password_invalid"

# A local part shorter than this ("bob") matches too many honest passwords to reject on.
_MIN_EMAIL_LOCAL_PART = 4


def normalize_password(raw: str) -> str:
    """Return the form of a password that is hashed and compared: NFKC only.

    NFC and NFD spellings of the same text (``"é"`` vs ``"e\\u0301"``) become one;
    whitespace and case are kept exactly as typed.
    """
    return unicodedata.normalize("NFKC", raw)


def is_too_long(raw: str) -> bool:
    """Return whether ``raw`` exceeds :data:`MAX_PASSWORD_LENGTH` code points.

    Checked on the raw input, before normalisation or hashing, on every path.
    """
    return len(raw) > MAX_PASSWORD_LENGTH


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the blocklist (lower-case entries), loaded once from package data."""
    text = (
        resources.files("authsvc")
        .joinpath("data", "common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(entry for line in text.splitlines() if (entry := line.strip()))


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class PasswordPolicy:
    """Rules a new password must satisfy; lengths are counted in code points."""

    min_length: int = 8
    max_length: int = MAX_PASSWORD_LENGTH

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")
        if self.max_length < self.min_length:
            raise ValueError("max_length must not be less than min_length")
        # A policy that accepted more than is_too_long() allows would register
        # passwords that can never log in.
        if self.max_length > MAX_PASSWORD_LENGTH:
            raise ValueError(f"max_length must not exceed {MAX_PASSWORD_LENGTH}")

    def problems(self, password: str, *, email: str | None = None) -> list[str]:
        """Return the reason codes ``password`` fails on; an empty list means acceptable.

        ``password`` may be raw or already normalised (normalisation is idempotent).
        Codes: ``"password_too_short"``, ``"password_too_long"``, ``"password_common"``,
        ``"password_contains_email"`` (the e-mail's local part, if at least 4 long, or
        the whole canonical e-mail appears in the casefolded password) and
        ``"password_invalid"`` (unencodable text). A too-long password is reported
        alone, without examining it further.
        """
        if len(password) > self.max_length:
            return [PASSWORD_TOO_LONG]
        normalized = normalize_password(password)
        if len(normalized) > self.max_length:  # NFKC can expand (U+FDFA: 18 code points)
            return [PASSWORD_TOO_LONG]
        found: list[str] = []
        if not _is_encodable(normalized):
            found.append(PASSWORD_INVALID)
        if len(normalized) < self.min_length:
            found.append(PASSWORD_TOO_SHORT)
        folded = normalized.casefold()
        if folded in common_passwords():
            found.append(PASSWORD_COMMON)
        if email is not None and _contains_email(folded, email):
            found.append(PASSWORD_CONTAINS_EMAIL)
        return found


def _contains_email(folded_password: str, email: str) -> bool:
    canonical = canonical_email(email)
    if not canonical:
        return False
    if canonical in folded_password:
        return True
    local = canonical.rpartition("@")[0] if "@" in canonical else canonical
    return len(local) >= _MIN_EMAIL_LOCAL_PART and local in folded_password

"""Password hashing: argon2id for new hashes; legacy PBKDF2-SHA256 and bcrypt verified.

Inputs are the already-normalised password (see
:func:`authsvc.security.passwords.normalize_password`); this module never normalises,
strips or truncates a password it hashes. Stored formats:

- argon2id PHC string (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), the only one written;
- Django ``pbkdf2_sha256$<iterations>$<salt>$<base64 sha256 hash>``;
- bcrypt ``$2a$`` / ``$2b$`` / ``$2y$`` (60 characters).

A legacy hash that verifies reports ``needs_upgrade`` so the caller rehashes it with
argon2id, which keeps the whole password; argon2id reports it when its parameters differ
from the current ones.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

import argon2
import bcrypt
from argon2.exceptions import Argon2Error, InvalidHashError

__all__ = [
    "ARGON2ID",
    "BCRYPT",
    "BCRYPT_MAX_BYTES",
    "MAX_PBKDF2_ITERATIONS",
    "PBKDF2_SHA256",
    "UNKNOWN",
    "Argon2Params",
    "PasswordHasher",
    "VerifyResult",
    "is_supported",
    "make_bcrypt",
    "make_pbkdf2_sha256",
    "scheme_of",
]

ARGON2ID = "argon2id"
PBKDF2_SHA256 = "pbkdf2_sha256"
BCRYPT = "bcrypt"
UNKNOWN = "unknown"

#: bcrypt only ever hashed this many bytes of a password.
BCRYPT_MAX_BYTES = 72
#: Upper bound accepted for a stored PBKDF2 hash: more would let one imported record
#: cost minutes of CPU per login attempt.
MAX_PBKDF2_ITERATIONS = 10_000_000
# The same reasoning for imported argon2id hashes: bound what one verify can cost.
_MAX_ARGON2_MEMORY_KIB = 1024 * 1024  # 1 GiB
_MAX_ARGON2_TIME_COST = 64
_MAX_ARGON2_PARALLELISM = 64

_BCRYPT_RE = re.compile(r"\$(2[aby])\$(\d\d)\$[./A-Za-z0-9]{53}")
_PBKDF2_ITERATIONS_RE = re.compile(r"[1-9][0-9]{0,7}")
_SALT_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters (memory in KiB). Defaults: OWASP's m=19 MiB, t=2, p=1."""

    memory_cost: int = 19456
    time_cost: int = 2
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_cost < 8 * self.parallelism:
            raise ValueError("memory_cost must be at least 8 KiB per lane")


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a verification. ``needs_upgrade`` is only ever true when ``ok`` is."""

    ok: bool
    needs_upgrade: bool
    scheme: str


def scheme_of(stored: str) -> str | None:
    """Return the scheme a stored hash claims by its prefix, or ``None`` if unknown.

    This looks at the prefix only; :func:`is_supported` checks the whole string.
    """
    if stored.startswith("$argon2id$"):
        return ARGON2ID
    if stored.startswith("pbkdf2_sha256$"):
        return PBKDF2_SHA256
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        return BCRYPT
    return None


def is_supported(stored: str) -> bool:
    """Return whether ``stored`` is a well-formed hash this module can verify.

    Used to validate imports: PBKDF2 iterations a positive integer up to 10,000,000, a
    non-empty salt, and a base64 hash of 32 bytes; bcrypt 60 characters with a cost of
    4-31; argon2id parseable, with bounded costs.
    """
    scheme = scheme_of(stored)
    if scheme == ARGON2ID:
        return _argon2_params(stored) is not None
    if scheme == PBKDF2_SHA256:
        return _parse_pbkdf2(stored) is not None
    if scheme == BCRYPT:
        match = _BCRYPT_RE.fullmatch(stored)
        return match is not None and 4 <= int(match.group(2)) <= 31
    return False


def _argon2_params(stored: str) -> argon2.Parameters | None:
    try:
        params = argon2.extract_parameters(stored)
    except (InvalidHashError, ValueError):
        return None
    if (
        params.type is not argon2.Type.ID
        or params.memory_cost > _MAX_ARGON2_MEMORY_KIB
        or params.time_cost > _MAX_ARGON2_TIME_COST
        or params.parallelism > _MAX_ARGON2_PARALLELISM
    ):
        return None
    return params


def _parse_pbkdf2(stored: str) -> tuple[int, str, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != PBKDF2_SHA256:
        return None
    _, iterations_text, salt, encoded = parts
    if not _PBKDF2_ITERATIONS_RE.fullmatch(iterations_text):
        return None
    iterations = int(iterations_text)
    if iterations > MAX_PBKDF2_ITERATIONS or not salt:
        return None
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(digest) != hashlib.sha256().digest_size:
        return None
    return iterations, salt, digest


def _pbkdf2(password: str, salt: str, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)


def _bcrypt_input(password: str) -> bytes:
    # bcrypt only ever looked at the first 72 bytes of a password: the legacy systems
    # that produced these hashes hashed exactly this prefix, so verifying it is faithful,
    # not lossy. bcrypt >= 5 raises instead of truncating silently, hence the slice.
    # New hashes are never bcrypt, and the upgrade to argon2id keeps the full password.
    return password.encode()[:BCRYPT_MAX_BYTES]


class PasswordHasher:
    """Hashes new passwords with argon2id and verifies every supported scheme.

    All methods take the already-normalised password. :meth:`verify` and
    :meth:`dummy_verify` never raise on bad input.
    """

    def __init__(self, params: Argon2Params = Argon2Params()) -> None:
        self._params = params
        self._argon2 = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        self._dummy_hash: str | None = None

    @property
    def params(self) -> Argon2Params:
        """The argon2id parameters new hashes are made with."""
        return self._params

    def hash(self, password: str) -> str:
        """Return an argon2id PHC string for ``password``.

        Raises ``ValueError`` if the password is not encodable as UTF-8 (lone surrogates);
        the password policy refuses those first.
        """
        return self._argon2.hash(password)

    def verify(self, stored: str, password: str) -> VerifyResult:
        """Check ``password`` against ``stored``, whatever its supported scheme.

        An unknown or malformed ``stored`` string gives ``ok=False`` after a dummy
        argon2id verification, so a corrupt record costs the same as a real one.
        """
        scheme = scheme_of(stored)
        if scheme is None or not is_supported(stored) or not _is_encodable(password):
            self.dummy_verify(password)
            return VerifyResult(ok=False, needs_upgrade=False, scheme=scheme or UNKNOWN)
        if scheme == ARGON2ID:
            return self._verify_argon2(stored, password)
        if scheme == PBKDF2_SHA256:
            ok = _verify_pbkdf2(stored, password)
        else:
            ok = _verify_bcrypt(stored, password)
        return VerifyResult(ok=ok, needs_upgrade=ok, scheme=scheme)

    def _verify_argon2(self, stored: str, password: str) -> VerifyResult:
        try:
            self._argon2.verify(stored, password)
        except (Argon2Error, ValueError):  # mismatch, corrupt hash, unsupported params
            return VerifyResult(ok=False, needs_upgrade=False, scheme=ARGON2ID)
        try:
            upgrade = self._argon2.check_needs_rehash(stored)
        except (Argon2Error, ValueError):
            upgrade = True
        return VerifyResult(ok=True, needs_upgrade=upgrade, scheme=ARGON2ID)

    def dummy_verify(self, password: str) -> None:
        """Spend one argon2id verification at the current parameters, and discard it.

        Used for unknown accounts so that they cost the same as known ones.
        """
        if self._dummy_hash is None:
            # A race here only means two threads make a dummy hash; either one will do.
            self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(16))
        # surrogatepass: even an unencodable password must cost a full verification.
        secret = password.encode("utf-8", "surrogatepass")
        with contextlib.suppress(Argon2Error, ValueError):
            self._argon2.verify(self._dummy_hash, secret)

    def scheme_of(self, stored: str) -> str | None:
        """Same as the module-level :func:`scheme_of`."""
        return scheme_of(stored)

    def is_supported(self, stored: str) -> bool:
        """Same as the module-level :func:`is_supported`."""
        return is_supported(stored)


def _is_encodable(password: str) -> bool:
    try:
        password.encode()
    except UnicodeEncodeError:
        return False
    return True


def _verify_pbkdf2(stored: str, password: str) -> bool:
    parsed = _parse_pbkdf2(stored)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_pbkdf2(password, salt, iterations), expected)


def _verify_bcrypt(stored: str, password: str) -> bool:
    try:
        return bcrypt.checkpw(_bcrypt_input(password), stored.encode("ascii"))
    except ValueError:  # e.g. a salt the library rejects
        return False


def make_pbkdf2_sha256(password: str, *, iterations: int = 600_000, salt: str | None = None) -> str:
    """Return a Django-format PBKDF2-SHA256 hash (for tests and the population generator)."""
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise ValueError(f"iterations must be in 1..{MAX_PBKDF2_ITERATIONS}")
    if salt is None:
        salt = "".join(secrets.choice(_SALT_ALPHABET) for _ in range(22))
    if not salt or "$" in salt:
        raise ValueError("salt must be non-empty and must not contain '$'")
    digest = base64.b64encode(_pbkdf2(password, salt, iterations)).decode("ascii")
    return f"{PBKDF2_SHA256}${iterations}${salt}${digest}"


def make_bcrypt(password: str, *, rounds: int = 12, prefix: str = "2b") -> str:
    """Return a bcrypt hash (for tests and the population generator).

    ``prefix`` is ``"2a"``, ``"2b"`` or ``"2y"``. A password over 72 bytes is truncated
    to its first 72 UTF-8 bytes, exactly as the legacy systems did.
    """
    if prefix not in {"2a", "2b", "2y"}:
        raise ValueError("prefix must be one of '2a', '2b', '2y'")
    if not 4 <= rounds <= 31:
        raise ValueError("rounds must be in 4..31")
    # The library writes only $2a$/$2b$; $2y$ (PHP's name for the fixed algorithm) is
    # the same hash under another label.
    salt = bcrypt.gensalt(rounds, prefix=b"2a" if prefix == "2a" else b"2b")
    hashed = bcrypt.hashpw(_bcrypt_input(password), salt).decode("ascii")
    return f"${prefix}${hashed[4:]}"

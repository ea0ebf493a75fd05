"""Password hashes as the legacy systems wrote them, at the costs they used, made here.

The framework makes these records itself (hashlib, bcrypt, argon2-cffi) and never asks the
service under test: the point is to check that the service reads what *other* systems wrote.
Salts come from the caller's seeded random generator, so a population is byte-for-byte
reproducible. Two cost profiles: ``historical`` (what the source systems really used; slow on
purpose) and ``low`` (the same formats at minimal cost, for tests).
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
from dataclasses import dataclass
from typing import Literal

import bcrypt
from argon2 import low_level

from quality_gates.replay.segments import Scheme

CostProfile = Literal["historical", "low"]
COST_PROFILES: tuple[CostProfile, ...] = ("historical", "low")

#: bcrypt only ever hashed this many bytes of a password.
BCRYPT_MAX_BYTES = 72
_STD_B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
_BCRYPT_B64 = "./" + string.ascii_uppercase + string.ascii_lowercase + string.digits
_TO_BCRYPT = str.maketrans(_STD_B64, _BCRYPT_B64)
_SALT_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Argon2Params:
    """argon2id costs (memory in KiB) and the hash length of the library that wrote them."""

    memory_cost: int
    time_cost: int
    parallelism: int
    hash_len: int
    version: int = 0x13


@dataclass(frozen=True)
class Costs:
    """The choices one cost profile draws from."""

    pbkdf2_iterations: tuple[int, ...]
    bcrypt_rounds: int
    argon2: tuple[Argon2Params, ...]


COSTS: dict[CostProfile, Costs] = {
    # Django's PBKDF2 default by release: 1.8 20,000; 1.11 36,000; 2.0 100,000; 2.2 150,000;
    # 3.2 260,000. bcrypt cost 10: the long-time default of PHP's password_hash() and of
    # Node's bcrypt examples. argon2id: argon2-cffi 16's default m=512 KiB t=2 p=2 (16-byte
    # hash), and the OWASP cheat sheet's earlier minimum m=15 MiB t=2 p=1. (argon2-cffi 21.2's
    # RFC 9106 profile, m=64 MiB p=4, would be as old, but costs ten times as much per login,
    # and the replay verifies each legacy hash four times.)
    "historical": Costs(
        pbkdf2_iterations=(20_000, 36_000, 100_000, 150_000, 260_000),
        bcrypt_rounds=10,
        argon2=(Argon2Params(512, 2, 2, 16), Argon2Params(15360, 2, 1, 32)),
    ),
    "low": Costs(
        pbkdf2_iterations=(1_000,),
        bcrypt_rounds=4,
        argon2=(Argon2Params(256, 1, 2, 16),),
    ),
}


#: The settings real systems use beyond the historical profile, one tuple per wide scheme.
#: They are the point of their segments, so both cost profiles use real ones: ``historical``
#: all of them (the account's rank in its segment picks one, so a few accounts cover them
#: all), ``low`` the first (the cheapest) only. Each segment is sampled (a few accounts,
#: Segment.sample) to stay in the replay's budget.
#: Sources, in docs/replay.md ("The population").
WIDE: dict[str, tuple[int | Argon2Params, ...]] = {
    # Django 4.0 390,000; 4.1 480,000; 4.2 600,000; 5.0 720,000; 5.1 870,000; 5.2 1,000,000.
    "pbkdf2-modern": (390_000, 600_000, 720_000, 870_000, 1_000_000),
    # 12: Laravel, Django's BCryptSHA256PasswordHasher, passlib; 13 and 14: hardened setups.
    "bcrypt-12": (12,),
    "bcrypt-high": (13, 14),
    # argon2id as written before argon2 1.3 (version 0x10), at argon2-cffi 16's costs.
    "argon2-v16": (Argon2Params(512, 2, 2, 16, version=0x10),),
    # argon2-cffi 21.2 (t=3, 64 MiB, p=4); Django 4.x/5.x Argon2PasswordHasher (t=2, 100 MiB, p=8).
    "argon2-modern": (Argon2Params(65_536, 3, 4, 32), Argon2Params(102_400, 2, 8, 32)),
}


def pbkdf2_sha256(
    password: str, rng: random.Random, costs: Costs, iterations: int | None = None
) -> str:
    """Django's ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``."""
    if iterations is None:
        iterations = rng.choice(costs.pbkdf2_iterations)
    salt = "".join(rng.choice(_SALT_CHARS) for _ in range(12))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def bcrypt_hash(
    password: str, rng: random.Random, costs: Costs, prefix: str = "2b", rounds: int | None = None
) -> str:
    """A bcrypt hash of the first 72 bytes of ``password`` (all bcrypt ever read).

    ``prefix`` ``2y`` is PHP's label for the same algorithm; the library writes ``2b``.
    """
    raw_salt = rng.randbytes(16)
    salt = base64.b64encode(raw_salt).decode("ascii")[:22].translate(_TO_BCRYPT)
    setting = f"$2b${rounds or costs.bcrypt_rounds:02d}${salt}".encode("ascii")
    hashed = bcrypt.hashpw(password.encode()[:BCRYPT_MAX_BYTES], setting).decode("ascii")
    return f"${prefix}${hashed[4:]}"


def argon2id_hash(
    password: str, rng: random.Random, costs: Costs, params: Argon2Params | None = None
) -> str:
    """An argon2id PHC string made with one of the profile's older parameter sets."""
    if params is None:
        params = rng.choice(costs.argon2)
    encoded = low_level.hash_secret(
        password.encode(),
        rng.randbytes(16),
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=params.hash_len,
        type=low_level.Type.ID,
        version=params.version,
    )
    return encoded.decode("ascii")


def make_hash(
    scheme: Scheme, password: str, rng: random.Random, profile: CostProfile, rank: int = 0
) -> str:
    """The stored hash a legacy system wrote for ``password`` in ``scheme``.

    ``rank`` (the account's rank in its segment) picks the setting of a wide scheme.
    """
    costs = COSTS[profile]
    if scheme in WIDE:
        choices = WIDE[scheme]
        setting = choices[rank % len(choices)] if profile == "historical" else choices[0]
        if isinstance(setting, Argon2Params):
            return argon2id_hash(password, rng, costs, setting)
        if scheme == "pbkdf2-modern":
            return pbkdf2_sha256(password, rng, costs, setting)
        return bcrypt_hash(password, rng, costs, rounds=setting)
    if scheme == "pbkdf2":
        return pbkdf2_sha256(password, rng, costs)
    if scheme == "argon2-old":
        return argon2id_hash(password, rng, costs)
    return bcrypt_hash(password, rng, costs, prefix="2y" if scheme == "bcrypt-2y" else "2b")

"""authsvc's census hook: per account, the hash scheme, its parameters and the e-mail's shape.

Prints one JSON line per user and nothing else: never the hash, its salt or digest, nor the
address (``quality-gates census`` refuses a line that holds any of them). Only the parameters
are read out of a stored hash; the e-mail is reduced to its shape class by the framework's
classifier, which works on the address the user typed at registration.
"""

from __future__ import annotations

import json
import os
from typing import TextIO

import argon2
from argon2.exceptions import InvalidHashError
from sqlalchemy import Engine, select

from authsvc.security.hashing import Argon2Params, scheme_of
from authsvc.store.models import users
from quality_gates.replay.emails import classify


def _current() -> tuple[int, int, int]:
    # The service's own argon2id settings (authsvc.config), from the same environment.
    default = Argon2Params()
    return (
        int(os.environ.get("AUTHSVC_ARGON2_MEMORY_COST", default.memory_cost)),
        int(os.environ.get("AUTHSVC_ARGON2_TIME_COST", default.time_cost)),
        int(os.environ.get("AUTHSVC_ARGON2_PARALLELISM", default.parallelism)),
    )


def describe(stored: str) -> dict[str, object]:
    """The scheme and parameters of a stored hash, as the census wants them."""
    scheme = scheme_of(stored)
    if scheme == "pbkdf2_sha256":
        return {"scheme": scheme, "params": {"iterations": int(stored.split("$")[1])}}
    if scheme == "bcrypt":
        _, prefix, cost, _ = stored.split("$", 3)
        return {"scheme": scheme, "params": {"prefix": prefix, "cost": int(cost)}}
    try:
        params = argon2.extract_parameters(stored)
    except (InvalidHashError, ValueError):
        return {"scheme": "unknown"}
    settings = (params.memory_cost, params.time_cost, params.parallelism)
    kind = {argon2.Type.ID: "argon2id", argon2.Type.I: "argon2i", argon2.Type.D: "argon2d"}
    return {
        "scheme": kind[params.type],
        "params": {"version": params.version, "m": settings[0], "t": settings[1], "p": settings[2]},
        "current": params.type is argon2.Type.ID
        and params.version == 0x13
        and settings == _current(),
    }


def census(engine: Engine, out: TextIO) -> None:
    """Write the census lines of every user in the database."""
    query = select(users.c.password_hash, users.c.email_display, users.c.disabled)
    with engine.connect() as conn:
        for stored, email, disabled in conn.execute(query):
            line = describe(stored) | {"email_shape": classify(email), "disabled": bool(disabled)}
            out.write(json.dumps(line) + "\n")

"""Shared scenarios of the gate tests: a small app measured by coverage, an OpenAPI document."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.gates._repo import GitRepo

LOGIN_V1 = """\
def check(password):
    if password == "secret":
        return True
    return False
"""

LOGIN_V2 = """\
def check(password):
    if password == "secret":
        return True
    if password == "legacy":
        return True
    return False
"""

UTIL = """\
def add(a, b):
    return a + b


def unused():
    return 0
"""

RUN = """\
from app.auth.login import check
from app.util import add

check("secret")
check("nope")
add(1, 2)
"""


def measure(repo: GitRepo, *extra: str) -> None:
    """Run ``tests/run.py`` under coverage in the repository, as a CI job would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--data-file=.coverage",
            *extra,
            "-m",
            "tests.run",
        ],
        cwd=repo.path,
        env=env,
        check=True,
        capture_output=True,
    )


GEN = "import sys\nsys.stdout.write(open('app_spec.json').read())\n"


def spec() -> dict[str, Any]:
    """A small login API with components, $ref, security and a token response."""
    token = {
        "type": "object",
        "required": ["access_token", "token_type"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["bearer"]},
            "refresh_token": {"type": "string"},
        },
    }
    login = {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "maxLength": 320},
            "password": {"type": "string", "maxLength": 1024},
            "method": {"type": "string", "enum": ["password", "legacy"]},
        },
    }
    node = {
        "type": "object",
        "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
        },
    }
    problem = {
        "description": "problem",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "auth", "version": "1"},
        "security": [{"bearer": []}],
        "paths": {
            "/v1/sessions": {
                "post": {
                    "operationId": "login",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Login"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Token"}
                                }
                            },
                        },
                        "401": problem,
                        "429": {
                            **problem,
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        },
                    },
                }
            },
            "/v1/me": {
                "get": {
                    "parameters": [{"name": "fields", "in": "query", "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "me",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Node"}
                                }
                            },
                        },
                        "401": problem,
                    },
                }
            },
            "/v1/users/{id}": {"delete": {"responses": {"204": {"description": "gone"}}}},
        },
        "components": {
            "schemas": {"Token": token, "Login": login, "Node": node},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

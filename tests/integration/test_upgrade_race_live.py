"""The upgrade-on-login race: simultaneous first logins of an imported-hash account.

Every first login of an imported account verifies the legacy hash and writes an argon2id one
in its place. When a user's phone and laptop log in at the same moment, several requests make
that write at once; all of them must log the user in, exactly one write must win (the others
see the hash already replaced and leave it), and the hash that stays must verify. Runs on
every service of ``conftest.SERVICE_PARAMS``: SQLite and PostgreSQL, one and two workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration._client import in_parallel, new_password, unique_email
from tests.integration._schema_history import django_pbkdf2_sha256, php_bcrypt
from tests.integration._servers import LiveServer
from tests.integration.test_service_live import stored_hash

SIMULTANEOUS_LOGINS = 6


def upgrade_outcomes(log: str) -> list[str]:
    """The outcome of every ``hash_upgrade`` event in a piece of the server's JSON log."""
    outcomes = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # uvicorn's own start-up lines
        if isinstance(record, dict) and record.get("event") == "hash_upgrade":
            outcomes.append(str(record.get("outcome")))
    return outcomes


@pytest.mark.parametrize("make_hash", [django_pbkdf2_sha256, php_bcrypt], ids=["pbkdf2", "bcrypt"])
def test_simultaneous_first_logins_all_succeed_and_upgrade_once(
    service: LiveServer, tmp_path: Path, make_hash: Callable[[str], str]
) -> None:
    email, password = unique_email("upgrade-race"), new_password()
    legacy = make_hash(password)
    source = tmp_path / "users.jsonl"
    record = {"email": email, "password_hash": legacy, "disabled": False}
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    imported = service.run_cli("import-users", str(source))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    log_start = len(service.log_path.read_text(encoding="utf-8", errors="replace"))

    responses = in_parallel(
        service.base_url, SIMULTANEOUS_LOGINS, lambda client, _: client.login(email, password)
    )

    statuses = [response.status_code for response in responses]
    assert statuses == [200] * SIMULTANEOUS_LOGINS, [r.text[:200] for r in responses]
    upgraded = stored_hash(service, email)
    assert upgraded.startswith("$argon2id$"), upgraded
    log = service.log_path.read_text(encoding="utf-8", errors="replace")[log_start:]
    outcomes = upgrade_outcomes(log)
    # Each login that read the legacy hash tried the conditional write; one of them won.
    assert outcomes.count("upgraded") == 1, outcomes
    assert set(outcomes) <= {"upgraded", "conflict"}, outcomes
    # The hash that stayed is the one the winner wrote, and it verifies (no further upgrade).
    again = in_parallel(service.base_url, 1, lambda client, _: client.login(email, password))
    assert again[0].status_code == 200
    assert stored_hash(service, email) == upgraded

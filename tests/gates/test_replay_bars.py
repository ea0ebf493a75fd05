"""The replay gate's bars: real candidate commits of authsvc, replayed against ``main``.

Each candidate is one small patch, committed in a clone of this repository. The gate must fail
each breaking candidate and name the segment it breaks, and pass an A/A run and a pure refactor.

Each test replays a whole population twice (12-17 s), so the module is opt-in
(``--replay-bars``) and runs in ``nox -s replay-bars``, not in ``nox -s tests``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from quality_gates.replay.play import KINDS
from quality_gates.replay.races import RACE_KINDS
from quality_gates.replay.skew import CROSS_KIND
from tests.gates._replay import Clone, Outcome
from tests.integration._postgres import PostgresServer, PostgresUnavailableError

pytestmark = [pytest.mark.slow, pytest.mark.replay_bars, pytest.mark.timeout(600)]


ACCOUNTS = "authsvc/services/accounts.py"
HASHING = "authsvc/security/hashing.py"

SCRYPT = """

def _scrypt_hash(password: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**12, r=8, p=1)
    return f"scrypt${salt}${base64.b64encode(digest).decode('ascii')}"


def _scrypt_verify(stored: str, password: str) -> bool:
    _, salt, encoded = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**12, r=8, p=1)
    return hmac.compare_digest(base64.b64encode(digest).decode("ascii"), encoded)
"""


_KINDS_TABLE = "requests by kind"
_KINDS = (*KINDS, *RACE_KINDS, CROSS_KIND)


def _regressions(outcome: Outcome, kind: str) -> int:
    """Pairs of ``kind`` right on the baseline only (the kinds table's ``b``)."""
    (table,) = (t for t in outcome.result["tables"] if t["title"].startswith(_KINDS_TABLE))
    rows = {row[0]: row for row in table["rows"]}
    return int(rows[kind][5]) if kind in rows else 0


def test_email_lowercased_on_login_only(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        ACCOUNTS,
        "        canonical = canonical_email(email)\n        state = await",
        "        canonical = email.lower()\n        state = await",
        "login: look addresses up in lower case",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert outcome.summary.startswith("candidate fails login for ")
    assert "email-whitespace" in outcome.summary
    assert "email-unicode" in outcome.summary


def test_pbkdf2_verifier_dropped(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        HASHING,
        "            ok = _verify_pbkdf2(stored, password)",
        "            ok = False  # PBKDF2 is obsolete",
        "hashing: stop verifying PBKDF2",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert "segment legacy-pbkdf2 (100% of its accounts)" in outcome.summary
    assert "bcrypt" not in outcome.summary


def test_bcrypt_verifier_dropped(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        HASHING,
        "            ok = _verify_bcrypt(stored, password)",
        "            ok = False  # bcrypt is obsolete",
        "hashing: stop verifying bcrypt",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert "segment legacy-bcrypt" in outcome.summary
    assert "legacy-bcrypt-2y" in outcome.summary
    assert "pbkdf2" not in outcome.summary


def test_rehash_in_a_format_the_baseline_cannot_read(clone: Clone, replay_cache: Path) -> None:
    source = (clone.path / HASHING).read_text(encoding="utf-8")
    patched = (
        source.replace(
            "        return self._argon2.hash(password)", "        return _scrypt_hash(password)"
        ).replace(
            "        scheme = scheme_of(stored)\n        if scheme is None or not is_supported",
            "        if stored.startswith('scrypt$'):\n"
            "            ok = _scrypt_verify(stored, password)\n"
            "            return VerifyResult(ok=ok, needs_upgrade=False, scheme='scrypt')\n"
            "        scheme = scheme_of(stored)\n        if scheme is None or not is_supported",
        )
        + SCRYPT
    )
    assert patched.count("_scrypt_") == 4
    (clone.path / HASHING).write_text(patched, encoding="utf-8")
    clone.commit(HASHING, "hashing: scrypt for new hashes")
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert outcome.summary.startswith("after a rollback to the baseline, login fails for ")
    assert "segment legacy-" in outcome.summary
    assert outcome.result["metrics"]["regressions"] == 0  # the candidate itself works


def test_signing_key_replaced_without_the_old_one(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        "authsvc/config.py",
        "            return [(key.kid, key.secret.get_secret_value())"
        " for key in self.signing_keys]",
        "            return [\n"
        "                (key.kid, __import__('hashlib').sha256(\n"
        "                    b'v2:' + key.secret.get_secret_value().encode()).hexdigest())\n"
        "                for key in self.signing_keys\n"
        "            ]",
        "tokens: derive a fresh signing key",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    # The headline names the widest failure: the seeded tokens (live-session, every account)
    # or the fresh ones crossing nodes (me-cross, every raced account), whichever is wider.
    assert outcome.summary.startswith("candidate fails "), outcome.summary
    assert "segment live-session (100% of its accounts)" in outcome.summary
    assert _regressions(outcome, "me-old-token") > 0


def test_nfkc_normalisation_removed(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        "authsvc/security/passwords.py",
        '    return unicodedata.normalize("NFKC", raw)',
        "    return raw",
        "passwords: compare exactly what was typed",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert "segment password-nfd (100% of its accounts)" in outcome.summary


def test_a_a_run_passes(clone: Clone, replay_cache: Path) -> None:
    outcome = clone.replay(replay_cache, "--replay-mode", "aa")
    assert outcome.code == 0, outcome.summary
    assert outcome.summary.startswith("A/A: 60 accounts in 24 segments, no regression")
    assert outcome.result["metrics"]["discordant_b"] == 0
    assert outcome.result["metrics"]["discordant_c"] == 0


#: The wide legacy settings and the e-mail shapes alone, so each has many accounts.
WIDE = {
    "legacy-pbkdf2-modern": 0.15,
    "legacy-bcrypt-12": 0.15,
    "legacy-bcrypt-high": 0.1,
    "legacy-argon2-v16": 0.1,
    "legacy-argon2-modern": 0.1,
    "email-shapes": 0.4,
}


@pytest.mark.parametrize("seed", ["1", "2"])
def test_a_a_run_of_the_wide_segments_passes(clone: Clone, replay_cache: Path, seed: str) -> None:
    """The baseline logs every account of the new segments in, and agrees with itself."""
    population = clone.path.parent / f"wide-{seed}.toml"
    shares = "".join(f'"{name}" = {share}\n' for name, share in WIDE.items())
    population.write_text(f"[shares]\n{shares}", encoding="utf-8")
    outcome = clone.replay(
        replay_cache,
        "--replay-mode",
        "aa",
        "--replay-seed",
        seed,
        "--replay-population",
        str(population),
    )
    assert outcome.code == 0, outcome.summary
    assert outcome.summary.startswith("A/A: 60 accounts in 6 segments, no regression")
    assert outcome.result["metrics"]["discordant_b"] == 0


def test_pure_refactor_passes(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        HASHING,
        "        if scheme == PBKDF2_SHA256:\n            ok = _verify_pbkdf2(stored, password)\n"
        "        else:\n            ok = _verify_bcrypt(stored, password)",
        "        verifier = _verify_pbkdf2 if scheme == PBKDF2_SHA256 else _verify_bcrypt\n"
        "        ok = verifier(stored, password)",
        "hashing: pick the legacy verifier in one place",
    )
    clone.patch(
        ACCOUNTS,
        "        canonical = canonical_email(email)\n        state = await",
        "        canonical = _canonical(email)\n        state = await",
        "accounts: name the canonicalisation",
    )
    with (clone.path / ACCOUNTS).open("a", encoding="utf-8") as module:
        module.write("\n\n_canonical = canonical_email\n")
    clone.commit(ACCOUNTS, "accounts: the alias")
    outcome = clone.replay(replay_cache)
    assert outcome.code == 0, outcome.summary
    assert outcome.result["metrics"]["regressions"] == 0
    assert outcome.result["metrics"]["rollback_failures"] == 0


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL server (skipped without the binaries, unless CI requires it)."""
    try:
        server = PostgresServer.discover()
    except PostgresUnavailableError as exc:
        if os.environ.get("QG_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"QG_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {exc}")
        pytest.skip(str(exc))
    with server:
        yield server


@pytest.mark.postgres
def test_on_postgresql_copies_come_from_a_template(
    clone: Clone, replay_cache: Path, postgres: PostgresServer
) -> None:
    clone.patch(
        HASHING,
        "            ok = _verify_pbkdf2(stored, password)",
        "            ok = False  # PBKDF2 is obsolete",
        "hashing: stop verifying PBKDF2",
    )
    dsn = postgres.dsn()
    outcome = clone.replay(
        replay_cache, "--replay-database", "postgresql", "--replay-postgres-dsn", dsn
    )
    assert outcome.code == 1, outcome.summary
    assert "segment legacy-pbkdf2 (100% of its accounts)" in outcome.summary
    with psycopg.connect(dsn) as conn:  # the run dropped every database it made
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    assert not [name for name in names if name.startswith("qg_replay_")], names


def test_a_candidate_that_does_not_start(clone: Clone, replay_cache: Path) -> None:
    clone.patch(
        "authsvc/app.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport authsvc.no_such_module  # noqa: F401\n",
        "app: import a module that is not there",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert outcome.summary.startswith("the candidate does not deploy on the baseline's data:")
    assert "ModuleNotFoundError" in outcome.result["findings"][0]["message"]


#: The gates of `nox -s gate` that need its test run's results, or run mutmut (minutes): this
#: module checks what the replay adds to the pre-merge gate, the others have their own tests.
NEEDS_TEST_RUN = ("--skip", "coverage", "--skip", "incidents", "--skip", "mutation")


def test_the_pre_merge_gate_fails_a_candidate_that_breaks_a_legacy_segment(
    clone: Clone, replay_cache: Path
) -> None:
    """The repository's own policy puts the replay in `run`: a pull request that stops
    verifying bcrypt fails the whole gate, and the report names the segment and what ran."""
    clone.patch(
        HASHING,
        "            ok = _verify_bcrypt(stored, password)",
        "            ok = False  # bcrypt is obsolete",
        "hashing: stop verifying bcrypt",
    )
    outcome = clone.run(replay_cache, *NEEDS_TEST_RUN)
    assert outcome.code == 1, outcome.summary
    assert outcome.result["status"] == "fail"
    assert "segment legacy-bcrypt" in outcome.summary
    replayed = [f["message"] for f in outcome.result["findings"] if f["rule_id"] == "replayed"]
    assert replayed, outcome.result["findings"]
    assert replayed[0].startswith("replayed 60 accounts (seed 0) on the baseline ")


def test_the_pre_merge_gate_skips_the_replay_without_a_critical_change(
    clone: Clone, replay_cache: Path
) -> None:
    clone.baseline_here()  # the branch under test may itself change critical paths
    (clone.path / "docs" / "replay.md").write_text("A docs-only change.\n", encoding="utf-8")
    clone.commit("docs/replay.md", "docs: a docs-only change")
    outcome = clone.run(replay_cache, *NEEDS_TEST_RUN)
    assert outcome.code == 0, outcome.summary
    assert outcome.result["status"] == "skipped"
    assert outcome.summary.startswith("no critical change since merge base ")


def test_the_equalising_dummy_verify_dropped(clone: Clone, replay_cache: Path) -> None:
    """Unknown accounts answered without hashing: every functional check passes, timing leaks.

    At authsvc's own hashing (19 MiB, t=2): at the other bars' 1 MiB, one hash is lost in a
    loaded machine's noise (docs/benchmarks.md, "Timing rules").
    """
    pyproject = clone.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    fast = 'AUTHSVC_ARGON2_MEMORY_COST = "1024"\nAUTHSVC_ARGON2_TIME_COST = "1"\n'
    assert fast in text
    pyproject.write_text(text.replace(fast, ""), encoding="utf-8")
    clone.patch(
        ACCOUNTS,
        "            for _ in range(1 if password == normalized else 2):\n"
        "                await self._offload.hash(self._hasher.dummy_verify, normalized)\n",
        "",
        "login: no need to hash for an account that does not exist",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert outcome.summary.startswith("timing oracle: an unknown account's login takes")
    assert outcome.result["metrics"]["regressions"] == 0  # functionally, nothing changed


def test_rehash_on_every_login(clone: Clone, replay_cache: Path) -> None:
    """A fresh hash at every login "to keep parameters current": twice the hashing per login.

    At the bars' fast hashing the extra hash is lost in the request's own time; the rehash
    counter sees it: more rehashes than first logins.
    """
    clone.patch(
        ACCOUNTS,
        "        if want_upgrade and (result.needs_upgrade or verified_form != normalized):",
        "        if want_upgrade:  # always rehash, so parameters never go stale",
        "login: rehash on every login",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    messages = [finding["message"] for finding in outcome.result["findings"]]
    assert any(m.startswith("rehashes: the candidate rewrote ") for m in messages), messages
    # Its only functional failure, if any: a login racing a password change rewrites the old
    # password's hash over the new one (a lost update the races catch).
    regressed = {kind for kind in _KINDS if _regressions(outcome, kind)}
    assert regressed <= {"race-login-password"}, regressed

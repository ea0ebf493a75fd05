"""``quality-gates census``: against authsvc's own database, and its refusals.

The census runs authsvc's hook (profiles/authsvc_hooks.py census) on a SQLite database that
authsvc's own importer filled, so what is counted is what authsvc stored.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from quality_gates.census.lines import LeakError, LineError, parse_line
from quality_gates.cli import main
from quality_gates.errors import InputError
from quality_gates.gates import replay as replay_gate
from quality_gates.policy import ReplayPolicy
from quality_gates.profile import load_profile
from quality_gates.replay.population import Population
from quality_gates.replay.population_file import read_population
from quality_gates.replay.segments import DEFAULT_SHARES

PROFILES = Path(__file__).parents[2] / "profiles"
_B64 = base64.b64encode(bytes(32)).decode().rstrip("=")
_SALT = base64.b64encode(b"0123456789abcdef").decode().rstrip("=")


def _pbkdf2(iterations: int) -> str:
    # The importer checks the format, not the digest: no need to pay for the iterations.
    return f"pbkdf2_sha256${iterations}$salt{iterations}${base64.b64encode(bytes(32)).decode()}"


def _bcrypt(cost: int, prefix: str = "2b") -> str:
    return f"${prefix}${cost:02d}$" + "a" * 53


def _argon2(m: int, t: int, p: int, version: int = 19) -> str:
    return f"$argon2id$v={version}$m={m},t={t},p={p}${_SALT}${_B64}"


# (stored hash, address, disabled, segment the census must count it in)
ACCOUNTS = [
    *[(_pbkdf2(260_000), f"dj{i}@example.com", False, "legacy-pbkdf2") for i in range(6)],
    *[(_pbkdf2(600_000), f"dj4x{i}@example.com", False, "legacy-pbkdf2-modern") for i in range(2)],
    *[(_bcrypt(10), f"node{i}@example.com", False, "legacy-bcrypt") for i in range(4)],
    (_bcrypt(10, "2y"), "php@example.com", False, "legacy-bcrypt-2y"),
    (_bcrypt(12, "2y"), "laravel@example.com", False, "legacy-bcrypt-12"),
    (_bcrypt(14), "hardened@example.com", False, "legacy-bcrypt-high"),
    (_argon2(512, 2, 2, 16), "old-argon@example.com", False, "legacy-argon2-v16"),
    (_argon2(102_400, 2, 8), "django-argon@example.com", False, "legacy-argon2-modern"),
    (_argon2(15_360, 2, 1), "owasp@example.com", False, "argon2-old-params"),
    (_bcrypt(10), "gone@example.com", True, "disabled"),
    # authsvc's own argon2id defaults (m=19 MiB, t=2, p=1): registered users, by shape.
    (_argon2(19_456, 2, 1), "ada@example.com", False, "current"),
    (_argon2(19_456, 2, 1), "ada+news@example.com", False, "email-shapes"),
    (_argon2(19_456, 2, 1), "ada@bücher.example", False, "email-shapes"),
    (_argon2(19_456, 2, 1), "o'brien@example.ie", False, "email-shapes"),
    (_argon2(19_456, 2, 1), "Grace.Hopper@Example.COM", False, "email-mixed-case"),
]


def _authsvc(*args: str, env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).parent / "authsvc"), *args]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)  # noqa: S603


@pytest.fixture(scope="module")
def authsvc_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An authsvc SQLite database holding ACCOUNTS, written by ``authsvc import-users``."""
    folder = tmp_path_factory.mktemp("census-db")
    url = f"sqlite:///{folder / 'authsvc.db'}"
    env = {"PATH": "/usr/bin:/bin", "AUTHSVC_DATABASE_URL": url}
    lines = [
        json.dumps({"email": email, "password_hash": stored, "disabled": disabled})
        for stored, email, disabled, _ in ACCOUNTS
    ]
    (folder / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _authsvc("migrate", env=env)
    _authsvc("import-users", str(folder / "users.jsonl"), env=env)
    return url


def test_census_of_authsvc_counts_each_account_in_its_segment(
    authsvc_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", authsvc_db)
    out = tmp_path / "population.toml"
    code = main(["census", "--profile", str(PROFILES / "authsvc.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"census: {len(ACCOUNTS)} accounts, 75% on imported hashes" in err
    document = tomllib.loads(out.read_text(encoding="utf-8"))
    expected: dict[str, int] = {}
    for *_, segment in ACCOUNTS:
        expected[segment] = expected.get(segment, 0) + 1
    counted = {k.removeprefix("segment."): v for k, v in document["census"].items() if "." in k}
    assert {k: v for k, v in counted.items() if k in expected} == expected
    assert document["census"]["shape.idn-unicode"] == 1
    # Shares: the measured segments in proportion to their counts, the rest at their defaults.
    shares = read_population(out)
    assert shares["legacy-pbkdf2"] == pytest.approx(3 * shares["legacy-pbkdf2-modern"], rel=1e-3)
    assert shares["email-shapes"] == pytest.approx(3 * shares["current"], rel=1e-3)
    assert shares["password-nfd"] == pytest.approx(DEFAULT_SHARES["password-nfd"] / 100)
    assert shares["legacy-bcrypt-long"] == pytest.approx(DEFAULT_SHARES["legacy-bcrypt-long"] / 100)
    assert shares["email-unicode"] == 0
    # And the replay takes them: the largest measured segment is the largest replayed one.
    counts = Population(1000, shares=shares).counts
    assert max(counts, key=counts.__getitem__) == "legacy-pbkdf2"
    assert "email-unicode" not in counts
    # Nothing the hook printed, nor the file, holds an address or a hash.
    text = out.read_text(encoding="utf-8")
    assert "@" not in text
    assert "$" not in text


def _profile_with_hook(tmp_path: Path, lines: list[str]) -> Path:
    """A copy of authsvc's profile whose census hook prints ``lines``."""
    (tmp_path / "lines.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "emit.py").write_text(
        "import sys\nsys.stdout.write(open('lines.txt', encoding='utf-8').read())\n",
        encoding="utf-8",
    )
    text = (PROFILES / "authsvc.toml").read_text(encoding="utf-8")
    census = 'census = ["python", "authsvc_hooks.py", "census"]'
    assert census in text
    profile = tmp_path / "profile.toml"
    profile.write_text(text.replace(census, 'census = ["python", "emit.py"]'), encoding="utf-8")
    return profile


GOOD = '{"scheme": "bcrypt", "params": {"cost": 12, "prefix": "2y"}, "email_shape": "plain"}'


@pytest.mark.parametrize(
    ("line", "why"),
    [
        pytest.param(
            '{"scheme": "bcrypt", "params": {}, "email_shape": "plain", "hash": "$2b$12$'
            + "a" * 53
            + '"}',
            "a password hash",
            id="hash",
        ),
        pytest.param(
            '{"scheme": "bcrypt", "params": {}, "email_shape": "ada@example.com"}',
            "an address",
            id="address",
        ),
        pytest.param(
            '{"scheme": "bcrypt", "params": {"salt": "c2FsdHNhbHRzYWx0c2FsdA"}, '
            '"email_shape": "plain"}',
            "a hash, salt, digest or secret",
            id="salt",
        ),
        pytest.param(
            '{"scheme": "pbkdf2_sha256", "params": {}, "email_shape": "plain", "token": "x"}',
            "unknown key 'token'",
            id="unknown-key",
        ),
        pytest.param("pbkdf2_sha256$600000$s$" + _B64, "a password hash", id="raw-line"),
    ],
)
def test_a_hook_printing_a_secret_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, why: str
) -> None:
    profile = _profile_with_hook(tmp_path, [GOOD, line, GOOD])
    out = tmp_path / "population.toml"
    out.write_text("# an earlier census\n", encoding="utf-8")
    code = main(["census", "--profile", str(profile), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 4
    assert len(err.strip().splitlines()) == 1
    assert "refused: census hook line 2" in err
    assert why in err
    assert "nothing written" in err
    assert out.read_text(encoding="utf-8") == "# an earlier census\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param(["not json"], "hook line 1: not JSON", id="not-json"),
        pytest.param(['{"scheme": "bcrypt"}'], "email_shape must be one of", id="no-shape"),
        pytest.param([], "the hook printed no account", id="empty"),
        pytest.param(
            ['{"scheme": "md5", "email_shape": "plain"}'],
            "no account in a replayed segment (schemes: md5)",
            id="unreplayed",
        ),
    ],
)
def test_a_hook_printing_no_census_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], message: str
) -> None:
    out = tmp_path / "population.toml"
    code = main(
        ["census", "--profile", str(_profile_with_hook(tmp_path, lines)), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_lines_take_parameters_not_values() -> None:
    record = parse_line(GOOD, 1)
    assert (record.scheme, dict(record.params), record.email_shape) == (
        "bcrypt",
        {"cost": 12, "prefix": "2y"},
        "plain",
    )
    with pytest.raises(LeakError, match="a hash, salt, digest or secret"):
        parse_line('{"scheme": "deadbeefdeadbeefdeadbeef", "email_shape": "plain"}', 3)
    with pytest.raises(LineError, match="small integer or a short word"):
        parse_line('{"scheme": "bcrypt", "params": {"cost": -1}, "email_shape": "plain"}', 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[shares\n", "invalid TOML", id="malformed"),
        pytest.param("[shares]\nlegacy-md5 = 1.0\n", "unknown segment 'legacy-md5'", id="unknown"),
        pytest.param(
            "[shares]\nlegacy-pbkdf2 = 1.2\ncurrent = -0.2\n",
            "segment 'current': negative share -0.2",
            id="negative",
        ),
        pytest.param(
            "[shares]\nlegacy-pbkdf2 = 0.5\ncurrent = 0.3\n",
            "shares sum to 0.8000, not 1",
            id="sum",
        ),
        pytest.param('[shares]\ncurrent = "half"\n', "share must be a number", id="text"),
        pytest.param("[people]\n", "unknown section 'people'", id="section"),
        pytest.param("[census]\n", "needs a [shares] table", id="no-shares"),
    ],
)
def test_bad_population_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "population.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_population(path)
    (problem,) = caught.value.problems
    assert message in problem
    assert str(path) in problem
    assert "\n" not in problem


def test_the_replay_gate_takes_its_shares_from_the_population_file(tmp_path: Path) -> None:
    (tmp_path / "population.toml").write_text(
        '[shares]\nlegacy-bcrypt-12 = 0.6\ncurrent = 0.3\n"locked" = 0.1\n', encoding="utf-8"
    )
    profile = load_profile(PROFILES / "authsvc.toml")
    policy = ReplayPolicy(population="population.toml", segments=(("current", 0.2),))
    shares, notes = replay_gate._shares(policy, profile, tmp_path)
    assert {k: v for k, v in shares.items() if v} == {
        "legacy-bcrypt-12": 0.6,
        "current": 0.2,  # replay.segments still overrides one segment on top of the file
        "locked": 0.1,
    }
    assert notes == []
    counts = Population(100, shares=shares).counts
    assert counts == {"legacy-bcrypt-12": 4, "current": 64, "locked": 32}  # 4: sampled
    (tmp_path / "population.toml").write_text("[shares]\ncurrent = -1\n", encoding="utf-8")
    with pytest.raises(InputError, match="negative share"):
        replay_gate._shares(policy, profile, tmp_path)

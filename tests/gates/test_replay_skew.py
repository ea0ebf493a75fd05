"""Clock skew (``quality_gates.replay.skew``): a process and its children run on an offset clock.

The libfaketime tests skip when the library is not installed, unless ``QG_REQUIRE_FAKETIME=1``
(CI sets it and installs Debian's ``faketime``), where a missing library fails them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import anyio
import httpx
import pytest

from quality_gates.errors import InputError
from quality_gates.gates.replay import _skew
from quality_gates.policy import ReplayPolicy
from quality_gates.profile.parse import parse_profile
from quality_gates.replay import skew
from quality_gates.replay.client import Api, Result
from quality_gates.replay.population import Population
from tests.gates._replay import PROFILE

LIBRARY = skew.find_library()
needs_faketime = pytest.mark.skipif(
    LIBRARY is None and os.environ.get("QG_REQUIRE_FAKETIME") != "1",
    reason="libfaketime is not installed (apt-get install faketime)",
)

# A child that prints its wall clock, and that of a grandchild it starts (the service's
# workers are such grandchildren).
PROBE = (
    "import subprocess, sys, time; print(time.time()); "
    "print(subprocess.run([sys.executable, '-c', 'import time; print(time.time())'], "
    "capture_output=True, text=True, check=True).stdout.strip()); "
    "print(time.monotonic())"
)


@needs_faketime
@pytest.mark.parametrize("seconds", [-20, 45])
def test_the_candidates_clock_is_offset_in_its_children_too(seconds: int) -> None:
    assert LIBRARY is not None, "QG_REQUIRE_FAKETIME=1 and libfaketime is not installed"
    env = {**os.environ, **skew.candidate_env(seconds)}
    before = time.time()
    out = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    after = time.time()
    child, grandchild, monotonic = (float(x) for x in out)
    for shifted in (child, grandchild):
        assert before + seconds - 1 < shifted < after + seconds + 1
    # The monotonic clock is not shifted: the event loop's timeouts keep real time.
    assert abs(monotonic - time.monotonic()) < 5


def test_no_skew_needs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skew, "LIBRARY_PATHS", ())
    assert skew.candidate_env(0, {}) == {}
    with pytest.raises(skew.SkewUnavailableError, match="apt-get install faketime"):
        skew.candidate_env(-20, {})


def test_the_gate_warns_without_libfaketime_unless_it_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(skew, "LIBRARY_PATHS", ())
    env, note = _skew(ReplayPolicy(clock_skew=-20), {})
    assert env == {}
    assert note.severity == "warning"
    assert "baseline's clock" in note.message
    with pytest.raises(InputError, match="QG_REQUIRE_FAKETIME"):
        _skew(ReplayPolicy(clock_skew=-20), {"QG_REQUIRE_FAKETIME": "1"})


def test_the_gate_reports_the_skew_it_applied(tmp_path: Path) -> None:
    library = tmp_path / "libfaketime.so.1"
    library.write_bytes(b"")
    env, note = _skew(ReplayPolicy(clock_skew=30, races=5), {"QG_FAKETIME_LIB": str(library)})
    assert env == {
        "LD_PRELOAD": str(library),
        "FAKETIME": "+30s",
        "DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }
    assert "+30 s" in note.message
    assert "5%" in note.message
    # The baseline gets the same interposer at +0 s, so the cost rule's pairs stay alike.
    assert skew.control_env(env) == {**env, "FAKETIME": "+0s"}
    assert skew.control_env({}) == {}


@pytest.mark.parametrize("candidate_refuses", ["", "peer-token"])
def test_the_candidate_and_its_peer_check_each_others_fresh_tokens(candidate_refuses: str) -> None:
    """``me-cross``: the peer's token goes to the candidate and the other way round; the
    baseline's side checks its own fresh tokens."""
    account = next(a for a in Population(200, seed=1) if a.segment.name == "legacy-pbkdf2")
    seen: dict[str, list[str]] = {"base": [], "cand": [], "peer": []}

    def server(name: str, refuses: str = "") -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/v1/sessions":
                tokens = {"access_token": f"{name}-token", "refresh_token": "r"}
                return httpx.Response(200, json=tokens)
            bearer = request.headers["authorization"].removeprefix("Bearer ")
            seen[name].append(bearer)
            return httpx.Response(401 if bearer == refuses else 200)

        return httpx.MockTransport(answer)

    profile = parse_profile(tomllib.loads(PROFILE))

    async def main() -> tuple[Result, Result] | None:
        # A candidate without leeway, behind, refuses the peer's token.
        async with (
            httpx.AsyncClient(transport=server("base"), base_url="http://b") as b,
            httpx.AsyncClient(
                transport=server("cand", candidate_refuses), base_url="http://c"
            ) as c,
            httpx.AsyncClient(transport=server("peer"), base_url="http://p") as p,
        ):
            apis = (Api(profile, b), Api(profile, c), Api(profile, p))
            return await skew.cross_check(*apis, account)

    cross = anyio.run(main)
    assert cross is not None
    on_base, on_cand = cross
    assert seen == {
        "base": ["base-token", "base-token"],
        "cand": ["peer-token"],
        "peer": ["cand-token"],
    }
    assert on_base.outcome == "success"
    assert on_cand.outcome == ("error" if candidate_refuses else "success")
    if candidate_refuses:
        assert "bad_credentials (401)" in on_cand.detail

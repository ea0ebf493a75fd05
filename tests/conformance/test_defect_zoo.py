"""The conformance suite against the zoo: every defect switch must be found, the clean target not.

Each switch runs on its own target process with only the checks of the property it breaks
(``-k``), through the real ``quality-gates conformance`` command line (in this process, to
spare an interpreter start per run). A defect is detected when a check of one of its property
ids is failed or observed (the client-wide lockout has its own test: one finding, the checks
after it not run). Racy
switches are run ``RACE_RUNS`` times: the detection rate must reach 95%. The clean target gets
the full suite once: no failure, no observation, no error.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conformance._zoo import PROFILE, Verdicts, Zoo, start_zoo, zoo_suite_inline

RACE_RUNS = 10  # at a 95% bar, 10 runs must all detect: ceil(0.95 * 10) = 10
DETECTION_RATE = 0.95
_RUN = itertools.count()
Starter = Callable[[str], Zoo]  # starts the target with one defect switch ("": clean)


@dataclass(frozen=True)
class Row:
    """One defect switch: the checks to run and what counts as detecting it."""

    defect: str
    select: str  # -k expression over check names
    properties: frozenset[str] = frozenset()
    racy: bool = False
    unclaimed: tuple[str, ...] = ()  # claims removed from the profile (audit mode)

    def found_by(self, verdicts: Verdicts) -> bool:
        """Whether ``verdicts`` report this defect."""
        return bool(verdicts.flagged() & self.properties)


def _row(
    defect: str,
    select: str,
    *ids: str,
    racy: bool = False,
    unclaimed: tuple[str, ...] = (),
) -> Row:
    return Row(defect, select, frozenset(ids), racy, unclaimed)


TABLE = (
    _row("logout-keeps-access", "test_logout_invalidates_the_tokens", "27"),
    _row("refresh-race", "test_simultaneous_refreshes_redeem_a_token_once", "53", racy=True),
    _row("lockout-race", "test_concurrent_wrong_passwords_do_not_overshoot", "53", racy=True),
    _row("register-race", "test_simultaneous_registrations_make_one_account", "52", racy=True),
    _row(
        "logout-any-session",
        "test_another_accounts_refresh_token_ends_nothing"
        " or test_one_accounts_actions_leave_another_session_alone",
        "60",
        "62",
    ),
    _row("refresh-any-account", "test_a_refresh_token_serves_only_its_account", "61"),
    _row("case-sensitive-email", "identifier", "10", "49"),
    _row("reuse-keeps-family", "test_used_refresh_token_is_refused", "36"),
    _row("strip-password", "test_whitespace_is_significant", "04"),
    _row("success-keeps-failures", "test_success_resets_the_failure_count", "18"),
    _row("timing-oracle", "test_timing_does_not_reveal_existence", "13"),
    _row("no-store", "test_token_responses_are_not_cached", "54"),
    _row("alg-none", "test_alg_none_and_switching_are_refused", "40"),
    _row("malformed-json-500", "test_malformed_bodies_get_400_or_422", "44"),
)
#: The same defects with their claim left out of the profile: audit mode must still find them.
UNCLAIMED = (
    _row(
        "case-sensitive-email", "identifier", "10", "49", unclaimed=("identifier_canonicalisation",)
    ),
    _row(
        "reuse-keeps-family",
        "test_used_refresh_token_is_refused",
        "36",
        unclaimed=("refresh_reuse_revokes_family",),
    ),
)


def _param(row: Row, prefix: str = "") -> object:
    return pytest.param(row, id=prefix + row.defect)


def _profile_without(claims: tuple[str, ...], workdir: Path) -> Path:
    """A copy of the zoo's profile with ``claims`` removed (every line that sets one)."""
    pattern = re.compile(rf"^({'|'.join(map(re.escape, claims))})\s*=")
    lines = PROFILE.read_text(encoding="utf-8").splitlines(keepends=True)
    profile = workdir / "profile-unclaimed.toml"
    profile.write_text("".join(x for x in lines if not pattern.match(x)), encoding="utf-8")
    return profile


@pytest.fixture
def zoo_of(tmp_path: Path) -> Iterator[Starter]:
    """Start the target with one defect (stopped when the test ends)."""
    contexts = []

    def start(defect: str) -> Zoo:
        context = start_zoo(tmp_path, [defect] if defect else [])
        contexts.append(context)
        return context.__enter__()

    yield start
    for context in contexts:
        context.__exit__(None, None, None)


def _run(zoo: Zoo, tmp_path: Path, select: str, profile: Path = PROFILE) -> Verdicts:
    report = tmp_path / f"report-{next(_RUN)}.json"
    _, verdicts = zoo_suite_inline(zoo, report, "-k", select, profile=profile)
    assert verdicts.checks, f"-k {select!r} ran no check"
    return verdicts


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("row", [_param(row) for row in TABLE])
def test_the_suite_detects_the_defect(row: Row, zoo_of: Starter, tmp_path: Path) -> None:
    zoo = zoo_of(row.defect)
    runs = RACE_RUNS if row.racy else 1
    allowed_misses = runs - math.ceil(DETECTION_RATE * runs)
    found = missed = 0
    while found + missed < runs and missed <= allowed_misses:  # stop once the bar is lost
        if row.found_by(_run(zoo, tmp_path, row.select)):
            found += 1
        else:
            missed += 1
    assert missed <= allowed_misses, f"{row.defect}: missed in {missed} of {found + missed} runs"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("row", [_param(row, "unclaimed-") for row in UNCLAIMED])
def test_audit_mode_observes_unclaimed_defects(row: Row, zoo_of: Starter, tmp_path: Path) -> None:
    zoo = zoo_of(row.defect)
    profile = _profile_without(row.unclaimed, tmp_path)
    verdicts = _run(zoo, tmp_path, row.select, profile)
    observed = {check[1] for check in verdicts.with_status("observed")}
    assert observed & row.properties, f"{row.defect} unclaimed: not observed"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_clean_target_is_clean(zoo_of: Starter, tmp_path: Path) -> None:
    zoo = zoo_of("")
    code, verdicts = zoo_suite_inline(zoo, tmp_path / "clean.json")
    bad = verdicts.with_status("failed", "observed", "error")
    assert not bad, f"the clean target: {bad}"
    assert code == 0
    assert len(verdicts.with_status("passed")) >= 45, "the suite hardly ran"


#: The lockout check, then checks of other modules that need a login: after the lock, not run.
AFTER_THE_LOCK = ("test_logout_invalidates_the_tokens", "test_token_responses_are_not_cached")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_client_wide_lockout_is_one_finding_and_no_cascade(
    zoo_of: Starter, tmp_path: Path
) -> None:
    """The ``client-wide-lockout`` switch: one failed check names it, the later ones are not run."""
    zoo = zoo_of("client-wide-lockout")
    select = " or ".join(("test_failed_attempts_lock_the_account", *AFTER_THE_LOCK))
    verdicts = _run(zoo, tmp_path, select)
    statuses = {name: (status, reason) for name, _, status, reason in verdicts.checks}
    status, reason = statuses["test_failed_attempts_lock_the_account"]
    assert status == "failed", statuses
    assert re.fullmatch(
        r"every login from this client refused after \d+ failures: client-wide lockout", reason
    ), reason
    for name in AFTER_THE_LOCK:
        assert statuses[name] == ("not-run", reason), statuses

"""The timing-oracle probe: wrong passwords against unknown accounts, on both versions.

After the replay, while both versions still run, ``samples`` rounds each send, one at a time
and in a shuffled order, a wrong password for a known account and a login of an address no
one registered to both versions. One request at a time
keeps the replay's own load out of the samples; shuffling each round spreads the machine's
drift over both paths and both versions alike.

Known accounts are registered ones (hashed with the version's current parameters, like its
dummy hash) and each takes at most ``threshold - 2`` wrong passwords: with the replay's own
wrong password that stays under the lockout, which would change the path measured and lock
the account out of the rollback check.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from quality_gates.replay.client import Api, Result, make_client
from quality_gates.replay.launch import Server
from quality_gates.replay.population import Account
from quality_gates.replay.session import Run
from quality_gates.replay.timing import Oracle, oracle_samples

#: Fewer rounds than this and the rank test cannot reach 1% on a real difference.
MIN_SAMPLES = 10
_TIMEOUT = 60.0


def _known(run: Run, count: int) -> list[Account]:
    """``count`` known accounts (repeated up to the lockout budget), or fewer if few exist."""
    lockout = run.config.profile.claims.lockout
    per_account = max(lockout.threshold - 2, 0) if lockout is not None else count
    accounts: list[Account] = []
    for account in run.config.population:
        if account.segment.source == "register" and account.segment.can_log_in:
            accounts.extend([account] * min(per_account, count - len(accounts)))
            if len(accounts) >= count:
                break
    return accounts


def _unknown(seed: int) -> Iterator[str]:
    """Well-formed addresses no account of the population has."""
    tag = random.Random(seed).getrandbits(32)  # noqa: S311 - a label, not a secret
    index = 0
    while True:
        yield f"nobody.{tag:08x}.{index}@example.org"
        index += 1


async def probe_answers(
    apis: dict[str, Api], known: list[Account], seed: int
) -> dict[str, dict[str, list[Result]]]:
    """The probe's rounds: ``{version: {"known"|"unknown": [Result, …]}}`` (``timing``)."""
    answers: dict[str, dict[str, list[Result]]] = {v: {"known": [], "unknown": []} for v in apis}
    shuffle = random.Random(seed).shuffle  # noqa: S311 - an order, not a secret
    addresses = _unknown(seed)
    for account in known:
        nobody = next(addresses)
        steps = [(v, path) for v in apis for path in ("known", "unknown")]
        shuffle(steps)
        for version, path in steps:
            api = apis[version]
            email = account.email if path == "known" else nobody
            answers[version][path].append(await api.login(email, account.wrong_password))
    return answers


def probe(run: Run, base: Server, cand: Server, samples: int) -> Oracle | None:
    """The oracle's samples on both versions, or ``None`` with too few known accounts."""
    known = _known(run, samples)
    if len(known) < MIN_SAMPLES:
        return None
    run.progress.phase("timing: wrong passwords against unknown accounts")
    profile = run.config.profile

    async def go() -> Oracle:
        async with (
            make_client(base.base_url, 1, _TIMEOUT) as bc,
            make_client(cand.base_url, 1, _TIMEOUT) as cc,
        ):
            apis = {"baseline": Api(profile, bc), "candidate": Api(profile, cc)}
            return oracle_samples(await probe_answers(apis, known, run.config.population.seed))

    oracle = run.arun(go())
    assert isinstance(oracle, Oracle)  # noqa: S101 - narrowing for mypy
    sides = (oracle.baseline, oracle.candidate)
    if min(min(len(s.known), len(s.unknown)) for s in sides) < 2:
        return None  # transport failures left too little to test
    return oracle

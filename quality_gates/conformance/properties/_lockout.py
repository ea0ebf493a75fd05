"""Lockout as the target does it: the lock answer, locked accounts, and the client-wide watch.

The watch: a check that sends wrong passwords then logs in a *control* account (registered once
per run, never given a wrong password) with its correct password. An account-scoped lock cannot
refuse it; when the target does, every login from this client is being refused, so the suite
stops sending credentials. The check that saw it reports the one finding; every later check
that needs credentials is marked not run with that reason, instead of failing on refusals that
say nothing about its own property.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from quality_gates.conformance.client import Account, TargetClient
from quality_gates.conformance.properties._support import claim, not_run, refused
from quality_gates.conformance.target import Target


@dataclass
class _Watch:
    control: Account | None = None
    tripped: str = ""
    reset: str | None = None
    """The address of a client-scoped lock to lift before the next credential check."""


#: One watch per run, by the connection's run id (a connection is not hashable).
_WATCHES: dict[str, _Watch] = {}


def _watch(client: TargetClient) -> _Watch:
    return _WATCHES.setdefault(client.connection.run_id, _Watch())


def before_credentials(client: TargetClient, target: Target) -> None:
    """Lift a pending client-scoped lock (``hooks.reset_lockout``); mark the check not run when
    an earlier one saw every login from this client refused.

    The ``client`` fixture calls it before every check, so after a client-wide lockout no check
    sends credentials again: each is not run with the one reason, none fails on refusals.
    """
    watch = _watch(client)
    if watch.reset is not None:
        target.hooks.reset_lockout(watch.reset)
        watch.reset = None
    if watch.tripped:
        not_run(watch.tripped)


def failed_logins(client: TargetClient) -> int:
    """Failed logins this run has sent, as far as the run's recent responses show."""
    login = client.endpoint("login")
    return sum(
        1
        for exchange in client.connection.seen
        if urlsplit(exchange.url).path == login.path
        and exchange.status is not None
        and exchange.status not in login.success
    )


def after_credentials(client: TargetClient, target: Target, *, locked: str = "") -> None:
    """Log the control account in; when refused, stop sending credentials (see the module doc).

    A target whose profile says its lock is client-wide is doing what it says, so there is no
    control login and no finding: ``hooks.reset_lockout`` lifts the lock of ``locked`` before the
    next credential check or, without that hook, the later checks are marked not run.
    """
    watch = _watch(client)
    lockout = target.profile.claims.lockout
    if lockout is not None and lockout.scope == "client":
        if target.profile.hooks.reset_lockout:
            watch.reset = locked
        else:
            watch.tripped = (
                "claims.lockout.scope is client and the profile has no hooks.reset_lockout: "
                "every login from this client is refused once it has locked"
            )
        return
    if watch.control is None:
        watch.control = client.account(tag="control")
    failures = failed_logins(client)
    response = client.login(watch.control.email, watch.control.password)
    if not refused(client, response):
        return
    watch.tripped = (
        f"every login from this client refused after {failures} failures: client-wide lockout"
    )
    client.decide(response)
    client.note(f"control account {watch.control.email}: correct password refused")
    raise AssertionError(watch.tripped)


def lock_statuses(client: TargetClient, target: Target) -> frozenset[int]:
    """The statuses of the lock answer: ``claims.lockout.status``, or else the statuses of the
    bad-credentials answer (one wrong password for a fresh account shows it)."""
    lockout = claim(target, "lockout")
    if lockout.status:
        return frozenset(lockout.status)
    probe = client.login(client.account(tag="probe").email, client.new_password())
    return frozenset({probe.status_code})


def is_lock_answer(
    client: TargetClient, response: httpx.Response, statuses: frozenset[int]
) -> bool:
    """Whether ``response`` is a refusal with the lock answer's status."""
    return response.status_code in statuses and refused(client, response)


def locked_account(client: TargetClient, target: Target) -> Account:
    """An account locked by ``threshold`` wrong passwords (the fewest that lock it)."""
    lockout = claim(target, "lockout")
    before_credentials(client, target)
    account = client.account(tag="locked")
    for _ in range(lockout.threshold):
        client.login(account.email, client.new_password())
    after_credentials(client, target, locked=account.email)
    return account


def unknown_with_history(client: TargetClient, target: Target) -> str:
    """An unknown address given the failure history of ``locked_account``: what a locked account
    must be compared with, since a target may lock unknown addresses too."""
    lockout = claim(target, "lockout")
    email = client.new_email("unknown")
    for _ in range(lockout.threshold):
        client.login(email, client.new_password())
    return email

"""The domain module: the session rule both token paths use, and hash-free records."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from authsvc.deps import Services
from authsvc.domain.credentials import UserRecord
from authsvc.domain.records import Account, Principal, RotateOutcome, SessionRecord
from authsvc.domain.sessions import SessionFault, refresh_refusal, session_fault

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PASSWORD = "a perfectly fine password"


def _principal(
    *, revoked: bool = False, expires_in: timedelta = timedelta(hours=1), disabled: bool = False
) -> Principal:
    session = SessionRecord(
        id="s1",
        user_id="u1",
        created_at=NOW - timedelta(days=1),
        expires_at=NOW + expires_in,
        revoked_at=NOW - timedelta(minutes=1) if revoked else None,
    )
    user = Account("u1", "a@example.com", "A@example.com", disabled, NOW - timedelta(days=2))
    return Principal(session=session, user=user)


@pytest.mark.parametrize(
    ("principal", "fault"),
    [
        (_principal(), None),
        (_principal(revoked=True), SessionFault.REVOKED),
        (_principal(expires_in=timedelta(0)), SessionFault.EXPIRED),  # the end is exclusive
        (_principal(expires_in=timedelta(microseconds=1)), None),
        (_principal(disabled=True), SessionFault.DISABLED),
        # The first fault in the order revoked, expired, disabled is the one reported.
        (
            _principal(revoked=True, expires_in=-timedelta(hours=1), disabled=True),
            SessionFault.REVOKED,
        ),
        (_principal(expires_in=-timedelta(hours=1), disabled=True), SessionFault.EXPIRED),
    ],
)
def test_session_fault(principal: Principal, fault: SessionFault | None) -> None:
    """A session is usable until revoked, until its end, or until its account is disabled."""
    assert session_fault(principal, NOW) is fault


SPENT = NOW - timedelta(minutes=5)


@pytest.mark.parametrize(
    ("principal", "used_at", "refusal"),
    [
        (_principal(), None, None),
        (_principal(revoked=True), None, (RotateOutcome.REVOKED, None)),
        # A revoked session is not revoked again, whatever the token.
        (_principal(revoked=True), SPENT, (RotateOutcome.REVOKED, None)),
        (_principal(), SPENT, (RotateOutcome.REUSED, "refresh_reuse")),
        # Reuse is decided before the end and the account: the leaked family is revoked.
        (
            _principal(expires_in=-timedelta(hours=1)),
            SPENT,
            (RotateOutcome.REUSED, "refresh_reuse"),
        ),
        (_principal(disabled=True), SPENT, (RotateOutcome.REUSED, "refresh_reuse")),
        (_principal(expires_in=timedelta(0)), None, (RotateOutcome.EXPIRED, None)),
        (_principal(disabled=True), None, (RotateOutcome.REVOKED, "account_disabled")),
    ],
)
def test_refresh_refusal(
    principal: Principal,
    used_at: datetime | None,
    refusal: tuple[RotateOutcome, str | None] | None,
) -> None:
    """A refresh is refused by the session rule, with reuse checked right after revocation."""
    assert refresh_refusal(principal, used_at=used_at, now=NOW) == refusal


def test_the_account_view_drops_only_the_hash() -> None:
    """``UserRecord.account`` keeps every field but the hash."""
    record = UserRecord("u1", "a@example.com", "A@example.com", "$argon2id$x", True, NOW)
    account = record.account
    assert {f.name for f in dataclasses.fields(account)} == {
        f.name for f in dataclasses.fields(record)
    } - {"password_hash"}
    assert vars(account) == {k: v for k, v in vars(record).items() if k != "password_hash"}


@pytest.mark.anyio
async def test_what_routes_are_handed_holds_no_hash(services: Services) -> None:
    """Registration and an authenticated request give routes an account without its hash."""
    registered = await services.accounts.register("b@example.com", PASSWORD)
    tokens = await services.sessions.login("b@example.com", PASSWORD, client="c")
    principal = await services.sessions.authenticate(tokens.access_token)
    for account in (registered, principal.user):
        assert type(account) is Account
        assert not hasattr(account, "password_hash")
    assert principal.user == registered

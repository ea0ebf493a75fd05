"""Stateful test: random sequences of API calls, each response checked against a model.

The machine registers accounts (under varying spellings), logs in with right and wrong
passwords, refreshes with current and with spent refresh tokens, calls ``/v1/me`` with
new and old access tokens, logs out, changes passwords and moves the clock. A small
model of accounts, sessions, token families and failure streaks predicts the status of
every response; after every step the store is compared with the model (accounts, the
active lock of every address, the revocation of every session).

The service here uses short lifetimes (a 3-failure lock for 10 minutes, 5-minute
access tokens, 1-hour sessions) so that random clock moves cross every boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import jwt
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from authsvc.security.identifiers import canonical_email
from tests.property._budget import examples
from tests.property._service import InProcessService, assert_not_echoed
from tests.property.test_accounts_http import assert_refused
from tests.property.test_sessions_http import assert_refresh_refused, assert_unauthenticated
from tests.strategies import (
    POLICY,
    clock_advances,
    email_spellings,
    emails,
    password_mutations,
    raw_passwords,
    valid_passwords,
)

THRESHOLD = 3
WINDOW = 600
ACCESS_TTL = 300
LEEWAY = 30
LIFETIME = 3600


@dataclass
class Account:
    """A registered account as the model knows it."""

    display: str
    password: str
    id: str


@dataclass
class Session:
    """A session: its refresh-token family and every access token it was given."""

    canonical: str
    sid: str
    created: datetime
    refresh: str
    spent: list[str] = field(default_factory=list)
    access: list[tuple[str, int]] = field(default_factory=list)  # (token, exp)
    revoked: bool = False


@dataclass
class Streak:
    """Consecutive failures of one canonical address."""

    failures: int
    last: datetime
    locked_until: datetime | None


def _sid_and_exp(access_token: str) -> tuple[str, int]:
    # Reading our own token's claims is what any client may do; no key is needed.
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return str(claims["sid"]), int(claims["exp"])


class AuthMachine(RuleBasedStateMachine):
    """The service against its model; see the module docstring."""

    service: ClassVar[InProcessService]

    def __init__(self) -> None:
        super().__init__()
        self.service.reset()
        self.addresses: list[str] = []
        self.accounts: dict[str, Account] = {}
        self.sessions: list[Session] = []
        self.streaks: dict[str, Streak] = {}

    # -- the model's rules -----------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The service's current time (the machine owns its clock)."""
        return self.service.clock.now()

    def locked_until(self, canonical: str) -> datetime | None:
        """The active lock of an address, if any."""
        streak = self.streaks.get(canonical)
        if streak is None or streak.locked_until is None or streak.locked_until <= self.now:
            return None
        return streak.locked_until

    def record_failure(self, canonical: str) -> None:
        """One more failure: a stale streak (lock over, or last failure a window ago)
        restarts at one; the threshold-th consecutive failure locks for a window."""
        now, streak = self.now, self.streaks.get(canonical)
        stale = streak is not None and (
            (streak.locked_until is not None and streak.locked_until <= now)
            or (streak.locked_until is None and streak.last <= now - timedelta(seconds=WINDOW))
        )
        if streak is None or stale:
            streak = Streak(failures=0, last=now, locked_until=None)
        streak.failures += 1
        streak.last = now
        if streak.locked_until is None and streak.failures >= THRESHOLD:
            event("account locked")
            streak.locked_until = now + timedelta(seconds=WINDOW)
        self.streaks[canonical] = streak

    def reset_failures(self, canonical: str) -> None:
        """A success forgets the streak (an active lock is never cleared this way)."""
        if self.locked_until(canonical) is None:
            self.streaks.pop(canonical, None)

    def session_live(self, session: Session) -> bool:
        """Not revoked and within the absolute lifetime."""
        return not session.revoked and self.now < session.created + timedelta(seconds=LIFETIME)

    def access_valid(self, session: Session, exp: int) -> bool:
        """An access token works while its session lives and until ``exp + leeway``."""
        return self.session_live(session) and self.now.timestamp() <= exp + LEEWAY

    def draw_session(self, data: st.DataObject) -> tuple[Session, str, int]:
        """A session and one of its access tokens (new or old)."""
        session = data.draw(st.sampled_from(self.sessions), label="session")
        token, exp = data.draw(st.sampled_from(session.access), label="access token")
        return session, token, exp

    # -- rules ---------------------------------------------------------------------

    @initialize(
        addresses=st.lists(emails(), min_size=2, max_size=3, unique_by=canonical_email),
    )
    def choose_addresses(self, addresses: list[str]) -> None:
        """The population: a few addresses, each registered at most once."""
        self.addresses = addresses

    @rule(data=st.data())
    def register(self, data: st.DataObject) -> None:
        """201 for a new address and a valid password; 422 for a policy breach (checked
        first); 409 for any spelling of a registered address."""
        address = data.draw(st.sampled_from(self.addresses), label="address")
        spelling = data.draw(email_spellings(address), label="spelling")
        password = data.draw(st.one_of(valid_passwords(address), raw_passwords()), label="pw")
        canonical = canonical_email(address)
        response = self.service.register(spelling, password)
        if POLICY.problems(password, email=canonical):
            assert response.status_code == 422, response.text
            assert_not_echoed(password, response)
        elif canonical in self.accounts:
            assert response.status_code == 409, response.text
        else:
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["email"] == spelling.strip()
            self.accounts[canonical] = Account(spelling.strip(), password, body["id"])
            # Registration forgets failures made against the address before it existed.
            self.streaks.pop(canonical, None)

    @precondition(lambda self: self.accounts)
    @rule(data=st.data())
    def login_right(self, data: st.DataObject) -> None:
        """The right password: a new session, unless the address is locked (generic 401)."""
        canonical = data.draw(st.sampled_from(sorted(self.accounts)), label="account")
        account = self.accounts[canonical]
        spelling = data.draw(email_spellings(account.display), label="spelling")
        response = self.service.login(spelling, account.password)
        if self.locked_until(canonical) is not None:
            event("login: right password while locked")
            assert_refused(response)
            return
        assert response.status_code == 200, response.text
        tokens = response.json()
        sid, exp = _sid_and_exp(tokens["access_token"])
        self.sessions.append(
            Session(
                canonical=canonical,
                sid=sid,
                created=self.now,
                refresh=tokens["refresh_token"],
                access=[(tokens["access_token"], exp)],
            )
        )
        self.reset_failures(canonical)

    @rule(data=st.data(), attempts=st.integers(1, THRESHOLD + 1))
    def login_wrong(self, data: st.DataObject, attempts: int) -> None:
        """A burst of wrong passwords (or any password for an address with no account):
        each a generic 401, each counted toward the lock unless it is already locked."""
        # Mostly registered accounts (locking them is the interesting part), sometimes
        # an address with no account (whose streak registration must forget).
        registered = [account.display for account in self.accounts.values()]
        address = data.draw(st.sampled_from(registered * 3 + self.addresses), label="address")
        canonical = canonical_email(address)
        for _ in range(attempts):
            spelling = data.draw(email_spellings(address), label="spelling")
            account = self.accounts.get(canonical)
            if account is not None:
                password = data.draw(password_mutations(account.password), label="wrong")
            else:
                password = data.draw(valid_passwords(address), label="password")
            assert_refused(self.service.login(spelling, password))
            if self.locked_until(canonical) is None:
                self.record_failure(canonical)

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def refresh_current(self, data: st.DataObject) -> None:
        """The current refresh token: a new pair while the session lives, else 401."""
        session = data.draw(st.sampled_from(self.sessions), label="session")
        response = self.service.refresh(session.refresh)
        if not self.session_live(session):
            event("refresh: session revoked or expired")
            assert_refresh_refused(response)
            return
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        tokens = response.json()
        assert tokens["refresh_token"] not in (session.refresh, *session.spent)
        session.spent.append(session.refresh)
        session.refresh = tokens["refresh_token"]
        session.access.append((tokens["access_token"], _sid_and_exp(tokens["access_token"])[1]))

    @precondition(lambda self: any(session.spent for session in self.sessions))
    @rule(data=st.data())
    def refresh_replayed(self, data: st.DataObject) -> None:
        """A spent refresh token: 401, and the whole family is revoked."""
        session = data.draw(st.sampled_from([s for s in self.sessions if s.spent]), label="session")
        token = data.draw(st.sampled_from(session.spent), label="spent token")
        event("refresh: replayed")
        assert_refresh_refused(self.service.refresh(token))
        session.revoked = True

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def me(self, data: st.DataObject) -> None:
        """``/v1/me``: the account, while the token and its session are valid; else 401."""
        session, token, exp = self.draw_session(data)
        response = self.service.me(token)
        if self.access_valid(session, exp):
            assert response.status_code == 200, response.text
            account = self.accounts[session.canonical]
            assert response.json()["id"] == account.id
            assert response.json()["email"] == account.display
        else:
            event("me: token expired or session gone")
            assert_unauthenticated(response, token)

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def logout(self, data: st.DataObject) -> None:
        """204 and the session is revoked; 401 with a token that no longer works."""
        session, token, exp = self.draw_session(data)
        response = self.service.logout(token)
        if self.access_valid(session, exp):
            assert response.status_code == 204, response.text
            session.revoked = True
        else:
            assert_unauthenticated(response, token)

    @precondition(lambda self: self.sessions)
    @rule(data=st.data(), right=st.booleans())
    def change_password(self, data: st.DataObject, right: bool) -> None:
        """401 without a working token; 422 for a bad new password; 403 for a wrong
        current password (counted) or a locked account; else 204, and every session of
        the account is revoked."""
        session, token, exp = self.draw_session(data)
        canonical = session.canonical
        account = self.accounts[canonical]
        current = (
            account.password
            if right
            else data.draw(password_mutations(account.password), label="wrong current")
        )
        new = data.draw(
            st.one_of(valid_passwords(account.display), raw_passwords()), label="new password"
        )
        response = self.service.change_password(token, current, new)
        if not self.access_valid(session, exp):
            assert_unauthenticated(response, token)
        elif POLICY.problems(new, email=canonical):
            assert response.status_code == 422, response.text
            assert_not_echoed(new, response)
        elif self.locked_until(canonical) is not None or not right:
            assert response.status_code == 403, response.text
            if self.locked_until(canonical) is None:
                self.record_failure(canonical)
        else:
            event("password changed")
            assert response.status_code == 204, response.text
            account.password = new
            for other in self.sessions:
                if other.canonical == canonical:
                    other.revoked = True
            self.reset_failures(canonical)

    @rule(
        seconds=clock_advances(
            [ACCESS_TTL, ACCESS_TTL + LEEWAY, WINDOW, LIFETIME / 2], longest=LIFETIME
        )
    )
    def advance_clock(self, seconds: float) -> None:
        """Time passes: tokens, sessions and locks expire on their own."""
        self.service.clock.advance(seconds)

    # -- invariants: the store agrees with the model after every step ---------------

    @invariant()
    def accounts_match(self) -> None:
        """Exactly the model's accounts exist, each hashed with argon2id."""
        assert self.service.account_count() == len(self.accounts)
        for canonical in self.accounts:
            assert self.service.stored_hash(canonical).startswith("$argon2id$")

    @invariant()
    def locks_match(self) -> None:
        """Every address is locked exactly until the model says, or not at all."""
        repo = self.service.services.repo
        for address in self.addresses:
            canonical = canonical_email(address)
            state = repo.login_state(canonical, self.now)
            assert state.locked_until == self.locked_until(canonical), canonical

    @invariant()
    def revocations_match(self) -> None:
        """Every session is revoked in the store exactly when the model revoked it."""
        repo = self.service.services.repo
        for session in self.sessions:
            principal = repo.principal(session.sid)
            assert principal is not None
            assert (principal.session.revoked_at is not None) == session.revoked, session.sid


@pytest.fixture(scope="module")
def short_lived_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessService]:
    """A service whose lifetimes a few random clock moves can cross."""
    overrides: dict[str, Any] = {
        "lockout_threshold": THRESHOLD,
        "lockout_window_seconds": WINDOW,
        "access_ttl_seconds": ACCESS_TTL,
        "leeway_seconds": LEEWAY,
        "refresh_ttl_seconds": LIFETIME,
    }
    with InProcessService(tmp_path_factory.mktemp("stateful"), **overrides) as running:
        yield running


def test_service_agrees_with_the_model(short_lived_service: InProcessService) -> None:
    """Random API call sequences: every response and the store agree with the model."""
    AuthMachine.service = short_lived_service
    run_state_machine_as_test(
        AuthMachine,
        settings=settings(max_examples=examples(20), stateful_step_count=30),
    )

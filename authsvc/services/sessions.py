"""Session rules: login, refresh-token rotation, access-token checks, logout.

Every access token names a server-side session (``sid``), and every authenticated request
loads that session, so revoking it (logout, password change, refresh-token reuse) kills
its access tokens at once rather than when they expire.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from authsvc.clock import Clock
from authsvc.domain.credentials import HashUpgrade, LoginWrites
from authsvc.domain.outcomes import (
    MISSING_TOKEN,
    LoginRefused,
    RateLimited,
    RefreshRefused,
    Unauthenticated,
)
from authsvc.domain.records import Principal, RotateOutcome, SessionRecord
from authsvc.domain.sessions import session_fault
from authsvc.logs import log_event
from authsvc.metrics import Metrics
from authsvc.security.tokens import (
    InvalidToken,
    TokenService,
    hash_refresh_token,
    new_refresh_token,
)
from authsvc.services.accounts import AccountService
from authsvc.store.repository import Repository
from authsvc.workers import Offload

__all__ = ["IssuedTokens", "SessionService"]

# Our refresh tokens are 43 characters; anything far longer is not worth hashing.
_MAX_REFRESH_TOKEN_LENGTH = 512

# Refusal reason -> authsvc_refresh_total outcome; anything else (malformed) is "invalid".
_REFRESH_METRIC: dict[str, str] = {
    RotateOutcome.NOT_FOUND.value: "invalid",
    RotateOutcome.REUSED.value: "reused",
    RotateOutcome.REVOKED.value: "revoked",
    RotateOutcome.EXPIRED.value: "expired",
}


@dataclass(frozen=True)
class IssuedTokens:
    """An access token, its lifetime in seconds, and a refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str


class SessionService:
    """Creates, renews, checks and ends sessions."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        repo: Repository,
        tokens: TokenService,
        offload: Offload,
        clock: Clock,
        metrics: Metrics,
        session_lifetime: timedelta,
    ) -> None:
        self._accounts = accounts
        self._repo = repo
        self._tokens = tokens
        self._offload = offload
        self._clock = clock
        self._metrics = metrics
        self._lifetime = session_lifetime

    async def login(self, email: str, password: str, *, client: str) -> IssuedTokens:
        """Check the credentials and open a session.

        Raises :class:`RateLimited` or :class:`LoginRefused` (one kind for every bad
        credential, whatever the reason).
        """
        try:
            self._accounts.check_client(client)
            verified = await self._accounts.check_password(email, password)
            now = self._clock.now()
            session = SessionRecord(
                id=str(uuid.uuid4()),
                user_id=verified.user.id,
                created_at=now,
                expires_at=now + self._lifetime,
                revoked_at=None,
            )
            refresh_token = new_refresh_token()
            upgrade = None
            if verified.upgrade is not None:
                old_hash, new_hash = verified.upgrade
                upgrade = HashUpgrade(verified.user.id, old_hash, new_hash)
            writes = LoginWrites(
                session=session,
                refresh_hash=hash_refresh_token(refresh_token),
                upgrade=upgrade,
                # No streak was stored when the check read the state: nothing to reset. A
                # failure recorded since then stays counted, as if it came after this
                # success (the two overlapped); a streak the check did see is reset.
                reset_streak=verified.user.email_canonical if verified.failures > 0 else None,
            )
            upgraded = await self._offload.db(self._repo.record_login, writes)
            access_token, expires_in = self._tokens.issue_access(
                sub=verified.user.id, sid=session.id
            )
        except RateLimited:
            self._metrics.login("rate_limited")
            raise
        except LoginRefused as refusal:
            self._accounts.count_failure(client)
            outcome = "locked" if refusal.reason == "locked" else "bad_credentials"
            self._metrics.login(outcome)
            log_event("login", outcome=outcome, reason=refusal.reason)
            raise
        except Exception as exc:
            self._metrics.login("error")
            log_event("login", outcome="error", reason=type(exc).__name__)
            raise
        if verified.upgrade is not None:
            upgrade_outcome = "upgraded" if upgraded else "conflict"
            self._metrics.hash_upgrade(verified.scheme, upgrade_outcome)
            log_event("hash_upgrade", outcome=upgrade_outcome, reason=verified.scheme)
        self._metrics.login("success")
        log_event("login", outcome="success", user_id=verified.user.id, session_id=session.id)
        return IssuedTokens(access_token, expires_in, refresh_token)

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """Exchange a refresh token for a new pair; the old one is spent.

        Raises :class:`RefreshRefused`. Presenting a spent token revokes its session.
        """
        try:
            if not refresh_token or len(refresh_token) > _MAX_REFRESH_TOKEN_LENGTH:
                raise RefreshRefused("malformed")  # noqa: TRY301 (counted like the others)
            new_token = new_refresh_token()
            result = await self._offload.db(
                self._repo.rotate_refresh,
                hash_refresh_token(refresh_token),
                hash_refresh_token(new_token),
                self._clock.now(),
            )
            if result.principal is None:
                raise RefreshRefused(result.outcome.value)  # noqa: TRY301
            principal = result.principal
            access_token, expires_in = self._tokens.issue_access(
                sub=principal.user.id, sid=principal.session.id
            )
        except RefreshRefused as refusal:
            metric = _REFRESH_METRIC.get(refusal.reason, "invalid")
            self._metrics.refresh(metric)
            log_event("refresh", outcome="rejected", reason=refusal.reason)
            raise
        except Exception as exc:
            self._metrics.refresh("error")
            log_event("refresh", outcome="error", reason=type(exc).__name__)
            raise
        self._metrics.refresh("success")
        log_event("refresh", outcome="success", session_id=principal.session.id)
        return IssuedTokens(access_token, expires_in, new_token)

    async def authenticate(self, access_token: str | None) -> Principal:
        """Return the live session an access token belongs to; raise :class:`Unauthenticated`."""
        if not access_token:
            raise Unauthenticated(MISSING_TOKEN)
        try:
            claims = self._tokens.decode_access(access_token)
        except InvalidToken as exc:
            log_event("token_rejected", outcome="rejected", reason=exc.reason)
            raise Unauthenticated(exc.reason) from None
        principal = await self._offload.db(self._repo.principal, claims.sid)
        if principal is None or principal.user.id != claims.sub:
            reason: str | None = "unknown_session"
        else:
            fault = session_fault(principal, self._clock.now())
            reason = None if fault is None else fault.value
        if reason is not None or principal is None:
            log_event("token_rejected", outcome="rejected", reason=reason)
            raise Unauthenticated(reason or "unknown_session")
        return principal

    async def logout(self, principal: Principal) -> None:
        """Revoke the session: its access tokens and refresh-token family stop working."""
        await self._offload.db(
            self._repo.revoke_session, principal.session.id, self._clock.now(), "logout"
        )
        log_event("logout", outcome="revoked", session_id=principal.session.id)

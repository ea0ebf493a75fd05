"""Account rules: registration, password checks with lockout, password change.

The same normalisation is applied on every path (:func:`normalize_password` for passwords,
:func:`canonical_email` for addresses). Every refused password check looks the same to
the caller (:class:`LoginRefused`, with a reason code for logs only), and costs the same:
an unknown address still runs one argon2id verification.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from authsvc.clock import Clock
from authsvc.domain.credentials import UserRecord
from authsvc.domain.outcomes import (
    CurrentPasswordRejected,
    EmailAlreadyRegistered,
    EmailTaken,
    InputRejected,
    LoginRefused,
    RateLimited,
)
from authsvc.domain.records import Account, Principal
from authsvc.logs import log_event
from authsvc.metrics import Metrics
from authsvc.security.hashing import (
    BCRYPT,
    BCRYPT_MAX_BYTES,
    UNKNOWN,
    PasswordHasher,
    VerifyResult,
)
from authsvc.security.identifiers import canonical_email, email_problem
from authsvc.security.passwords import (
    PASSWORD_TOO_LONG,
    PasswordPolicy,
    is_too_long,
    normalize_password,
)
from authsvc.services.throttle import ClientRateLimiter
from authsvc.store.models import EMAIL_LENGTH
from authsvc.store.repository import Repository
from authsvc.workers import Offload

__all__ = ["AccountService", "Lockout", "Verified"]


@dataclass(frozen=True)
class Lockout:
    """Consecutive failures that lock an address, and for how long."""

    threshold: int = 5
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Verified:
    """A password check that passed. ``upgrade`` is ``(old_hash, new_hash)`` or ``None``;
    ``failures`` is the address's failure streak as the check read it (0: none stored)."""

    user: UserRecord
    scheme: str
    upgrade: tuple[str, str] | None
    failures: int = 0


class AccountService:
    """Registration, credential checks and password changes."""

    def __init__(
        self,
        *,
        repo: Repository,
        hasher: PasswordHasher,
        offload: Offload,
        clock: Clock,
        policy: PasswordPolicy,
        lockout: Lockout,
        limiter: ClientRateLimiter,
        metrics: Metrics,
    ) -> None:
        self._repo = repo
        self._hasher = hasher
        self._offload = offload
        self._clock = clock
        self._policy = policy
        self._lockout = lockout
        self._limiter = limiter
        self._metrics = metrics

    def _password_problems(self, field: str, password: str, email: str) -> list[tuple[str, str]]:
        # The length ceiling first: a huge value is refused before anything looks at it.
        if is_too_long(password):
            return [(field, PASSWORD_TOO_LONG)]
        return [(field, code) for code in self._policy.problems(password, email=email)]

    async def register(self, email: str, password: str) -> Account:
        """Create an account; one transaction, so a crash leaves no half-made account.

        Raises :class:`InputRejected` (with reason codes) or
        :class:`EmailAlreadyRegistered`.
        """
        canonical = canonical_email(email)
        display = email.strip()
        problems: list[tuple[str, str]] = []
        if code := email_problem(email):
            problems.append(("email", code))
        elif len(display) > EMAIL_LENGTH:
            problems.append(("email", "email_too_long"))
        problems += self._password_problems("password", password, canonical)
        if problems:
            self._metrics.registration("rejected")
            log_event("registration", outcome="rejected", reason=problems[0][1])
            raise InputRejected(problems)
        try:
            user = await self._create(canonical, display, password)
        except EmailAlreadyRegistered:
            raise
        except Exception as exc:
            self._metrics.registration("error")
            log_event("registration", outcome="error", reason=type(exc).__name__)
            raise
        self._metrics.registration("created")
        log_event("registration", outcome="created", user_id=user.id)
        return user.account

    async def _create(self, canonical: str, display: str, password: str) -> UserRecord:
        # A cheap pre-check saves an argon2id hash for the common duplicate; the UNIQUE
        # constraint below is what decides under concurrency.
        if await self._offload.db(self._repo.find_user, canonical) is not None:
            self._duplicate()
        password_hash = await self._offload.hash(self._hasher.hash, normalize_password(password))
        user = UserRecord(
            id=str(uuid.uuid4()),
            email_canonical=canonical,
            email_display=display,
            password_hash=password_hash,
            disabled=False,
            created_at=self._clock.now(),
        )
        try:
            await self._offload.db(self._repo.create_user, user)
        except EmailTaken:
            self._duplicate()
        return user

    def _duplicate(self) -> NoReturn:
        self._metrics.registration("duplicate")
        log_event("registration", outcome="rejected", reason="email_taken")
        raise EmailAlreadyRegistered("email_taken")

    async def check_password(
        self, email: str, password: str, *, want_upgrade: bool = True
    ) -> Verified:
        """Verify ``password`` for ``email``, enforcing the per-address lockout.

        Raises :class:`LoginRefused` with reason ``invalid_email``, ``locked``,
        ``password_too_long``, ``unknown_account``, ``wrong_password`` or
        ``account_disabled``. Every failure except ``locked`` and ``invalid_email`` counts
        toward the lock; a success leaves the counter for the caller's transaction to
        reset. A failed check never writes a hash.
        """
        too_long = is_too_long(password)
        normalized = "" if too_long else normalize_password(password)
        if email_problem(email) is not None:
            # No account can have this address; cost the same as one that might.
            if not too_long:
                await self._offload.hash(self._hasher.dummy_verify, normalized)
            raise LoginRefused("invalid_email")
        canonical = canonical_email(email)
        state = await self._offload.db(self._repo.login_state, canonical, self._clock.now())
        if state.locked_until is not None:
            # Locked addresses are refused without hashing: cheap for the service under
            # attack, and unknown addresses lock the same way, so nothing is revealed.
            raise LoginRefused("locked")
        user = state.user
        if too_long:
            await self._failed(canonical, "password_too_long")
        if user is None:
            # As many verifications as a known account with a wrong password (see _verify).
            for _ in range(1 if password == normalized else 2):
                await self._offload.hash(self._hasher.dummy_verify, normalized)
            await self._failed(canonical, "unknown_account")
        result, verified_form = await self._verify(user.password_hash, password, normalized)
        if not result.ok:
            await self._failed(canonical, "wrong_password")
        if user.disabled:
            await self._failed(canonical, "account_disabled")
        upgrade = None
        # A hash of the as-typed form is replaced too, so the fallback is needed only once.
        if want_upgrade and (result.needs_upgrade or verified_form != normalized):
            if _upgrade_would_guess(result.scheme, verified_form):
                self._metrics.hash_upgrade(result.scheme, "skipped")
                log_event("hash_upgrade", outcome="skipped", reason="bcrypt_over_72_bytes")
            else:
                upgrade = await self._new_hash(user.password_hash, normalized, result.scheme)
        return Verified(user=user, scheme=result.scheme, upgrade=upgrade, failures=state.failures)

    async def _verify(self, stored: str, raw: str, normalized: str) -> tuple[VerifyResult, str]:
        """Verify ``normalized``; if that fails, fall back to the password as typed.

        Hashes this service makes are of the NFKC form. Imported hashes (Django's PBKDF2,
        bcrypt, another system's argon2id) are of whatever the user typed on the old
        system, so a password that NFKC changes (fullwidth letters, superscripts,
        decomposed accents) would never verify against them. The upgrade that follows a
        success stores the NFKC form, so a legitimate user needs the fallback once.
        """
        result = await self._offload.hash(self._hasher.verify, stored, normalized)
        if result.ok or raw == normalized or result.scheme == UNKNOWN:
            return result, normalized
        return await self._offload.hash(self._hasher.verify, stored, raw), raw

    async def _new_hash(
        self, old_hash: str, normalized: str, scheme: str
    ) -> tuple[str, str] | None:
        try:
            return old_hash, await self._offload.hash(self._hasher.hash, normalized)
        except Exception as exc:  # noqa: BLE001 (an upgrade failure must not fail the login)
            self._metrics.hash_upgrade(scheme, "error")
            log_event("hash_upgrade", outcome="error", reason=type(exc).__name__)
            return None

    async def _failed(self, canonical: str, reason: str) -> NoReturn:
        """Count a failure for ``canonical`` and refuse; logs the moment a lock starts."""
        state = await self._offload.db(
            self._repo.record_failure,
            canonical,
            self._clock.now(),
            threshold=self._lockout.threshold,
            window=self._lockout.window,
        )
        if state.locked_until is not None and state.failures == self._lockout.threshold:
            log_event("account_locked", outcome="locked", reason=reason, level=logging.WARNING)
        raise LoginRefused(reason)

    def check_client(self, client: str) -> None:
        """Refuse a client over its limit of failed password attempts: :class:`RateLimited`.

        Only failures count (:meth:`count_failure`): a credential-stuffing client fails
        almost every attempt, while a busy legitimate client — or many users behind one
        NAT — mostly succeeds and must not be throttled for it.
        """
        retry_after = self._limiter.retry_after(client)
        if retry_after is not None:
            log_event("rate_limited", outcome="rate_limited", reason="client_rate_limit")
            raise RateLimited(retry_after)

    def count_failure(self, client: str) -> None:
        """Count one failed password attempt against ``client``'s limit."""
        self._limiter.hit(client)

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str, *, client: str
    ) -> None:
        """Replace the password and revoke every session of the account (this one too).

        Raises :class:`RateLimited`, :class:`InputRejected` for a new password that breaks
        the policy, or :class:`CurrentPasswordRejected` (wrong current password, locked
        account, or a concurrent change).
        """
        self.check_client(client)
        user = principal.user
        problems = self._password_problems("new_password", new_password, user.email_canonical)
        if problems:
            raise InputRejected(problems)
        try:
            verified = await self.check_password(
                user.email_canonical, current_password, want_upgrade=False
            )
        except LoginRefused as refusal:
            self.count_failure(client)
            log_event("password_change", outcome="rejected", reason=refusal.reason)
            raise CurrentPasswordRejected(refusal.reason) from None
        new_hash = await self._offload.hash(self._hasher.hash, normalize_password(new_password))
        changed = await self._offload.db(
            self._repo.change_password,
            user.id,
            old_hash=verified.user.password_hash,
            new_hash=new_hash,
            now=self._clock.now(),
        )
        if not changed:
            log_event("password_change", outcome="rejected", reason="concurrent_change")
            raise CurrentPasswordRejected("concurrent_change")
        log_event("password_change", outcome="changed", user_id=user.id)


def _upgrade_would_guess(scheme: str, verified_form: str) -> bool:
    """bcrypt checks only the first 72 bytes: a password longer than that "verified" even
    if its tail was mistyped, and re-hashing it would lock the owner out with their real
    password. Such accounts stay on bcrypt until a password change."""
    return (
        scheme == BCRYPT and len(verified_form.encode("utf-8", "surrogatepass")) > BCRYPT_MAX_BYTES
    )

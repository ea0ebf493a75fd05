"""Counting a replay as it runs: pairs per segment and request kind, and the first failures.

Only counters and a bounded list of examples are kept, never the requests themselves, so
memory stays flat however large the population. Examples mask every secret: the e-mail keeps
its first character and domain, a password is described (length, form), never shown, and
tokens never appear.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from quality_gates.replay.client import Result
from quality_gates.replay.play import LOGIN_KINDS, REPORTED_KINDS, must_succeed
from quality_gates.replay.population import Account
from quality_gates.replay.stats import Cell

MAX_EXAMPLES = 20


def mask_email(email: str) -> str:
    """``" ada@example.com"`` → ``"␠a***@example.com"``: enough to find, nothing to use."""
    stripped = email.strip()
    local, _, domain = stripped.partition("@")
    lead = email[: len(email) - len(email.lstrip())]
    trail = email[len(email.rstrip()) :]
    shown = f"{local[:1]}***@{domain}" if domain else f"{stripped[:1]}***"
    return "␠" * len(lead) + shown + "␠" * len(trail)


def describe_password(password: str) -> str:
    """``password (16 chars, NFD, 3 spaces, 92 bytes)``: what matters, never the text."""
    notes = [f"{len(password)} chars"]
    if not password.isascii():
        nfc = unicodedata.is_normalized("NFC", password)
        nfd = unicodedata.is_normalized("NFD", password)
        if nfc != nfd:
            notes.append("NFC" if nfc else "NFD")
        elif not nfc:
            notes.append("mixed form")
        # (Both: nothing in it composes or decomposes, so the form says nothing.)
        if unicodedata.normalize("NFKC", password) != unicodedata.normalize("NFC", password):
            notes.append("compatibility characters")
    if spaces := password.count(" "):
        notes.append(f"{spaces} space{'s' * (spaces != 1)}")
    if (size := len(password.encode())) > 72:
        notes.append(f"{size} bytes")
    return f"password ({', '.join(notes)})"


def _shown(result: Result | None) -> str:
    if result is None:
        return "not run"
    status = "no answer" if result.status is None else str(result.status)
    detail = f", {result.detail}" if result.detail else ""
    return f"{result.outcome} ({status}{detail})"


@dataclass(frozen=True)
class Example:
    """One failing request, secrets masked."""

    rule: str
    segment: str
    kind: str
    account: int
    message: str


@dataclass
class SegmentTally:
    """Account-level counts of one segment."""

    accounts: int = 0
    regressed: int = 0
    primary_regressed: int = 0
    login_regressed: int = 0
    security: int = 0
    rollback_checked: int = 0
    rollback_failed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Tally:
    """Everything a verdict needs, counted as accounts complete."""

    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    segments: dict[str, SegmentTally] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    skipped_pairs: int = 0

    def _example(self, rule: str, account: Account, kind: str, text: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(Example(rule, account.segment.name, kind, account.index, text))

    def _request(self, account: Account, kind: str) -> str:
        email = account.email
        if kind == "login-case":
            email = account.case_variant
        elif kind == "login-whitespace":
            email = account.whitespace_variant
        password = account.wrong_password if kind == "login-wrong" else account.password
        if kind in LOGIN_KINDS or kind == "login-wrong":
            return f"{kind} {mask_email(email)} with {describe_password(password)}"
        return f"{kind} of {mask_email(email)} ({account.segment.description})"

    def add_account(
        self, account: Account, baseline: dict[str, Result], candidate: dict[str, Result]
    ) -> bool:
        """Count one account's pairs; returns whether its primary login worked on the candidate."""
        segment = self.segments.setdefault(account.segment.name, SegmentTally())
        segment.accounts += 1
        regressed = primary = login_regressed = security = False
        for kind in REPORTED_KINDS:
            base, cand = baseline.get(kind), candidate.get(kind)
            if base is None or cand is None:
                self.skipped_pairs += (base is None) != (cand is None)
                continue
            expect = must_succeed(account, kind)
            cell = self.cells.setdefault((account.segment.name, kind), Cell(expect))
            base_ok, cand_ok = cell.add(base.outcome, cand.outcome)
            if base_ok and not cand_ok:
                rule = "regression" if expect else "refusal-error"
                if not expect and cand.outcome == "success":
                    rule, security = "security", True
                regressed = True
                login_regressed = login_regressed or (expect and kind in LOGIN_KINDS)
                primary = primary or (expect and kind == "login")
                segment.kinds[kind] = segment.kinds.get(kind, 0) + 1
                shown = f"baseline {_shown(base)}, candidate {_shown(cand)}"
                self._example(rule, account, kind, f"{self._request(account, kind)}: {shown}")
        segment.regressed += regressed
        segment.login_regressed += login_regressed
        segment.primary_regressed += primary
        segment.security += security
        login = candidate.get("login")
        return login is not None and login.outcome == "success" and account.segment.can_log_in

    def add_rollback(self, account: Account, result: Result) -> None:
        """Count the rollback login of an account that logged in on the candidate."""
        segment = self.segments.setdefault(account.segment.name, SegmentTally())
        segment.rollback_checked += 1
        if result.outcome != "success":
            segment.rollback_failed += 1
            text = (
                f"{self._request(account, 'rollback-login')}: candidate success, then the "
                f"baseline on the candidate's database {_shown(result)}"
            )
            self._example("rollback", account, "rollback-login", text)

    def segment_rates(self, name: str, *, must_succeed: bool = True) -> tuple[int, int, int]:
        """``(pairs, baseline_ok, candidate_ok)`` over the must-succeed (or must-refuse) pairs."""
        pairs = base = cand = 0
        for (segment, _), cell in self.cells.items():
            if segment == name and cell.must_succeed == must_succeed:
                pairs, base, cand = (
                    pairs + cell.pairs,
                    base + cell.baseline_ok,
                    cand + cell.candidate_ok,
                )
        return pairs, base, cand

    def totals(self) -> tuple[int, int, int, int]:
        """``(pairs, must_succeed_pairs, b, c)`` over everything."""
        pairs = sum(cell.pairs for cell in self.cells.values())
        needed = sum(cell.pairs for cell in self.cells.values() if cell.must_succeed)
        b = sum(cell.b for cell in self.cells.values())
        c = sum(cell.c for cell in self.cells.values())
        return pairs, needed, b, c

"""A seeded, deterministic population of accounts in segments.

Account ``i`` depends only on ``(seed, i)``, its segment and its rank there, so accounts are
made one at a time when needed and never held all at once (two bytes per account are kept:
10,000 accounts run in flat memory). Segment sizes are
the configured shares of the population, rounded by largest remainder, and spread through it
by a seeded shuffle; a sampled segment (a costly hash setting) is capped at its few accounts,
and what it gives up goes to the others.
"""

from __future__ import annotations

import math
import random
import string
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from quality_gates.replay.emails import shaped_email
from quality_gates.replay.legacy import CostProfile, make_hash
from quality_gates.replay.segments import DEFAULT_SHARES, SEGMENTS, Segment

_FIRST = ("ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "ken", "radia", "tim")
_LAST = ("lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "allen", "thompson")
_DOMAINS = ("example.com", "example.org", "mail.example.net")
_UNICODE_FIRST = ("Jürgen", "Åsa", "Björn", "Zoë", "Søren", "Ömer")
_UNICODE_LAST = ("Straße", "Weiß", "Groß", "Meißner", "Strauß")  # ß: casefold ≠ lower
_ACCENTED = ("Crème", "brûlée", "Über", "Ärger", "mañana", "Café", "naïve", "façade", "Ångström")
# Characters NFKC rewrites but NFC keeps: fullwidth letters and digits, ligatures,
# superscripts, circled digits. A service that stores hashes of the NFKC form and then
# switches to NFC (or to no normalisation) locks these users out.
# Escaped, as they are easily mistaken for their ASCII lookalikes: fullwidth P, A, w, 1, 7.
_COMPAT_CHARS = ("\uff30", "\uff21", "\uff57", "\uff11", "\uff17", "ﬁ", "ﬂ", "²", "³", "①", "⑤")
_PASSWORD_CHARS = string.ascii_letters + string.digits + "!#%&*-_=+?"
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "zu", "pe", "dor", "lin", "mar")
_NAMES = tuple(SEGMENTS)
#: The e-mail spellings besides the registered one: in capitals, with surrounding spaces.
EMAIL_VARIANTS: tuple[str, ...] = ("login-case", "login-whitespace")


@dataclass(frozen=True)
class Account:
    """One user: what they typed at registration (or were imported with) and at login."""

    index: int
    segment: Segment
    email: str
    password: str
    wrong_password: str
    seed: int
    variants: tuple[str, ...] = EMAIL_VARIANTS
    """The e-mail variants this account logs in with (see :meth:`Population.account`)."""
    rank: int = 0
    """The account's rank in its segment, modulo 256: picks its shape or hash setting."""

    @property
    def case_variant(self) -> str:
        """The e-mail typed in capitals (``ß`` becomes ``SS``)."""
        return self.email.strip().upper()

    @property
    def whitespace_variant(self) -> str:
        """The e-mail with surrounding spaces, as autocomplete leaves it."""
        return f"  {self.email.strip()} "

    def stored_hash(self, costs: CostProfile) -> str:
        """The hash a legacy system wrote for this account (imported segments only)."""
        if self.segment.scheme is None:
            raise ValueError(f"segment {self.segment.name} is not imported")
        rng = random.Random(f"{self.seed}:{self.index}:hash")  # noqa: S311 - reproducible on purpose
        return make_hash(self.segment.scheme, self.password, rng, costs, self.rank)

    def import_record(self, costs: CostProfile) -> dict[str, object]:
        """The line of the seed hook's JSONL file for this account."""
        return {
            "email": self.email,
            "password_hash": self.stored_hash(costs),
            "disabled": self.segment.state == "disabled",
        }


def resolve_shares(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The default shares with ``overrides`` applied (0 removes a segment)."""
    shares = dict(DEFAULT_SHARES)
    for name, share in (overrides or {}).items():
        if name not in SEGMENTS:
            raise ValueError(f"unknown segment {name!r}")
        if share < 0 or math.isnan(share):
            raise ValueError(f"segment {name!r}: share must be >= 0")
        shares[name] = float(share)
    if sum(shares.values()) <= 0:
        raise ValueError("every segment share is 0")
    return shares


def sampled_counts(size: int, shares: Mapping[str, float]) -> dict[str, int]:
    """:func:`segment_counts`, with each sampled segment capped at its ``sample`` accounts.

    What a capped segment gives up is shared among the uncapped ones by their shares.
    """
    counts = segment_counts(size, shares)
    caps = {name: SEGMENTS[name].sample for name in counts if SEGMENTS[name].sample}
    surplus = sum(max(0, counts[name] - cap) for name, cap in caps.items())
    rest = {name: share for name, share in shares.items() if name not in caps and share > 0}
    if not surplus or not rest:
        return counts
    for name, cap in caps.items():
        counts[name] = min(counts[name], cap)
    for name, extra in segment_counts(surplus, rest).items():
        counts[name] = counts.get(name, 0) + extra
    return {name: counts[name] for name in shares if counts.get(name)}


def segment_counts(size: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Split ``size`` accounts by ``shares``, largest remainder first (ties in report order)."""
    total = sum(shares.values())
    exact = {name: size * share / total for name, share in shares.items()}
    counts = {name: math.floor(value) for name, value in exact.items()}
    left = size - sum(counts.values())
    by_remainder = sorted(exact, key=lambda name: -(exact[name] - counts[name]))
    for name in by_remainder[:left]:
        counts[name] += 1
    return {name: count for name, count in counts.items() if count}


class Population:
    """``size`` accounts from ``seed``; iterate it or ask for account ``i``."""

    def __init__(
        self,
        size: int,
        seed: int = 0,
        shares: Mapping[str, float] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a population needs at least one account")
        self.size = size
        self.seed = seed
        self.counts = sampled_counts(size, resolve_shares(shares))
        order = [_NAMES.index(name) for name, count in self.counts.items() for _ in range(count)]
        random.Random(f"{seed}:order").shuffle(order)  # noqa: S311 - seeded on purpose
        # One byte per account: the only per-account state kept in memory.
        self._segment_of = bytes(order)
        # And one more: the account's rank within its segment, modulo 256 (see account()).
        seen = [0] * len(_NAMES)
        rank = bytearray(len(order))
        for index, segment in enumerate(order):
            rank[index] = seen[segment] % 256
            seen[segment] += 1
        self._rank = bytes(rank)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Account]:
        return (self.account(index) for index in range(self.size))

    def segment_of(self, index: int) -> Segment:
        """The segment of account ``index``."""
        return SEGMENTS[_NAMES[self._segment_of[index]]]

    def account(self, index: int) -> Account:
        """Account ``index``, the same for the same seed every time."""
        segment = self.segment_of(index)
        rank = self._rank[index]
        rng = random.Random(f"{self.seed}:{index}")  # noqa: S311 - seeded on purpose
        email = _email(segment, index, rank, rng)
        password = _password(segment, rng)
        # Each variant is a full password verification on both versions, so an account with
        # a plain address tries one, alternating through its segment: every segment of two
        # or more accounts tries both, for half the cost. The e-mail segments try both always.
        variants = EMAIL_VARIANTS
        if segment.address == "plain":
            variants = variants[:1] if rank % 2 == 0 else variants[1:]
        wrong = _wrong(segment, password)
        return Account(index, segment, email, password, wrong, self.seed, variants, rank)


def _email(segment: Segment, index: int, rank: int, rng: random.Random) -> str:
    if segment.address == "shapes":
        return shaped_email(rank, index, rng)
    first, last, domain = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_DOMAINS)
    plain = f"{first}.{last}{index}@{domain}"
    if segment.address == "mixed-case":
        return f"{first.title()}.{last.title()}{index}@{domain.split('.')[0].title()}.COM"
    if segment.address == "whitespace":
        return rng.choice((f" {plain}", f"{plain} ", f"  {plain}  "))
    if segment.address == "unicode":
        return f"{rng.choice(_UNICODE_FIRST)}.{rng.choice(_UNICODE_LAST)}{index}@Example.com"
    return plain


def _random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_PASSWORD_CHARS) for _ in range(length))


def _password(segment: Segment, rng: random.Random) -> str:
    style = segment.typed
    if style in ("nfc", "nfd"):
        words = f"{rng.choice(_ACCENTED)} {rng.choice(_ACCENTED)} {_random_text(rng, 6)}"
        return unicodedata.normalize("NFD" if style == "nfd" else "NFC", words)
    if style == "compat":
        compat = "".join(rng.choice(_COMPAT_CHARS) for _ in range(3))
        return f"{_random_text(rng, 6)}{compat}{_random_text(rng, 4)}"
    if style == "long":
        # Over 72 bytes, with a multi-byte character past the 72nd byte for good measure.
        return _random_text(rng, rng.randint(80, 150)) + "é" + _random_text(rng, 4)
    if style == "spaces":
        parts = [
            "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(3)
        ]
        return " ".join(parts) + f" {rng.randint(10, 99)} "
    return _random_text(rng, rng.randint(12, 18))


def _wrong(segment: Segment, password: str) -> str:
    """A near miss: the password stripped (spaces segment), or its first character changed."""
    if segment.typed == "spaces":
        return password.strip()
    return ("Y" if password[0] == "X" else "X") + password[1:]

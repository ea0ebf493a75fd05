"""E-mail address shapes seen in the wild: a generator per shape, and a classifier.

The generator makes the ``email-shapes`` segment's addresses; the classifier names the shape of
a real address, for a census hook (docs/census.md), so that the hook reports a class and never
the address. Every shape here is one authsvc's registration accepts by its documented rules (one
``@``, a non-empty local part, a dotted domain, at most 254 characters): each account of the
segment must log in.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import idna

#: Shape classes, most common first: a population of a few accounts covers the first ones.
SHAPES: tuple[str, ...] = (
    "plus-tag",
    "apostrophe",
    "subdomain",
    "hyphen",
    "new-tld",
    "idn-unicode",
    "idn-punycode",
    "digits",
    "long-tld",
    "max-local",
)
#: What the classifier also answers: the segments' own shapes, and anything else.
OTHER_CLASSES: tuple[str, ...] = ("plain", "mixed-case", "unicode", "other")
#: RFC 5321's limit on a local part, in octets.
MAX_LOCAL = 64

_FIRST = ("ada", "grace", "alan", "radia", "ken", "barbara", "tim", "frances")
_LAST = ("lovelace", "hopper", "turing", "perlman", "thompson", "liskov")
_APOSTROPHE = ("o'brien", "d'angelo", "o'neill", "n'diaye")
_NEW_TLDS = ("app", "dev", "xyz", "online", "shop")
_LONG_TLDS = ("photography", "international", "construction", "technology")
# IDN domains under the reserved .example TLD, in Latin, Cyrillic and Japanese script.
_IDN = ("bücher.example", "müller-straße.example", "почта.example", "例え.example")


def _plus(base: str, rng: random.Random) -> str:
    return f"{base}+{rng.choice(('news', 'shop', 'github', 'bank'))}@example.com"


def _sub(base: str, rng: random.Random) -> str:
    return f"{base}@{rng.choice(('mail', 'eng', 'staff'))}.corp.example.co.uk"


def _hyphen(base: str, rng: random.Random) -> str:
    return f"{base.replace('.', '-')}@{rng.choice(_LAST)}-family.example.org"


def _idn(base: str, rng: random.Random) -> str:
    return f"{base}@{rng.choice(_IDN)}"


def _punycode(base: str, rng: random.Random) -> str:
    return f"{base}@{idna.encode(rng.choice(_IDN)).decode('ascii')}"


_MAKE: dict[str, Callable[[str, random.Random], str]] = {
    "plus-tag": _plus,
    "apostrophe": lambda base, rng: f"{rng.choice(_APOSTROPHE)}.{base}@example.ie",
    "subdomain": _sub,
    "hyphen": _hyphen,
    "new-tld": lambda base, rng: f"{base}@example.{rng.choice(_NEW_TLDS)}",
    "idn-unicode": _idn,
    "idn-punycode": _punycode,
    "digits": lambda base, rng: f"{rng.randint(100, 999)}{base.rpartition('.')[2]}@example.com",
    "long-tld": lambda base, rng: f"{base}@example.{rng.choice(_LONG_TLDS)}",
    "max-local": lambda base, _rng: f"{(base + '.') * 8}"[: MAX_LOCAL - 1] + "x@example.net",
}


def shaped_email(rank: int, index: int, rng: random.Random) -> str:
    """The address of the ``rank``-th account of the shapes segment (account ``index``).

    Shapes go round in order of :data:`SHAPES`; ``index`` keeps every address unique (the
    digit-only shape is the index itself behind three random digits).
    """
    shape = SHAPES[rank % len(SHAPES)]
    base = f"{rng.choice(_FIRST)}.{index:06d}"
    if shape == "max-local":
        # The index first, so that the cut to 64 characters keeps it.
        base = f"{index:06d}.{rng.choice(_LAST)}"
    return _MAKE[shape](base, rng)


_DIGITS = re.compile(r"[0-9]+")
# The generic TLDs of before 2000; two letters are a country's.
_OLD_TLDS = frozenset({"com", "org", "net", "edu", "gov", "mil", "int"})


def classify(address: str) -> str:
    """The shape class of ``address`` (one of :data:`SHAPES` or :data:`OTHER_CLASSES`).

    The first matching class wins, rarest first, so an address with a ``+`` tag and an IDN
    domain counts as IDN.
    """
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or "." not in domain:
        return "other"
    labels = domain.split(".")
    checks = (
        ("max-local", len(local.encode()) >= MAX_LOCAL),
        ("idn-unicode", not domain.isascii()),
        ("idn-punycode", any(label.lower().startswith("xn--") for label in labels)),
        ("unicode", not local.isascii()),
        ("apostrophe", "'" in local),
        ("plus-tag", "+" in local),
        ("digits", _DIGITS.fullmatch(local) is not None),
        ("hyphen", "-" in address),
        ("long-tld", len(labels[-1]) > 6),
        ("new-tld", len(labels[-1]) > 2 and labels[-1].lower() not in _OLD_TLDS),
        ("subdomain", len(labels) > 3 or (len(labels) == 3 and len(labels[-1]) > 2)),
        ("mixed-case", address != address.lower()),
    )
    return next((name for name, hit in checks if hit), "plain")

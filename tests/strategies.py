"""Hypothesis strategies for the authsvc suites: e-mails, passwords, legacy hashes, clocks.

The strategies aim at the users an update breaks while the developer's own test user
still logs in: upper-case and padded e-mails, look-alike and fullwidth characters,
passwords in NFD, with emoji, with spaces, over bcrypt's 72 bytes, imported legacy hashes.

Validity is decided by the service's own rules (:func:`email_problem` and
:meth:`PasswordPolicy.problems`), never re-implemented here: a strategy that guessed the
rules would drift from them and test the wrong thing.
"""

from __future__ import annotations

import base64
import json
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import jwt
from hypothesis import assume
from hypothesis import strategies as st

from authsvc.security.hashing import (
    BCRYPT,
    BCRYPT_MAX_BYTES,
    PBKDF2_SHA256,
    Argon2Params,
    PasswordHasher,
    make_bcrypt,
    make_pbkdf2_sha256,
)
from authsvc.security.identifiers import canonical_email, email_problem
from authsvc.security.passwords import MAX_PASSWORD_LENGTH, PasswordPolicy, normalize_password

__all__ = [
    "ARGON2_OLD",
    "FAST_ARGON2",
    "LEGACY_SCHEMES",
    "NORMALISATION_PIECES",
    "NORMAL_FORMS",
    "POLICY",
    "TAMPERINGS",
    "LegacyRecord",
    "bcrypt_visible_chars",
    "clock_advances",
    "credentials",
    "distinct_emails",
    "email_spellings",
    "emails",
    "instants",
    "legacy_records",
    "long_passwords",
    "password_forms",
    "password_mutations",
    "raw_passwords",
    "tampered_tokens",
    "valid_passwords",
]

#: The registration policy the suites assume: the service's default settings.
POLICY = PasswordPolicy()
#: Cheap argon2id parameters for tests (1 MiB, one pass): hashing is the slow part.
FAST_ARGON2 = Argon2Params(memory_cost=1024, time_cost=1, parallelism=1)
#: A label for argon2id hashes made with parameters other than the current ones.
ARGON2_OLD = "argon2id-old-params"

NormalForm = Literal["NFC", "NFD", "NFKC", "NFKD"]
NORMAL_FORMS: tuple[NormalForm, ...] = ("NFC", "NFD", "NFKC", "NFKD")

# --------------------------------------------------------------------------- e-mails

# Whitespace that str.strip() removes, so canonicalisation must remove it too.
_OUTER_WHITESPACE = (" ", "\t", "\n", "\u00a0", "\u2003", "\u3000")

# Addresses that broke real services, mixed in so every run sees them early.
_KNOWN_EMAILS = (
    "ada@example.com",
    "King.Arthur@Camelot.example",
    "iamthe\u03a9@example.com",  # GREEK CAPITAL OMEGA; OHM SIGN is its look-alike
    "stra\u00dfe@example.de",  # sharp s casefolds to "ss"
    "jos\u00e9@example.es",
    "\u0434\u043c\u0438\u0442\u0440\u0438\u0439@example.ru",
    "\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd",
    "\u01c5emo@example.org",  # titlecase digraph DŽ
    "kelvin.K@example.com",
    "a+tag@sub.example.co.uk",
)

_local_char = st.one_of(
    st.sampled_from(string.ascii_letters + string.digits),
    st.sampled_from("._+-"),
    # Letters and digits of any script: Greek, Cyrillic, CJK, titlecase digraphs...
    st.characters(categories=("Lu", "Ll", "Lt", "Lo", "Nd")),
)
_label_char = st.one_of(
    st.sampled_from(string.ascii_lowercase + string.digits),
    st.characters(categories=("Ll", "Lo")),
)
_tld = st.sampled_from(["com", "io", "org", "example", "de", "xn--p1ai", "\u0440\u0444"])


@st.composite
def _generated_email(draw: st.DrawFn) -> str:
    local = draw(st.text(_local_char, min_size=1, max_size=24))
    labels = draw(st.lists(st.text(_label_char, min_size=1, max_size=12), min_size=1, max_size=3))
    return f"{local}@{'.'.join([*labels, draw(_tld)])}"


def emails() -> st.SearchStrategy[str]:
    """Valid e-mail addresses (per :func:`email_problem`) in many scripts and cases."""
    return st.one_of(st.sampled_from(_KNOWN_EMAILS), _generated_email()).filter(
        lambda email: email_problem(email) is None
    )


# Compatibility look-alikes: each maps to the key under NFKC (and casefold).
_LOOKALIKES: dict[str, tuple[str, ...]] = {
    "\u03a9": ("\u2126",),  # GREEK CAPITAL OMEGA <- OHM SIGN
    "\u03c9": ("\u2126",),
    "k": ("\u212a",),  # KELVIN SIGN
    "K": ("\u212a",),
    "\u00e5": ("\u212b",),  # ANGSTROM SIGN
    "\u00c5": ("\u212b",),
    "s": ("\u017f",),  # LATIN SMALL LETTER LONG S
    "@": ("\uff20", "\ufe6b"),  # FULLWIDTH / SMALL COMMERCIAL AT
    ".": ("\uff0e",),
    "1": ("\u00b9", "\U0001d7cf"),  # SUPERSCRIPT ONE, MATHEMATICAL BOLD DIGIT ONE
}
for _ascii in string.ascii_letters + string.digits:
    # The fullwidth block mirrors printable ASCII at U+FF01..U+FF5E.
    _LOOKALIKES[_ascii] = (*_LOOKALIKES.get(_ascii, ()), chr(ord(_ascii) + 0xFEE0))


def _same_under_canonicalisation(a: str, b: str) -> bool:
    # Character-level check with Unicode's own definitions (NFKC, casefold), not with
    # the function under test, so a variant is equivalent by construction.
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


@st.composite
def _respelled_char(draw: st.DrawFn, ch: str) -> str:
    options = [ch, ch.upper(), ch.lower(), ch.title(), *_LOOKALIKES.get(ch, ())]
    return draw(st.sampled_from([o for o in options if _same_under_canonicalisation(o, ch)]))


@st.composite
def email_spellings(draw: st.DrawFn, email: str) -> str:
    """Another spelling of ``email`` the service must treat as the same address.

    Per character: another case, a compatibility look-alike (fullwidth, OHM SIGN for
    omega, KELVIN SIGN, long s); then maybe a whole-string NF(K)D/NFC form; then maybe
    surrounding whitespace.
    """
    text = "".join(draw(_respelled_char(ch)) for ch in email)
    form = draw(st.sampled_from((None, *NORMAL_FORMS)))
    if form is not None:
        text = unicodedata.normalize(form, text)
    pad = st.text(st.sampled_from(_OUTER_WHITESPACE), max_size=3)
    return draw(pad) + text + draw(pad)


def distinct_emails() -> st.SearchStrategy[tuple[str, str]]:
    """Two valid e-mails whose canonical forms differ: they must be two accounts."""
    return st.tuples(emails(), emails()).filter(
        lambda pair: canonical_email(pair[0]) != canonical_email(pair[1])
    )


# -------------------------------------------------------------------------- passwords

# Any printable Unicode: no controls, format characters, surrogates, private use or
# unassigned code points. Spaces (Zs) stay in: they are significant.
_printable = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_EMOJI = (
    "\U0001f600",
    "\U0001f44d\U0001f3fd",  # thumbs up + skin tone
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # ZWJ family
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
    "\U0001f1e9\U0001f1ea",  # regional indicators
    "\u2764\ufe0f",
    "\U0001f511",
)
#: Text whose NFC, NFD and NFKC spellings differ: the normalisation edge cases.
NORMALISATION_PIECES = (
    "\u00e9",  # é precomposed
    "e\u0301",  # é decomposed
    "\u212b",  # ANGSTROM SIGN
    "\u1100\u1161",  # Hangul jamo; NFC composes them to U+AC00
    "\uac00",
    "\uff50\uff41\uff53\uff53",  # fullwidth "pass"
    "\ufb01",  # fi ligature
    "\u00b2",  # superscript two
    "\u2163",  # ROMAN NUMERAL FOUR
    "\u1e9b\u0323",  # long s with dot above + dot below: all four forms differ
)
_SPACES = (" ", "  ", "\u00a0", "\u3000", "\u2003")
_WORDS = (
    "correct",
    "horse",
    "battery",
    "staple",
    "Tr0ub4dor",
    "\u043f\u0430\u0440\u043e\u043b\u044c",
)

_piece = st.one_of(
    st.text(_printable, min_size=1, max_size=12),
    st.sampled_from(_EMOJI),
    st.sampled_from(NORMALISATION_PIECES),
    st.sampled_from(_SPACES),
    st.sampled_from(_WORDS),
)


@st.composite
def _assembled_password(draw: st.DrawFn) -> str:
    body = "".join(draw(st.lists(_piece, min_size=1, max_size=8)))
    # Leading and trailing spaces are part of the password, never stripped.
    lead = draw(st.sampled_from(("", "", " ", "  ", "\u3000")))
    trail = draw(st.sampled_from(("", "", " ", "\u00a0")))
    return (lead + body + trail)[:MAX_PASSWORD_LENGTH]


@st.composite
def _repeated_password(draw: st.DrawFn, max_length: int) -> str:
    unit = draw(st.one_of(_piece, st.sampled_from(_EMOJI)))
    tail = draw(st.text(_printable, min_size=1, max_size=8))
    least = BCRYPT_MAX_BYTES // len(unit.encode()) + 1
    repeats = draw(st.integers(least, max(least, max_length // len(unit))))
    return (unit * repeats)[: max_length - len(tail)] + tail


def long_passwords(max_length: int = MAX_PASSWORD_LENGTH) -> st.SearchStrategy[str]:
    """Passwords over bcrypt's 72 UTF-8 bytes, up to ``max_length`` code points.

    Built by repeating a short unit (often multi-byte) and adding a different tail, so
    that many of them agree on their first 72 bytes and differ only after them.
    """
    return _repeated_password(max_length).filter(lambda text: len(text.encode()) > BCRYPT_MAX_BYTES)


def _password_text(min_size: int) -> st.SearchStrategy[str]:
    return st.one_of(
        _assembled_password(),
        long_passwords(),
        st.text(_printable, min_size=min_size, max_size=64),
    ).filter(lambda text: 1 <= len(text) <= MAX_PASSWORD_LENGTH)


def raw_passwords() -> st.SearchStrategy[str]:
    """Any printable password text, 1 to 1024 code points; valid or not."""
    return _password_text(min_size=1)


def valid_passwords(email: str | None = None) -> st.SearchStrategy[str]:
    """Passwords the registration policy accepts (for ``email``, when given)."""
    # Mostly long enough by construction, so the policy filter rarely has to reject.
    return _password_text(min_size=POLICY.min_length).filter(
        lambda password: not POLICY.problems(password, email=email)
    )


@st.composite
def credentials(draw: st.DrawFn) -> tuple[str, str]:
    """A valid ``(email, password)`` pair: registration must accept it."""
    email = draw(emails())
    return email, draw(valid_passwords(email))


def password_forms(password: str) -> dict[NormalForm, str]:
    """The four Unicode normal forms of ``password``; NFKC makes them one password."""
    return {form: unicodedata.normalize(form, password) for form in NORMAL_FORMS}


@st.composite
def password_mutations(draw: st.DrawFn, password: str, *, within: int | None = None) -> str:
    """``password`` with exactly one character replaced, inserted, deleted or re-cased.

    Only changes that survive normalisation count: replacing a fullwidth ``p`` with an
    ASCII ``p`` is the same password under NFKC, so it is not a mutation. ``within``
    limits the change to the first ``within`` characters (to stay inside bcrypt's
    72 bytes, for instance).
    """
    limit = len(password) if within is None else max(1, min(within, len(password)))
    index = draw(st.integers(0, limit - 1))
    op = draw(st.sampled_from(("replace", "insert", "delete", "case", "append")))
    if within is not None and op == "append":
        op = "insert"
    other = draw(st.one_of(_printable, st.sampled_from(" \u00e9e\u0301aA1")))
    before, ch, after = password[:index], password[index], password[index + 1 :]
    if op == "replace":
        mutated = before + other + after
    elif op == "insert":
        mutated = before + other + ch + after
    elif op == "delete":
        mutated = before + after
    elif op == "case":
        mutated = before + ch.swapcase() + after
    else:
        mutated = password + other
    # Rejected, not repaired: the mutation must be a real single-character change.
    assume(bool(mutated) and normalize_password(mutated) != normalize_password(password))
    return mutated


def bcrypt_visible_chars(password: str) -> int:
    """How many leading characters of ``password`` (NFKC) fit in bcrypt's 72 bytes."""
    return len(normalize_password(password).encode()[:BCRYPT_MAX_BYTES].decode(errors="ignore"))


# ------------------------------------------------------------------------ legacy hashes


@dataclass(frozen=True)
class LegacyRecord:
    """An account's stored hash from an older system or an older configuration.

    ``password`` is what the user types; ``stored`` was made from ``hashed``, which is
    its NFKC form (the service's documented normalisation) unless the record was drawn
    with ``as_typed=True``, which hashes the text exactly as typed, as Django and PHP
    ``password_hash`` do.
    """

    password: str
    hashed: str
    stored: str
    scheme: str


_OLD_ARGON2 = (
    Argon2Params(memory_cost=512, time_cost=1, parallelism=1),
    Argon2Params(memory_cost=1024, time_cost=2, parallelism=1),
    Argon2Params(memory_cost=2048, time_cost=1, parallelism=2),
)
LEGACY_SCHEMES = (PBKDF2_SHA256, BCRYPT, ARGON2_OLD)


@st.composite
def legacy_records(
    draw: st.DrawFn,
    password: st.SearchStrategy[str] | None = None,
    *,
    schemes: Sequence[str] = LEGACY_SCHEMES,
    as_typed: bool = False,
) -> LegacyRecord:
    """A PBKDF2-SHA256, bcrypt ($2a$/$2b$/$2y$) or old-parameter argon2id record.

    Costs are the lowest each scheme allows (bcrypt 4 rounds, PBKDF2 1-1000 iterations,
    argon2id at most 2 MiB), so hashing stays a small part of a test's time.
    """
    plain = draw(password if password is not None else valid_passwords())
    hashed = plain if as_typed else normalize_password(plain)
    scheme = draw(st.sampled_from(list(schemes)))
    if scheme == PBKDF2_SHA256:
        iterations = draw(st.integers(1, 1000))
        stored = make_pbkdf2_sha256(hashed, iterations=iterations)
    elif scheme == BCRYPT:
        prefix = draw(st.sampled_from(("2a", "2b", "2y")))
        stored = make_bcrypt(hashed, rounds=4, prefix=prefix)
    else:
        params = draw(st.sampled_from(_OLD_ARGON2))
        stored = PasswordHasher(params).hash(hashed)
    return LegacyRecord(password=plain, hashed=hashed, stored=stored, scheme=scheme)


# ------------------------------------------------------------------------------ clocks


def instants() -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes for a :class:`ManualClock` start, with and without microseconds."""
    return st.datetimes(
        min_value=datetime(2001, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2099, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    )


def clock_advances(
    boundaries: Sequence[float], *, spread: int = 2, longest: float = 86_400.0
) -> st.SearchStrategy[float]:
    """Seconds to move a clock: mostly next to a rule's boundaries, sometimes anywhere.

    ``boundaries`` are the interesting offsets (a TTL, TTL plus leeway, a lock window);
    the strategy draws ``boundary + d`` for ``|d| <= spread`` seconds, fractions of a
    second next to it, and arbitrary offsets up to ``longest`` seconds.
    """
    near = st.builds(
        lambda b, d: max(0.0, b + d),
        st.sampled_from(list(boundaries)),
        st.one_of(
            st.integers(-spread, spread).map(float),
            st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False),
        ),
    )
    anywhere = st.floats(0.0, longest, allow_nan=False, allow_infinity=False)
    return st.one_of(near, anywhere)


# ------------------------------------------------------------------------------ tokens

_B64URL = string.ascii_letters + string.digits + "-_"
_ATTACKER_SECRET = "attacker-chosen-secret-that-is-long-enough-0123456789"
TAMPERINGS = (
    "replace_char",
    "flip_bit",
    "truncate",
    "append",
    "drop_signature",
    "swap_payload",
    "swap_signature",
    "alg_none",
    "resign_other_key",
    "resign_other_subject",
    "resign_longer_expiry",
    "unknown_kid",
    "swapcase",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _resigned(claims: dict[str, object], kid: object) -> str:
    # Signed with a key the service never had: what an attacker can produce.
    headers = {"kid": kid} if isinstance(kid, str) else {}
    return jwt.encode(claims, _ATTACKER_SECRET, algorithm="HS256", headers=headers)


_FORGERIES = ("unknown_kid", "resign_other_subject", "resign_longer_expiry", "resign_other_key")


def _forged(kind: str, parts: list[str], others: list[str]) -> str:
    header: dict[str, object] = json.loads(_unb64(parts[0]))
    payload: dict[str, object] = json.loads(_unb64(parts[1]))
    if kind == "alg_none":
        return f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{parts[1]}."
    if kind == "unknown_kid":
        return _resigned(payload, "attacker")
    if kind == "resign_other_subject":
        return _resigned({**payload, "sub": json.loads(_unb64(others[1]))["sub"]}, header["kid"])
    if kind == "resign_longer_expiry":
        exp = payload["exp"]
        assert isinstance(exp, int)
        return _resigned({**payload, "exp": exp + 86_400}, header["kid"])
    return _resigned(payload, header["kid"])


@st.composite
def tampered_tokens(draw: st.DrawFn, token: str, other: str) -> tuple[str, str]:
    """``(kind, token')``: ``token`` (a JWT) changed by someone without the signing key.

    ``other`` is a valid token of another account, for segment swaps and subject
    substitution. Every kind yields a string different from ``token``.
    """
    kind = draw(st.sampled_from(TAMPERINGS))
    parts, others = token.split("."), other.split(".")
    if kind == "replace_char":
        index = draw(st.integers(0, len(token) - 1))
        replacement = draw(st.sampled_from(_B64URL + ".=").filter(lambda c: c != token[index]))
        tampered = token[:index] + replacement + token[index + 1 :]
    elif kind == "flip_bit":
        segment = draw(st.integers(0, 2))
        raw = bytearray(_unb64(parts[segment]))
        bit = draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 1 << (bit % 8)
        tampered = ".".join([*parts[:segment], _b64(bytes(raw)), *parts[segment + 1 :]])
    elif kind == "truncate":
        tampered = token[: draw(st.integers(0, len(token) - 1))]
    elif kind == "append":
        tampered = token + draw(st.text(_B64URL + ".", min_size=1, max_size=8))
    elif kind == "drop_signature":
        tampered = f"{parts[0]}.{parts[1]}" + draw(st.sampled_from(("", ".")))
    elif kind == "swap_payload":
        tampered = f"{parts[0]}.{others[1]}.{parts[2]}"
    elif kind == "swap_signature":
        tampered = f"{parts[0]}.{parts[1]}.{others[2]}"
    elif kind == "swapcase":
        tampered = token.swapcase()
    else:
        tampered = _forged(kind, parts, others)
    assume(tampered != token)
    return kind, tampered

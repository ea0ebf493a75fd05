"""Login identifiers: the one canonical form of an e-mail address, and its validation.

Every path that takes an e-mail (registration, login, throttling, import) must key on
:func:`canonical_email`, or two spellings of one address become two accounts, or one
account's lockout is dodged by changing case.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "EMAIL_EMPTY",
    "EMAIL_INVALID",
    "EMAIL_TOO_LONG",
    "MAX_EMAIL_LENGTH",
    "canonical_email",
    "email_problem",
]

#: RFC 5321 limits a forward path to 256 octets including the angle brackets; counted
#: here in code points of the canonical form.
MAX_EMAIL_LENGTH = 254

EMAIL_EMPTY = "email_empty"
EMAIL_TOO_LONG = "email_too_long"
EMAIL_INVALID = "email_invalid"

# Control (Cc), format (Cf: zero-width and bidi overrides, used for look-alikes),
# surrogate (Cs: cannot be stored as UTF-8) and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# NFKC and casefold do not commute in general (casefolding can produce text that NFKC
# changes again, and NFKC can produce leading spaces, e.g. U+203E OVERLINE), so one pass
# of each is not idempotent for every input. Repeating until nothing changes is; real
# inputs settle in one or two passes, and the bound only guards against the unforeseen.
_MAX_PASSES = 4


def _one_pass(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.strip())
    return unicodedata.normalize("NFKC", text.casefold()).strip()


def canonical_email(raw: str) -> str:
    """Return the canonical form of an e-mail address.

    Surrounding whitespace is stripped, then the text is NFKC-normalised and casefolded:
    ``"  \\uff26oo@Example.COM "`` (with a fullwidth F) becomes ``"foo@example.com"``,
    and OHM SIGN matches GREEK CAPITAL OMEGA. The function is idempotent: canonicalising a
    canonical form returns it unchanged. It does not validate; see :func:`email_problem`.
    """
    text = raw
    for _ in range(_MAX_PASSES):
        nxt = _one_pass(text)
        if nxt == text:
            break
        text = nxt
    return text


def email_problem(raw: str) -> str | None:
    """Return ``None`` if ``raw`` is an acceptable e-mail address, else a reason code.

    The canonical form is what is checked. Codes are stable: ``"email_empty"``,
    ``"email_too_long"`` (more than 254 code points) and ``"email_invalid"`` (not exactly
    one ``@``, an empty local part, a domain without a dot or with an empty label, or
    whitespace or control characters inside). Quoted local parts and IP-literal domains
    are not supported.
    """
    email = canonical_email(raw)
    if not email:
        return EMAIL_EMPTY
    if len(email) > MAX_EMAIL_LENGTH:
        return EMAIL_TOO_LONG
    if any(ch.isspace() or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in email):
        return EMAIL_INVALID
    local, at, domain = email.partition("@")
    if not at or not local or "@" in domain:
        return EMAIL_INVALID
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return EMAIL_INVALID
    return None

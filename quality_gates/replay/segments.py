"""The segments of a replay population and their default shares.

The defaults mirror a service that migrated from a legacy system: most accounts still hold the
password hash they were imported with (Django PBKDF2, bcrypt from PHP or Node including PHP's
``$2y$``, argon2id made with older parameters), across the settings real frameworks use (bcrypt
12-14, PBKDF2 up to a million iterations, argon2id version 0x10 and at 64-100 MiB: those costly
segments are sampled), and the rest are the users the update is most
likely to break: odd e-mail spellings, non-ASCII passwords (compatibility characters too),
long and spaced passwords, accounts locked or disabled, and users holding sessions the old
version issued. Kept free of heavy imports: the policy validates segment names against this
table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Source = Literal["import", "register"]
Scheme = Literal[
    "pbkdf2",
    "pbkdf2-modern",
    "bcrypt",
    "bcrypt-2y",
    "bcrypt-long",
    "bcrypt-12",
    "bcrypt-high",
    "argon2-old",
    "argon2-v16",
    "argon2-modern",
]
EmailStyle = Literal["plain", "mixed-case", "whitespace", "unicode", "shapes"]
PasswordStyle = Literal["ascii", "nfc", "nfd", "compat", "long", "spaces"]
State = Literal["active", "locked", "disabled"]


@dataclass(frozen=True)
class Segment:
    """One kind of account: how it is written into the baseline's database, how it logs in.

    ``address`` is how the user writes their e-mail, ``typed`` how they type their password.
    """

    name: str
    share: float
    description: str
    source: Source
    scheme: Scheme | None = None
    address: EmailStyle = "plain"
    typed: PasswordStyle = "ascii"
    state: State = "active"
    live_session: bool = False
    sample: int = 0
    """At most this many accounts (0: no cap): a costly setting is sampled, not replayed at
    its full share (docs/replay.md, "Sampling")."""

    @property
    def can_log_in(self) -> bool:
        """Whether the right password must let this account in."""
        return self.state == "active"


_ALL = (
    Segment(
        "legacy-pbkdf2", 15, "imported Django PBKDF2-SHA256 (Django 1.8-3.2)", "import", "pbkdf2"
    ),
    Segment(
        "legacy-pbkdf2-modern",
        2,
        "imported Django PBKDF2-SHA256 at 390,000-1,000,000 iterations (Django 4.0-5.2)",
        "import",
        "pbkdf2-modern",
        sample=5,
    ),
    Segment(
        "legacy-pbkdf2-nfd",
        2,
        "imported Django PBKDF2-SHA256 of a non-ASCII password typed in NFD (macOS)",
        "import",
        "pbkdf2",
        typed="nfd",
    ),
    Segment("legacy-bcrypt", 9, "imported bcrypt $2a$/$2b$ (Node, Ruby)", "import", "bcrypt"),
    Segment("legacy-bcrypt-2y", 7, "imported PHP bcrypt $2y$", "import", "bcrypt-2y"),
    Segment(
        "legacy-bcrypt-12",
        2,
        "imported bcrypt at cost 12 (Laravel, Django's BCryptSHA256, passlib)",
        "import",
        "bcrypt-12",
        sample=4,
    ),
    Segment(
        "legacy-bcrypt-high",
        2,
        "imported bcrypt at cost 13 and 14 (hardened deployments)",
        "import",
        "bcrypt-high",
        sample=2,
    ),
    Segment(
        "legacy-bcrypt-long",
        3,
        "imported bcrypt of a password over 72 bytes (bcrypt hashed the first 72)",
        "import",
        "bcrypt-long",
        typed="long",
    ),
    Segment(
        "argon2-old-params", 7, "imported argon2id with older parameters", "import", "argon2-old"
    ),
    Segment(
        "legacy-argon2-v16",
        2,
        "imported argon2id of version 0x10 (libraries before argon2 1.3)",
        "import",
        "argon2-v16",
    ),
    Segment(
        "legacy-argon2-modern",
        2,
        "imported argon2id at Django's and argon2-cffi 21.2's defaults (64-100 MiB)",
        "import",
        "argon2-modern",
        sample=2,
    ),
    Segment("current", 5, "registered through the baseline's API", "register"),
    Segment(
        "email-mixed-case", 5, "e-mail registered in mixed case", "register", address="mixed-case"
    ),
    Segment(
        "email-whitespace",
        4,
        "e-mail typed with surrounding spaces",
        "register",
        address="whitespace",
    ),
    Segment(
        "email-unicode", 3, "non-ASCII mixed-case e-mail (ß, Ö)", "register", address="unicode"
    ),
    Segment(
        "email-shapes",
        4,
        "e-mail shapes seen in the wild: + tags, subdomains, new and long TLDs, IDN, ' and -",
        "register",
        address="shapes",
    ),
    Segment("password-nfc", 3, "non-ASCII password typed in NFC", "register", typed="nfc"),
    Segment(
        "password-nfd",
        3,
        "non-ASCII password typed in NFD (macOS input)",
        "register",
        typed="nfd",
    ),
    Segment(
        "password-compat",
        2,
        "password with compatibility characters (fullwidth, ligature, superscript)",
        "register",
        typed="compat",
    ),
    Segment("password-long", 4, "password over 72 bytes", "register", typed="long"),
    Segment(
        "password-spaces",
        4,
        "password with inner and trailing spaces",
        "register",
        typed="spaces",
    ),
    Segment(
        "locked", 3, "locked by a burst of wrong passwords", "import", "pbkdf2", state="locked"
    ),
    Segment("disabled", 2, "imported as disabled", "import", "bcrypt", state="disabled"),
    Segment(
        "live-session",
        5,
        "holding an access and a refresh token issued by the baseline",
        "register",
        live_session=True,
    ),
)

#: Every segment by name, in report order.
SEGMENTS: Mapping[str, Segment] = MappingProxyType({segment.name: segment for segment in _ALL})
#: The default share of each segment (percent of the population).
DEFAULT_SHARES: Mapping[str, float] = MappingProxyType({s.name: s.share for s in _ALL})

"""Evidence: the requests and responses that decided a verdict, with every secret masked.

Each test gets an ``EvidenceLog``; the client records every exchange in it, and the test marks
the ones that decided its verdict (the last exchange when it marks none). Exchanges are kept raw
while the test runs and masked only when rendered, so a token that first appears in a later
response is still masked wherever it appeared earlier.

Masking: every secret the suite knows (passwords it sent, tokens it received) becomes
``[kind#fingerprint]`` - a short SHA-256 prefix, so a reader can still see that two tokens are
equal or different without seeing either; so does anything that looks like a JWT, the values
of sensitive headers (``Authorization``, ``Cookie``, ``Set-Cookie``) and of body, form and query
fields whose name says password, token or secret. Each place is masked exactly once: one
regular-expression pass replaces every known secret and JWT at the same time and steps over
placeholders already written, so a secret inside a placeholder (the probe password
``password`` in ``[password#...]``) is never masked again. Bodies that cannot be parsed (too
deep, truncated, not UTF-8) are masked as text, field by field where they look like JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

BODY_EXCERPT = 300
SHOWN_RESPONSE_HEADERS = (
    "content-type",
    "cache-control",
    "location",
    "www-authenticate",
    "set-cookie",
    "retry-after",
    "x-content-type-options",
    "server",
    "access-control-allow-origin",
    "access-control-allow-credentials",
)
SENSITIVE_HEADERS = ("authorization", "cookie", "set-cookie")
_SENSITIVE_KEY = re.compile(r"pass|token(?!_type)|secret|credential|hash", re.IGNORECASE)
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
#: What masking writes; never masked again.
_PLACEHOLDER = re.compile(r"\[[a-z_]+#[0-9a-f]{8}\]")
#: A JSON string field in text that did not parse (``"key": "value"``, escapes allowed).
_JSON_FIELD = re.compile(r'"([^"\\]{1,64})"\s*:\s*"((?:[^"\\]|\\.)*)"')
_MIN_SECRET = 4


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible name for a secret value."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class Masker:
    """Replaces known secrets, JWT-looking strings and sensitive values by fingerprints."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._public: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def public(self, value: str) -> None:
        """Never mask ``value`` as text: a probe everyone knows (``password`` from a blocklist).

        Masking it would turn the word "password" into a fingerprint all over the report. It is
        still masked as the value of a field named like a password.
        """
        self._public.add(value)
        if self._secrets.pop(value, None) is not None:
            self._pattern = None

    def add(self, secret: str | None, kind: str = "secret") -> None:
        """Remember ``secret`` (too short a value would mask innocent text, so is ignored)."""
        if (
            secret
            and len(secret) >= _MIN_SECRET
            and secret not in self._secrets
            and secret not in self._public
        ):
            self._secrets[secret] = kind
            self._pattern = None

    def mask(self, text: str) -> str:
        """``text`` with every known secret and JWT-looking string replaced, in one pass."""
        if self._pattern is None:
            # Placeholders first (kept as they are), then secrets longest first (a secret
            # containing another is replaced whole), then JWTs.
            secrets = sorted(self._secrets, key=len, reverse=True)
            parts = [_PLACEHOLDER.pattern, *map(re.escape, secrets), _JWT_LIKE.pattern]
            self._pattern = re.compile("|".join(f"(?:{part})" for part in parts))
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if _PLACEHOLDER.fullmatch(found):
            return found
        return f"[{self._secrets.get(found, 'jwt')}#{fingerprint(found)}]"

    def mask_header(self, name: str, value: str) -> str:
        """A header value, fully masked when the header carries credentials."""
        if name.lower() not in SENSITIVE_HEADERS:
            return self.mask(value)
        if name.lower() == "authorization":
            scheme, _, credentials = value.partition(" ")
            if credentials:
                return f"{scheme} {self._opaque(credentials)}"
        if name.lower() == "set-cookie":
            cookie, _, attributes = value.partition(";")
            cookie_name, _, cookie_value = cookie.partition("=")
            masked = self._opaque(cookie_value) if cookie_value else ""
            return (
                f"{cookie_name}={masked};{attributes}" if attributes else f"{cookie_name}={masked}"
            )
        return self._opaque(value)

    def mask_url(self, url: str) -> str:
        """A path and query, sensitive or known-secret query values masked (decoded first)."""
        path, sep, query = url.partition("?")
        if not sep:
            return self.mask(url)
        return f"{self.mask(path)}?{self._mask_pairs(query)}"

    def mask_body(self, body: str, content_type: str) -> str:
        """A request or response body with sensitive fields masked, known secrets too."""
        if "x-www-form-urlencoded" in content_type:
            return self._mask_pairs(body)
        if "json" in content_type:
            try:
                data = json.loads(body)
                return json.dumps(self._mask_value(data), ensure_ascii=False)
            except (ValueError, RecursionError):
                pass  # truncated, not JSON, or nested too deep for the parser: mask as text
        return self.mask(_JSON_FIELD.sub(self._field, body))

    def _mask_pairs(self, encoded: str) -> str:
        pairs = parse_qsl(encoded, keep_blank_values=True)
        # Values only: a field called ``password`` keeps its name when the password is "password".
        return "&".join(f"{key}={self._mask_field(key, value)}" for key, value in pairs)

    def _mask_field(self, key: str, value: str) -> str:
        return self._opaque(value) if _SENSITIVE_KEY.search(key) and value else self.mask(value)

    def _field(self, match: re.Match[str]) -> str:
        """A ``"key": "value"`` pair seen in unparsed text, its value masked if the key is."""
        key, value = match.group(1), match.group(2)
        if not _SENSITIVE_KEY.search(key) or not value:
            return match.group(0)
        return f'"{key}": "{self._opaque(value)}"'

    def _mask_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self._mask_field(str(key), item)
                if isinstance(item, str)
                else self._mask_value(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._mask_value(item) for item in value]
        return self.mask(value) if isinstance(value, str) else value

    def _opaque(self, value: str) -> str:
        if _PLACEHOLDER.fullmatch(value):
            return value
        kind = self._secrets.get(value, "masked")
        return f"[{kind}#{fingerprint(value)}]"


@dataclass
class Exchange:
    """One request and its response (or the transport error that replaced it), raw."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str = ""
    elapsed: float = 0.0
    error: str = ""

    def header(self, name: str) -> str:
        """The first response header ``name`` ('' when absent)."""
        return next((v for k, v in self.response_headers if k.lower() == name.lower()), "")

    def render(self, masker: Masker) -> str:
        """Two lines: ``> METHOD URL body`` and ``< STATUS headers body``, masked."""
        request_type = next((v for k, v in self.request_headers if k.lower() == "content-type"), "")
        auth = [
            f"{k}: {masker.mask_header(k, v)}"
            for k, v in self.request_headers
            if k.lower() in ("authorization", "cookie", "origin")
        ]
        request = f"> {self.method} {masker.mask_url(self.url)}"
        if auth:
            request += " [" + "; ".join(auth) + "]"
        if self.request_body:
            request += " " + _excerpt(masker.mask_body(self.request_body, request_type))
        if self.status is None:
            return f"{request}\n< no response: {self.error}"
        shown = [
            f"{k}: {masker.mask_header(k, v)}"
            for k, v in self.response_headers
            if k.lower() in SHOWN_RESPONSE_HEADERS
        ]
        response = f"< {self.status} ({self.elapsed * 1000:.0f} ms)"
        if shown:
            response += " [" + "; ".join(shown) + "]"
        if self.response_body:
            body = masker.mask_body(self.response_body, self.header("content-type"))
            response += " " + _excerpt(body)
        return f"{request}\n{response}"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= BODY_EXCERPT:
        return flat
    return flat[:BODY_EXCERPT] + f"... ({len(text)} chars)"


@dataclass
class EvidenceLog:
    """What one test sent and received, which exchanges decided it, and its notes."""

    masker: Masker = field(default_factory=Masker)
    exchanges: list[Exchange] = field(default_factory=list)
    decisive: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, exchange: Exchange) -> int:
        """Keep ``exchange``; returns its index."""
        self.exchanges.append(exchange)
        return len(self.exchanges) - 1

    def decide(self, index: int) -> None:
        """Mark exchange ``index`` as one that decided the verdict."""
        if index not in self.decisive:
            self.decisive.append(index)

    def note(self, text: str) -> None:
        """Add a line of explanation (a measurement, a comparison) to the evidence."""
        self.notes.append(text)

    def render(self, limit: int = 3) -> str:
        """The notes, then the decisive exchanges (the last exchange if none was marked)."""
        chosen = self.decisive[-limit:] or ([len(self.exchanges) - 1] if self.exchanges else [])
        lines = [self.masker.mask(note) for note in self.notes]
        lines += [self.exchanges[index].render(self.masker) for index in chosen]
        return "\n".join(lines)

"""Evidence: the requests and responses that decided a verdict, with every secret masked.

Each test gets an ``EvidenceLog``; the client records every exchange in it, and the test marks
the ones that decided its verdict (the last exchange when it marks none). Exchanges are kept raw
while the test runs and masked only when rendered, so a token that first appears in a later
response is still masked wherever it appeared earlier.

Masking, in order: every secret the suite knows (passwords it sent, tokens it received) becomes
``[kind#fingerprint]`` - a short SHA-256 prefix, so a reader can still see that two tokens are
equal or different without seeing either; then anything that looks like a JWT; then the values
of sensitive headers (``Authorization``, ``Cookie``, ``Set-Cookie``) and of body fields whose
name says password, token or secret.
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
_MIN_SECRET = 4


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible name for a secret value."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class Masker:
    """Replaces known secrets, JWT-looking strings and sensitive values by fingerprints."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}

    def add(self, secret: str | None, kind: str = "secret") -> None:
        """Remember ``secret`` (too short a value would mask innocent text, so is ignored)."""
        if secret and len(secret) >= _MIN_SECRET:
            self._secrets.setdefault(secret, kind)

    def mask(self, text: str) -> str:
        """``text`` with every known secret and JWT-looking string replaced."""
        # Longest first, so a secret containing another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, f"[{self._secrets[secret]}#{fingerprint(secret)}]")
        return _JWT_LIKE.sub(lambda m: f"[jwt#{fingerprint(m.group(0))}]", text)

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

    def mask_body(self, body: str, content_type: str) -> str:
        """A request or response body with sensitive fields masked, known secrets too."""
        if "json" in content_type:
            try:
                data = json.loads(body)
            except ValueError:
                return self.mask(body)
            return self.mask(json.dumps(self._mask_value(data), ensure_ascii=False))
        if "x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(body, keep_blank_values=True)
            masked = [
                (key, self._opaque(value) if _SENSITIVE_KEY.search(key) and value else value)
                for key, value in pairs
            ]
            return self.mask("&".join(f"{key}={value}" for key, value in masked))
        return self.mask(body)

    def _mask_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self._opaque(item)
                if _SENSITIVE_KEY.search(str(key)) and isinstance(item, str) and item
                else self._mask_value(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._mask_value(item) for item in value]
        return value

    def _opaque(self, value: str) -> str:
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
        request = f"> {self.method} {masker.mask(self.url)}"
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

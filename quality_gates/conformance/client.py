"""The HTTP client of the conformance suite, built from a target profile.

One ``Connection`` per run holds the httpx client, the request budget and a sample of the
responses seen (for the error-leak properties). Each test gets a ``TargetClient`` on it, bound
to the test's evidence log. Safety rails: bounded timeouts, no redirects followed, no proxies
from the environment, requests only to the origin of the URL the user gave, and a hard cap on
the number of requests, so a runaway test cannot hammer a service.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from quality_gates.conformance.evidence import EvidenceLog, Exchange
from quality_gates.profile import Endpoint, TargetProfile

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0
REQUEST_BUDGET = 3000
KEEP_RESPONSES = 600
BODY_KEPT = 8192


_RETRYABLE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class RequestBudgetExceededError(RuntimeError):
    """The run sent more requests than its budget allows: a bug in a test, stopped early."""


class UnexpectedResponseError(AssertionError):
    """A step the test depends on (a registration, a login) did not succeed."""


@dataclass(frozen=True)
class TokenPair:
    """The tokens of a login or refresh response (``None`` when the target sent none)."""

    access: str | None
    refresh: str | None


@dataclass(frozen=True)
class Account:
    """An account the suite registered (or seeded), with its plain password."""

    email: str
    password: str


@dataclass
class Connection:
    """Per-run state: the httpx client, the request count and recent responses."""

    profile: TargetProfile
    base_url: str
    budget: int = REQUEST_BUDGET
    requests: int = 0
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    seen: deque[Exchange] = field(default_factory=lambda: deque(maxlen=KEEP_RESPONSES))
    _http: httpx.Client | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def http(self) -> httpx.Client:
        """The shared httpx client (created on first use)."""
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.base_url,
                timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
                follow_redirects=False,
                trust_env=False,  # never route through a proxy from the environment
            )
        return self._http

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()

    def take(self) -> None:
        """Count one request against the budget."""
        with self._lock:
            self.requests += 1
            if self.requests > self.budget:
                raise RequestBudgetExceededError(f"more than {self.budget} requests in one run")

    def unique(self) -> int:
        """A number never returned before in this run."""
        with self._lock:
            return next(self._counter)


def same_origin(base_url: str, url: str) -> bool:
    """Whether ``url`` (absolute) is on the origin of ``base_url``."""
    base, other = urlsplit(base_url), urlsplit(url)
    return (base.scheme, base.hostname, base.port) == (other.scheme, other.hostname, other.port)


class TargetClient:
    """Talks to the target for one test, recording every exchange in the test's evidence."""

    def __init__(self, connection: Connection, log: EvidenceLog) -> None:
        self.connection = connection
        self.profile = connection.profile
        self.log = log
        self._lock = threading.Lock()
        self.last: int = -1

    # --- raw requests ------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Send one request to the target; transport errors propagate after being recorded."""
        if "://" in path and not same_origin(self.connection.base_url, path):
            raise ValueError(f"refusing to send a request off the target's origin: {path}")
        self.connection.take()
        all_headers = dict(headers or {})
        if token is not None:
            cookie = self.profile.tokens.send_cookie
            if cookie is None:
                all_headers["Authorization"] = f"Bearer {token}"
            else:
                all_headers["Cookie"] = f"{cookie}={token}"
        request = self.connection.http.build_request(
            method, path, json=json, data=data, content=content, headers=all_headers, params=params
        )
        for attempt in (1, 2):
            exchange = Exchange(
                method=method,
                url=request.url.raw_path.decode("ascii", "replace"),
                request_headers=list(request.headers.items()),
                request_body=request.content[:BODY_KEPT].decode("utf-8", "replace"),
            )
            started = time.perf_counter()
            try:
                response = self.connection.http.send(request)
                break
            except httpx.HTTPError as exc:
                exchange.error = f"{type(exc).__name__}: {exc}"
                exchange.elapsed = time.perf_counter() - started
                self._record(exchange)
                # A server that crashed on the previous request may have closed the kept-alive
                # connection; one retry goes over a new one. A timeout is never retried.
                if attempt == 2 or not isinstance(exc, _RETRYABLE):
                    raise
            finally:
                self.connection.http.cookies.clear()  # state is explicit: no ambient cookies
        exchange.elapsed = time.perf_counter() - started
        exchange.status = response.status_code
        exchange.response_headers = list(response.headers.items())
        exchange.response_body = response.content[:BODY_KEPT].decode("utf-8", "replace")
        self._record(exchange)
        response.extensions["qg_exchange"] = exchange
        response.extensions["qg_index"] = self.last
        return response

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.last = self.log.record(exchange)
        self.connection.seen.append(exchange)

    def decide(self, *responses: httpx.Response) -> None:
        """Mark ``responses`` as the ones that decided the verdict."""
        for response in responses:
            index = response.extensions.get("qg_index")
            if isinstance(index, int):
                self.log.decide(index)

    def note(self, text: str) -> None:
        """Add a line to the evidence."""
        self.log.note(text)

    def secret(self, value: str | None, kind: str = "secret") -> None:
        """Mask ``value`` wherever it appears in the evidence."""
        self.log.masker.add(value, kind)

    def public(self, value: str) -> None:
        """``value`` is a well-known probe, not a secret: never mask it as text."""
        self.log.masker.public(value)

    # --- endpoints ---------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        """The profile's endpoint ``name`` (the caller checked that it exists)."""
        endpoint = self.profile.endpoint(name)
        if endpoint is None:
            raise LookupError(f"the profile has no [endpoints.{name}]")
        return endpoint

    def body(self, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The request body of endpoint ``name`` from framework-named ``values``."""
        endpoint = self.endpoint(name)
        return {endpoint.field(key): value for key, value in values.items() if endpoint.field(key)}

    def call(
        self,
        name: str,
        values: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        extra: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Call endpoint ``name`` with ``values`` (framework names) plus raw ``extra`` fields."""
        endpoint = self.endpoint(name)
        payload = {**self.body(name, values or {}), **(extra or {})}
        for key, value in (values or {}).items():
            if "password" in key or "token" in key:
                self.secret(value if isinstance(value, str) else None, key)
        common: dict[str, Any] = {"token": token, "params": params, "headers": headers}
        if not payload and endpoint.method in ("GET", "DELETE"):
            return self.send(endpoint.method, endpoint.path, **common)
        if endpoint.encoding == "form":
            form = {key: "" if value is None else str(value) for key, value in payload.items()}
            return self.send(endpoint.method, endpoint.path, data=form, **common)
        return self.send(endpoint.method, endpoint.path, json=payload, **common)

    def ok(self, name: str, response: httpx.Response) -> bool:
        """Whether ``response`` is a success of endpoint ``name``."""
        return response.status_code in self.endpoint(name).success

    def register(self, email: str, password: str, **extra: Any) -> httpx.Response:
        """``register`` with an e-mail and a password (and raw extra fields)."""
        return self.call("register", {"email": email, "password": password}, extra=extra)

    def login(self, email: str, password: str) -> httpx.Response:
        """``login``; the tokens of a success are remembered as secrets."""
        response = self.call("login", {"email": email, "password": password})
        self.tokens(response)
        return response

    def me(self, token: str | None) -> httpx.Response:
        """``me`` with the access token (``None``: without one)."""
        return self.call("me", token=token)

    def logout(self, token: str | None, refresh: str | None = None) -> httpx.Response:
        """``logout`` with the access token (and the refresh token if the target takes one)."""
        takes_refresh = "refresh_token" in self.endpoint("logout").fields
        values = {"refresh_token": refresh} if refresh and takes_refresh else {}
        return self.call("logout", values, token=token)

    def refresh(self, refresh_token: Any) -> httpx.Response:
        """``refresh`` with ``refresh_token`` (any value, for the fuzzing properties)."""
        response = self.call("refresh", {"refresh_token": refresh_token})
        self.tokens(response)
        return response

    def change_password(self, token: str, current: str, new: str) -> httpx.Response:
        """``change_password`` for the holder of ``token``."""
        values = {"current_password": current, "new_password": new}
        return self.call("change_password", values, token=token)

    # --- tokens and accounts -----------------------------------------------------------

    def tokens(self, response: httpx.Response) -> TokenPair:
        """The access and refresh tokens in a login or refresh response."""
        where = self.profile.tokens
        pair = TokenPair(_locate(response, where.access), _locate(response, where.refresh))
        self.secret(pair.access, "access")
        self.secret(pair.refresh, "refresh")
        return pair

    def new_email(self, tag: str = "u") -> str:
        """A fresh e-mail address, unique to this run."""
        return f"qg{self.connection.run_id}-{self.connection.unique()}-{tag}@example.com"

    def new_password(self) -> str:
        """A fresh password: long, random, and on no blocklist."""
        password = f"Cf-{secrets.token_hex(6)}-{self.connection.unique()}!"
        self.secret(password, "password")
        return password

    def account(self, password: str | None = None, tag: str = "u") -> Account:
        """Register a fresh account; a refused registration fails the test with the evidence."""
        account = Account(self.new_email(tag), password or self.new_password())
        self.secret(account.password, "password")
        response = self.register(account.email, account.password)
        if not self.ok("register", response):
            self.decide(response)
            raise UnexpectedResponseError(
                f"registering a fresh account got {response.status_code}, "
                f"expected one of {list(self.endpoint('register').success)}"
            )
        return account

    def session(self, account: Account) -> TokenPair:
        """Log ``account`` in; a refused login fails the test with the evidence."""
        response = self.login(account.email, account.password)
        pair = self.tokens(response)
        if not self.ok("login", response) or pair.access is None:
            self.decide(response)
            raise UnexpectedResponseError(
                f"logging in with the correct password got {response.status_code}"
                + ("" if pair.access else " and no access token")
            )
        return pair


def json_of(response: httpx.Response) -> Any:
    """The response's JSON, or ``None`` when it is not JSON a parser can read.

    A hostile target can send JSON nested deeper than the parser's recursion limit: that is a
    reply that is not usable JSON, not a crash of the suite.
    """
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _locate(response: httpx.Response, where: str | None) -> str | None:
    """The token at ``where`` (a dotted JSON path or ``cookie:NAME``) in ``response``."""
    if where is None:
        return None
    if where.startswith("cookie:"):
        value = response.cookies.get(where.removeprefix("cookie:"))
        return value or None
    node = json_of(response)
    for part in where.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) and node else None

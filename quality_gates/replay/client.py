"""The target's HTTP API as its profile describes it, and the outcome class of each answer.

Outcomes: ``success`` (a success status, with the tokens a login or refresh must return),
``bad_credentials`` (a refusal: 4xx), ``locked`` (423), ``rate_limited`` (429) and ``error``
(5xx, a transport failure, a timeout, or a success without its tokens). A target that hides
lockout behind the same 401 as a wrong password (as it should) shows ``bad_credentials``.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from quality_gates.profile import Endpoint, TargetProfile
from quality_gates.replay.server_timing import server_seconds

Outcome = Literal["success", "bad_credentials", "locked", "rate_limited", "error"]
OUTCOMES: tuple[Outcome, ...] = ("success", "bad_credentials", "locked", "rate_limited", "error")

#: Seconds an idle connection is kept for reuse (see make_client).
KEEPALIVE_EXPIRY = 2.0


def classify(status: int | None, success: tuple[int, ...], *, complete: bool = True) -> Outcome:
    """The outcome class of an answer; ``complete`` is false when expected tokens are missing."""
    if status is None or status >= 500:
        return "error"
    if status in success:
        return "success" if complete else "error"
    if status == 423:
        return "locked"
    if status == 429:
        return "rate_limited"
    if 400 <= status < 500:
        return "bad_credentials"
    return "error"  # a redirect or a 2xx the profile does not list


@dataclass(frozen=True)
class Result:
    """One answer: its class, status (``None`` when none came) and a secret-free detail."""

    outcome: Outcome
    status: int | None
    detail: str = ""
    access: str | None = None
    refresh: str | None = None
    seconds: float = 0.0
    """Round-trip time on loopback (0 when no answer came): the timing rules' sample."""
    server_seconds: float | None = None
    """The service's own time from its ``Server-Timing`` header, when the profile names the
    metric (``[timing] server_metric``) and the answer carried it: the sample without the
    client, the network and the event loop's queue."""


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Never store a cookie: accounts share one client, so cookies are sent by hand."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:  # noqa: ARG002
        return False


def make_client(
    base_url: str, concurrency: int, timeout: float, *, local_address: str | None = None
) -> httpx.AsyncClient:
    """A client for one server: pooled connections, no cookie memory, loopback only.

    ``local_address`` binds its connections to that source address (127.0.0.2, …), so the
    server or its proxy sees it as a client of its own.
    """
    # Idle connections expire well before a server's own idle timeout (uvicorn's is 5 s, the
    # same as httpx's default): otherwise a request sent just as the server closes the
    # connection gets no answer (a ReadError, counted as the version's error). Lock-step
    # pairing leaves a connection idle while the other version catches up, so it happens.
    limits = httpx.Limits(
        max_connections=concurrency * 2,
        max_keepalive_connections=concurrency,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    # The transport takes the limits when there is one (the client's own are then ignored).
    transport = (
        httpx.AsyncHTTPTransport(local_address=local_address, limits=limits)
        if local_address is not None
        else None
    )
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=limits,
        transport=transport,
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
        trust_env=False,  # no proxy: traffic stays on the loopback
    )


def _dig(document: object, dotted: str) -> str | None:
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document if isinstance(document, str) and document else None


class Api:
    """Requests of the replay against one server.

    ``pace``, when given, is awaited before each request, outside its timing: the replay
    holds both versions' requests of an account there so that they leave together
    (``pairing.play_pair``).
    """

    def __init__(
        self,
        profile: TargetProfile,
        client: httpx.AsyncClient,
        pace: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.profile = profile
        self.client = client
        self.pace = pace
        self.has_refresh = profile.endpoint("refresh") is not None and bool(profile.tokens.refresh)
        self.has_logout = profile.endpoint("logout") is not None
        self.has_change_password = profile.endpoint("change_password") is not None

    def paced(self, pace: Callable[[], Awaitable[None]]) -> Api:
        """The same server and connections, with ``pace`` awaited before each request."""
        return Api(self.profile, self.client, pace)

    def _token(self, response: httpx.Response, where: str | None) -> str | None:
        if where is None:
            return None
        if where.startswith("cookie:"):
            return response.cookies.get(where.removeprefix("cookie:")) or None
        try:
            return _dig(response.json(), where)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    def _auth(self, access: str) -> dict[str, str]:
        cookie = self.profile.tokens.send_cookie
        return {"Cookie": f"{cookie}={access}"} if cookie else {"Authorization": f"Bearer {access}"}

    async def _send(
        self,
        endpoint: Endpoint,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | str:
        """The response, or the name of the transport error (never its message)."""
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if body is not None:
            kwargs["json" if endpoint.encoding == "json" else "data"] = body
        try:
            return await self.client.request(endpoint.method, endpoint.path, **kwargs)
        except httpx.HTTPError as exc:
            return type(exc).__name__

    async def _call(
        self,
        name: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        *,
        want_tokens: bool = False,
    ) -> Result:
        endpoint = self.profile.endpoints[name]
        if self.pace is not None:
            await self.pace()
        started = time.perf_counter()
        response = await self._send(endpoint, body, headers)
        seconds = time.perf_counter() - started
        if isinstance(response, str):
            return Result("error", None, response)
        metric = self.profile.timing.server_metric
        server = (
            server_seconds(response.headers.get_list("server-timing"), metric) if metric else None
        )
        if not want_tokens or response.status_code not in endpoint.success:
            outcome = classify(response.status_code, endpoint.success)
            return Result(outcome, response.status_code, seconds=seconds, server_seconds=server)
        access = self._token(response, self.profile.tokens.access)
        refresh = self._token(response, self.profile.tokens.refresh) if self.has_refresh else None
        complete = access is not None and (refresh is not None or not self.has_refresh)
        detail = "" if complete else "success status without the expected tokens"
        outcome = classify(response.status_code, endpoint.success, complete=complete)
        return Result(outcome, response.status_code, detail, access, refresh, seconds, server)

    def _credentials(self, name: str, email: str, password: str) -> dict[str, str]:
        endpoint = self.profile.endpoints[name]
        return {endpoint.field("email"): email, endpoint.field("password"): password}

    async def register(self, email: str, password: str) -> Result:
        """Create an account through the target's own registration."""
        return await self._call("register", self._credentials("register", email, password))

    async def login(self, email: str, password: str) -> Result:
        """Log in; a success carries the tokens."""
        body = self._credentials("login", email, password)
        return await self._call("login", body, want_tokens=True)

    async def login_response(
        self, email: str, password: str, headers: dict[str, str]
    ) -> httpx.Response | None:
        """A login with extra headers, as the raw response (``None``: no answer came)."""
        response = await self._send(
            self.profile.endpoints["login"], self._credentials("login", email, password), headers
        )
        return None if isinstance(response, str) else response

    async def me(self, access: str) -> Result:
        """The authenticated read."""
        return await self._call("me", headers=self._auth(access))

    async def refresh(self, refresh: str) -> Result:
        """Trade a refresh token for a new pair."""
        where = self.profile.tokens.refresh or ""
        if where.startswith("cookie:"):
            cookie = {"Cookie": f"{where.removeprefix('cookie:')}={refresh}"}
            return await self._call("refresh", headers=cookie, want_tokens=True)
        field = self.profile.endpoints["refresh"].field("refresh_token")
        return await self._call("refresh", {field: refresh}, want_tokens=True)

    async def logout(self, access: str, refresh: str | None) -> Result:
        """End the session of ``access``."""
        endpoint = self.profile.endpoints["logout"]
        body = None
        if "refresh_token" in endpoint.fields and refresh is not None:
            body = {endpoint.field("refresh_token"): refresh}
        return await self._call("logout", body, headers=self._auth(access))

    async def change_password(self, access: str, current: str, new: str) -> Result:
        """Change the password of the account of ``access``."""
        endpoint = self.profile.endpoints["change_password"]
        body = {
            endpoint.field("current_password"): current,
            endpoint.field("new_password"): new,
        }
        return await self._call("change_password", body, headers=self._auth(access))

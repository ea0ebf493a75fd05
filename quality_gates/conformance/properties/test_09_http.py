# ruff: noqa: S101 - pytest tests: a failed assert is the verdict, with its message
"""HTTP hygiene: properties 54-59, and the error-leak scan (50) over the whole run, last."""

from __future__ import annotations

import re

import httpx

from quality_gates.conformance.client import TargetClient
from quality_gates.conformance.properties._support import (
    HASH_MARKERS,
    check_logged_in,
    prop,
    skip,
)
from quality_gates.conformance.target import Target

EVIL = "https://evil.example"
#: What an error body or header must never hold: traces, SQL, driver names, versions, hashes.
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\bsqlalchemy\b|\bpsycopg|"
    r"\bsqlite3\b|IntegrityError|OperationalError|\bSELECT\s.+\sFROM\b|\bINSERT INTO\b|"
    r"(uvicorn|gunicorn|Werkzeug|Python|nginx|Apache)/\d",
    re.IGNORECASE,
)


@prop("54")
def test_token_responses_are_not_cached(client: TargetClient, target: Target) -> None:
    """Register, login, refresh and logout responses carry ``Cache-Control: no-store``."""
    email, password = client.new_email(), client.new_password()
    responses = {"register": client.register(email, password)}
    login = client.login(email, password)
    check_logged_in(client, login, "login")
    responses["login"] = login
    pair = client.tokens(login)
    if target.profile.endpoint("refresh") is not None and pair.refresh is not None:
        responses["refresh"] = client.refresh(pair.refresh)
        pair = client.tokens(responses["refresh"])
    if target.profile.endpoint("logout") is not None:
        responses["logout"] = client.logout(pair.access, pair.refresh)
    missing = [
        name
        for name, response in responses.items()
        if "no-store" not in response.headers.get("cache-control", "").lower()
    ]
    client.decide(*(responses[name] for name in missing[:2]))
    assert not missing, "no Cache-Control: no-store on " + ", ".join(missing)


@prop("55")
def test_security_headers(client: TargetClient, target: Target) -> None:
    """``nosniff`` everywhere, no version in ``Server``, a ``Content-Type`` on every body."""
    account = client.account()
    samples = [
        client.login(account.email, account.password),
        client.me("qg-not-a-token"),
        client.send("GET", "/qg-no-such-path"),
    ]
    problems = []
    for response in samples:
        if response.headers.get("x-content-type-options", "").lower() != "nosniff":
            problems.append((response, "no X-Content-Type-Options: nosniff"))
        if re.search(r"\d", response.headers.get("server", "")):
            problems.append((response, f"Server: {response.headers['server']}"))
        if response.content and not response.headers.get("content-type"):
            problems.append((response, "a body without Content-Type"))
        https = target.base_url.startswith("https://")
        if https and "strict-transport-security" not in response.headers:
            problems.append((response, "no Strict-Transport-Security over TLS"))
    client.decide(*(response for response, _ in problems[:2]))
    assert not problems, "; ".join(sorted({why for _, why in problems}))


@prop("56")
def test_session_cookie_attributes(client: TargetClient, target: Target) -> None:
    """Token cookies are Secure, HttpOnly and SameSite, and logout clears them."""
    location = target.profile.tokens.access
    if not location.startswith("cookie:"):
        skip("not applicable: the target returns its tokens in the body, not in cookies")
    name = location.removeprefix("cookie:")
    login = client.login(*_credentials(client))
    cookie = _set_cookie(login, name)
    client.decide(login)
    assert cookie, f"the login response sets no {name} cookie"
    missing = [a for a in ("secure", "httponly", "samesite") if a not in cookie.lower()]
    assert not missing, f"the {name} cookie lacks " + ", ".join(missing)
    if target.profile.endpoint("logout") is not None:
        logout = client.logout(client.tokens(login).access)
        cleared = _set_cookie(logout, name).lower()
        client.decide(logout)
        assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared, "not cleared"


def _credentials(client: TargetClient) -> tuple[str, str]:
    account = client.account()
    return account.email, account.password


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(
        (
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith(name + "=")
        ),
        "",
    )


@prop("57")
def test_cookie_authentication_needs_csrf_protection(client: TargetClient, target: Target) -> None:
    """With cookie authentication, a cross-site logout with only the cookie is refused."""
    cookie = target.profile.tokens.send_cookie
    if cookie is None:
        skip("not applicable: bearer-token API (CSRF needs ambient credentials)")
    if target.profile.endpoint("logout") is None:
        skip("not applicable: the profile has no [endpoints.logout]")
    token = client.tokens(client.login(*_credentials(client))).access
    endpoint = client.endpoint("logout")
    response = client.send(endpoint.method, endpoint.path, token=token, headers={"Origin": EVIL})
    client.decide(response)
    assert response.status_code == 403, f"a cross-site logout got {response.status_code}"


@prop("58")
def test_cors_and_methods(client: TargetClient) -> None:
    """No ``Origin`` is reflected with credentials, ``null`` is refused, TRACE/PUT get 4xx."""
    login = client.endpoint("login")
    problems = []
    for origin in (EVIL, "null"):
        headers = {"Origin": origin, "Access-Control-Request-Method": login.method}
        for response in (
            client.send("OPTIONS", login.path, headers=headers),
            client.call(
                "login",
                {"email": client.new_email(), "password": "x" * 12},
                headers={"Origin": origin},
            ),
        ):
            allowed = response.headers.get("access-control-allow-origin", "")
            credentials = response.headers.get("access-control-allow-credentials", "") == "true"
            if allowed == origin or (allowed == "*" and credentials):
                problems.append((response, f"Origin {origin} allowed"))
    for method in ("TRACE", "PUT"):
        if method != login.method:
            response = client.send(method, login.path)
            if not 400 <= response.status_code < 500:
                problems.append((response, f"{method} got {response.status_code}"))
    client.decide(*(response for response, _ in problems[:2]))
    assert not problems, "; ".join(why for _, why in problems)


@prop("59")
def test_login_redirects_stay_home(client: TargetClient) -> None:
    """A login with ``next``/``return_to`` pointing elsewhere does not redirect there."""
    account = client.account()
    params = {"next": EVIL, "return_to": EVIL, "redirect_uri": EVIL}
    response = client.call(
        "login", {"email": account.email, "password": account.password}, params=params
    )
    client.decide(response)
    location = response.headers.get("location", "")
    assert not location.startswith(EVIL), f"the login redirects to {location}"


@prop("50")
def test_errors_are_generic(client: TargetClient, target: Target) -> None:
    """Error probes, then every error response of the run: no trace, SQL, version or hash."""
    for name in ("register", "login"):
        endpoint = client.endpoint(name)
        for body in (b'{"a":', b"\xff\xfe", b"[" * 2000, b'{"email": 1e999999}'):
            client.send(
                endpoint.method,
                endpoint.path,
                content=body,
                headers={"Content-Type": "application/json"},
            )
    client.me("eyJhbGciOiJub25lIn0.e30.")
    client.send("GET", "/qg-no-such-path/../%00")
    scanned = 0
    for exchange in list(target.connection.seen):
        if exchange.status is None or exchange.status < 400:
            continue
        scanned += 1
        text = (
            exchange.response_body
            + "\n"
            + "\n".join(f"{k}: {v}" for k, v in exchange.response_headers)
        )
        found = LEAKS.search(text) or HASH_MARKERS.search(text)
        if found:
            client.log.decide(client.log.record(exchange))
            raise AssertionError(f"an error response leaks {found.group(0)[:60]!r}")
    client.note(f"{scanned} error responses scanned")

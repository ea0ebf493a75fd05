"""Evidence masking: no secret the suite knows, and nothing that looks like one, is shown."""

from __future__ import annotations

from quality_gates.conformance.evidence import EvidenceLog, Exchange, Masker, fingerprint

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def test_known_secrets_become_fingerprints() -> None:
    masker = Masker()
    masker.add("hunter2-secret", "password")
    masked = masker.mask("the password hunter2-secret was wrong")
    assert "hunter2" not in masked
    assert f"[password#{fingerprint('hunter2-secret')}]" in masked


def test_equal_secrets_share_a_fingerprint_and_short_values_are_ignored() -> None:
    masker = Masker()
    masker.add("abc", "password")  # too short: would mask innocent text
    masker.add("token-one-1234", "access")
    text = masker.mask("token-one-1234 token-one-1234 abc")
    assert text.count(f"[access#{fingerprint('token-one-1234')}]") == 2
    assert text.endswith("abc")


def test_longest_secret_first() -> None:
    masker = Masker()
    masker.add("secret-part", "a")
    masker.add("secret-part-and-more", "b")
    assert masker.mask("secret-part-and-more") == f"[b#{fingerprint('secret-part-and-more')}]"


def test_unknown_jwts_are_masked() -> None:
    assert Masker().mask(f"token {JWT} here") == f"token [jwt#{fingerprint(JWT)}] here"


def test_sensitive_headers() -> None:
    masker = Masker()
    assert "xyz-opaque" not in masker.mask_header("Authorization", "Bearer xyz-opaque")
    assert masker.mask_header("Authorization", "Bearer xyz").startswith("Bearer [masked#")
    cookie = masker.mask_header("Set-Cookie", "sid=s3cr3t; HttpOnly; Path=/")
    assert cookie.startswith("sid=[masked#")
    assert cookie.endswith("; HttpOnly; Path=/")
    assert "s3cr3t" not in masker.mask_header("Cookie", "sid=s3cr3t")
    assert masker.mask_header("Content-Type", "application/json") == "application/json"


def test_sensitive_body_fields() -> None:
    masker = Masker()
    body = masker.mask_body(
        '{"email": "a@b.c", "password": "pw-123456", "nested": {"refresh_token": "rt-1"},'
        ' "token_type": "bearer"}',
        "application/json",
    )
    assert "pw-123456" not in body
    assert "rt-1" not in body
    assert '"email": "a@b.c"' in body
    assert '"token_type": "bearer"' in body
    form = masker.mask_body(
        "username=a%40b.c&password=pw-123456", "application/x-www-form-urlencoded"
    )
    assert form.startswith("username=a@b.c&password=[masked#")


def test_exchange_rendering_masks_everything() -> None:
    log = EvidenceLog()
    log.masker.add("pw-123456", "password")
    log.masker.add("opaque-refresh-1", "refresh")
    index = log.record(
        Exchange(
            method="POST",
            url="/login?password=pw-123456",
            request_headers=[
                ("content-type", "application/json"),
                ("authorization", f"Bearer {JWT}"),
            ],
            request_body='{"password": "pw-123456"}',
            status=200,
            response_headers=[("content-type", "application/json"), ("cache-control", "no-store")],
            response_body=f'{{"access_token": "{JWT}", "refresh_token": "opaque-refresh-1"}}',
            elapsed=0.012,
        )
    )
    log.decide(index)
    log.note("a note with pw-123456")
    text = log.render()
    for secret in ("pw-123456", "opaque-refresh-1", JWT):
        assert secret not in text
    assert "> POST /login?password=[password#" in text
    assert "< 200 (12 ms) [content-type: application/json; cache-control: no-store]" in text


def test_transport_errors_render() -> None:
    exchange = Exchange("GET", "/x", [], "", error="ConnectError: refused")
    assert exchange.render(Masker()) == "> GET /x\n< no response: ConnectError: refused"


def test_last_exchange_is_the_default_evidence() -> None:
    log = EvidenceLog()
    for status in (200, 401):
        log.record(Exchange("GET", "/me", [], "", status=status))
    assert log.render().splitlines()[-1].startswith("< 401")


def test_a_secret_inside_a_placeholder_is_masked_once() -> None:
    """The probe password ``password`` must not be masked inside its own placeholder."""
    masker = Masker()
    masker.add("password", "password")
    masker.add("password123", "password")
    text = masker.mask("sent password then password123")
    assert text == (
        f"sent [password#{fingerprint('password')}] then [password#{fingerprint('password123')}]"
    )
    form = masker.mask_body("email=a%40b.c&password=password", "application/x-www-form-urlencoded")
    assert form == f"email=a@b.c&password=[password#{fingerprint('password')}]"
    body = masker.mask_body('{"pw": "password"}', "application/json")
    assert body.count("[") == 1, body


def test_query_strings_are_masked_decoded_and_by_name() -> None:
    masker = Masker()
    masker.add("pw 1234!", "password")
    url = masker.mask_url("/login?username=a%40b.c&password=pw+1234%21&next=%2Fhome")
    assert url == f"/login?username=a@b.c&password=[password#{fingerprint('pw 1234!')}]&next=/home"
    assert "s3cret" not in masker.mask_url("/x?api_token=s3cret")
    assert masker.mask_url("/plain/path") == "/plain/path"


def test_deeply_nested_and_truncated_bodies_are_masked_as_text() -> None:
    masker = Masker()
    masker.add("pw-123456", "password")
    deep = "[" * 50_000 + '"pw-123456"' + "]" * 50_000
    assert "pw-123456" not in masker.mask_body(deep, "application/json")
    nested = '{"a": ' * 900 + '{"password": "hidden-value"}' + "}" * 900
    assert "hidden-value" not in masker.mask_body(nested, "application/json")
    truncated = '{"refresh_token": "rt-secret-1", "detail": "cut he'
    assert "rt-secret-1" not in masker.mask_body(truncated, "application/json")
    assert "rt-secret-1" not in masker.mask_body(truncated, "text/html")


def test_cookie_and_set_cookie_values_are_masked_once() -> None:
    masker = Masker()
    masker.add("session-value-1", "access")
    expected = f"[access#{fingerprint('session-value-1')}]"
    assert masker.mask_header("Cookie", "session-value-1") == expected
    set_cookie = masker.mask_header("Set-Cookie", "sid=session-value-1; HttpOnly")
    assert set_cookie == f"sid={expected}; HttpOnly"


def test_public_probe_values_are_not_masked_as_text_but_still_as_fields() -> None:
    masker = Masker()
    masker.public("password")
    masker.add("password", "password")
    assert masker.mask("claims.password_blocklist") == "claims.password_blocklist"
    body = masker.mask_body('{"password": "password"}', "application/json")
    assert body == f'{{"password": "[masked#{fingerprint("password")}]"}}'

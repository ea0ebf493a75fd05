"""The property catalogue: id, title, severity and sources of every property the suite knows.

Each entry names the standards and test suites it comes from, abbreviated as listed in
docs/conformance.md ("Properties"). Each test names its property with
``@pytest.mark.auth_property("27")``; reports show the title and the sources from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Property:
    """One catalogue entry."""

    id: str
    title: str
    severity: str
    source: str


_ROWS = (
    ("01", "Correct credentials log in; a one-character change fails", "critical",
     "FU test_router_auth.py TestLogin; A5 6.2.8"),
    ("02", "Passwords are compared exactly (no case folding)", "critical", "A5 6.2.8"),
    ("03", "No truncation, including bcrypt's 72 bytes", "critical",
     "A4 2.1.3; N3 5.1.1.2; CS-PwStore Input Limits of bcrypt"),
    ("04", "Whitespace in a password is significant", "high",
     "DJ test_password_whitespace_not_stripped; A5 6.2.8; A4 2.1.3"),
    ("05", "Any printable Unicode is allowed; length counts code points", "high",
     "A4 2.1.4; N3 5.1.1.2; CS-PwStore International Characters"),
    ("06", "NFC and NFD forms of a password give the same outcome", "medium", "N3 5.1.1.2"),
    ("07", "64+ character passwords work; huge ones are refused quickly", "high",
     "A4 2.1.2; A5 6.2.9; N3 5.1.1.2"),
    ("08", "Minimum length enforced, no composition rules", "medium",
     "N3 5.1.1.2; A4 2.1.1, 2.1.9; A5 6.2.1, 6.2.5"),
    ("09", "Common passwords and e-mail-derived ones are refused", "medium",
     "A4 2.1.7; A5 6.2.4, 6.2.12; N3 5.1.1.2"),
    ("10", "The login identifier is canonicalised (case, spaces)", "high",
     "FU test_router_auth.py; KR password/login_test.go (suite convention)"),
    ("11", "Disabled accounts cannot log in, and look like bad credentials", "high",
     "FU test_inactive_user; DJ test_authenticate_inactive"),
    ("12", "Identical failure for unknown, wrong, locked and disabled", "critical",
     "CS-Auth Authentication Responses; A5 6.3.8"),
    ("13", "Timing does not reveal whether an account exists", "high",
     "CS-Auth Authentication Responses; A5 6.3.8; DJ #20760"),
    ("14", "Registration does not reveal existing accounts", "medium",
     "CS-Auth Authentication Responses; A5 6.3.8"),
    ("15", "Failed attempts per account are limited", "critical",
     "A4 2.2.1; N3 5.2.2; A5 6.3.1; KC BruteForceTest"),
    ("17", "A locked account looks like wrong credentials", "high",
     "KC BruteForceTest; CS-Auth Authentication Responses"),
    ("18", "A success resets the count; the lock expires", "high",
     "KC BruteForceTest testResetLoginFailureCount, testWait; N3 5.2.2"),
    ("20", "Empty passwords count as failures and never log in", "medium",
     "KC testBrowserMissingPassword; DJ test_authentication_without_credentials"),
    ("21", "A legacy hash is upgraded on the next successful login", "high",
     "CS-PwStore Upgrading Legacy Hashes; FU test_manager.py; DJ test_hashers.py"),
    ("22", "A failed login never rewrites the stored hash", "high",
     "DJ test_no_upgrade_on_incorrect_pass; KR login_test.go"),
    ("23", "argon2id >= m=19 MiB, t=2, p=1, unique salts; no hash in responses", "high",
     "CS-PwStore Argon2id; A4 2.4.1, 2.4.2; A5 11.4.2"),
    ("25", "Tokens are unique and unpredictable", "critical",
     "A5 7.2.3, 11.5.1; A4 3.2.2; CS-Sess Session ID Entropy"),
    ("26", "Every login issues a new token (no fixation)", "critical",
     "A4 3.2.1; A5 7.2.4; CS-Sess Renew the Session ID"),
    ("27", "Logout invalidates the token on the server", "critical",
     "A4 3.3.1; A5 7.4.1; N3 7.1"),
    ("28", "Logout requires a valid token and can be repeated", "medium",
     "KR logout/handler_test.go; FU TestLogout.test_missing_token"),
    ("29", "Access tokens expire at their lifetime", "critical", "A5 9.2.1; N3 7.1"),
    ("30", "Clock-skew leeway is bounded", "medium", "RFC 7519 4.1.4; A5 9.2.1"),
    ("31", "Sessions have an absolute lifetime", "high",
     "A5 7.3.1, 7.3.2, 10.4.8; A4 3.3.2; CS-Sess Session Expiration"),
    ("32", "Disabling an account or changing the password ends its sessions", "high",
     "A5 7.4.2, 7.4.3; A4 3.3.3"),
    ("33", "The token payload holds no secrets", "medium",
     "CS-Sess Session ID Content; A5 14.1.1"),
    ("34", "Credentials never travel in URLs", "high",
     "A4 3.1.1, 13.1.3; A5 14.2.1; CS-REST Sensitive information"),
    ("35", "A refresh rotates the refresh token", "high", "A5 10.4.5; KC RefreshTokenTest"),
    ("36", "A used refresh token is refused; reuse revokes the family", "critical",
     "A5 10.4.5"),
    ("37", "Access and refresh tokens are not interchangeable", "high",
     "KC refreshTokenWithAccessToken; A5 9.2.2"),
    ("38", "A garbage refresh token gets a clean 4xx", "medium",
     "KC invalidRefreshToken, nullRefreshToken"),
    ("39", "The JWT signature is verified", "critical", "A5 9.1.1; A4 3.5.3; CS-REST JWT"),
    ("40", "alg:none and algorithm switching are refused", "critical",
     "A5 9.1.2; CS-JWT Unsecured JWTs"),
    ("42", "aud, iss and token type are validated", "high", "A5 9.2.2, 9.2.3; CS-REST JWT"),
    ("44", "Malformed bodies get 400/422, never 500 or success", "high",
     "A4 13.2.2; FU test_empty_body; KR login_test.go"),
    ("45", "An unexpected Content-Type gets 415", "medium",
     "A4 13.1.5, 13.2.5; CS-REST Validate content types"),
    ("46", "Request bodies are size-limited (413)", "high", "CS-REST Input validation; A4 2.1.2"),
    ("48", "Mass assignment is blocked at registration", "critical",
     "FU test_valid_body_is_superuser; A4 5.1.2; A5 15.3.3"),
    ("49", "Identifiers are validated and NFKC-unique", "high",
     "DJ test_duplicate_normalized_unicode; FU test_wrong_email"),
    ("50", "Errors are generic: no trace, SQL, hash or version", "high",
     "A4 7.4.1, 14.3.3; A5 16.5.1, 13.4.6; CS-REST Error handling"),
    ("51", "Submitted secrets are never echoed", "high",
     "KR login_test.go; KR session/handler_test.go; FU test_router_register.py"),
    ("52", "Concurrent duplicate registrations make one account", "high",
     "A4 11.1.6; A5 15.4.2"),
    ("53", "Concurrent refreshes and failures do not overshoot", "high",
     "A5 10.4.5, 15.4.2; A4 2.2.1, 11.1.6"),
    ("54", "Token responses carry Cache-Control: no-store", "high",
     "CS-Sess Web Content Caching; A4 8.2.1; A5 14.3.2"),
    ("55", "Security headers: nosniff, no server version", "medium",
     "A4 14.4.1, 14.4.4, 14.3.3; A5 3.4.4; CS-REST Security Headers"),
    ("56", "Session cookies: Secure, HttpOnly, SameSite, cleared on logout", "high",
     "A4 3.4.1-3.4.5; A5 3.3.1-3.3.4"),
    ("57", "Cookie-authenticated changes need CSRF protection", "high",
     "A4 13.2.3; KR login_test.go"),
    ("58", "CORS does not reflect any Origin; TRACE is disabled", "medium",
     "A4 14.5.1, 14.5.3; A5 3.4.2, 4.1.4"),
    ("59", "Login redirect targets are allowlisted", "medium", "A4 5.1.5; DJ test_security_check"),
    ("60", "Logout or revocation with another account's refresh token ends nothing", "critical",
     "RFC 7009 2.1; A5 7.4.1, 8.2.2"),
    ("61", "A refresh token is only good for the account that received it", "critical",
     "RFC 6749 6; A5 10.4.5, 8.2.2"),
    ("62", "One account's token never acts on another account's session", "critical",
     "A4 4.2.1; A5 8.2.2"),
)  # fmt: skip

CATALOGUE: MappingProxyType[str, Property] = MappingProxyType(
    {row[0]: Property(*row) for row in _ROWS}
)


def lookup(property_id: str) -> Property:
    """The catalogue entry of ``property_id`` (an unknown id is a bug in the suite)."""
    try:
        return CATALOGUE[property_id]
    except KeyError:
        raise KeyError(f"no property {property_id!r} in the catalogue") from None

"""Security primitives of the reference service, free of HTTP and SQL.

- :mod:`authsvc.security.identifiers`: the canonical e-mail form and its validation.
- :mod:`authsvc.security.passwords`: password normalisation and the password policy.
- :mod:`authsvc.security.hashing`: argon2id hashing; legacy PBKDF2 and bcrypt verification.
- :mod:`authsvc.security.tokens`: HS256 access tokens and opaque refresh tokens.

Import from the submodules; this package deliberately re-exports nothing, so importing
one primitive does not load the others' libraries.
"""

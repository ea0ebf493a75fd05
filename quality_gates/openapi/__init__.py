"""OpenAPI breaking-change detection for the api-compat gate.

The rules are written here because no maintained Python tool compares OpenAPI documents; they
reuse oasdiff's rule ids and levels (ERR/WARN/INFO) so that its users recognise them, and raise
to ERR the changes that matter most to an authentication service.
"""

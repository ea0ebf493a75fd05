"""The API-compatibility gate: drift, oasdiff-style rules, auth-aware ERRs, waivers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.gates._repo import CLI, GitRepo, assert_golden, normalise
from tests.gates._scenarios import GEN, spec

POLICY = """\
[tool.quality_gates.api_compat]
snapshot = "openapi.json"
command = ["python", "gen.py"]
waivers = "api-waivers.toml"
"""


def break_it(document: dict[str, Any]) -> dict[str, Any]:
    """Breaking changes of every kind the gate knows, auth-aware ones included."""
    doc = copy.deepcopy(document)
    schemas = doc["components"]["schemas"]
    del schemas["Token"]["properties"]["refresh_token"]  # token field removed (optional!)
    schemas["Login"]["required"].append("tenant")
    schemas["Login"]["properties"]["tenant"] = {"type": "string"}
    schemas["Login"]["properties"]["email"]["maxLength"] = 100
    schemas["Login"]["properties"]["method"]["enum"] = ["password"]
    schemas["Node"]["properties"]["children"]["items"] = {"$ref": "#/components/schemas/Node"}
    schemas["Node"]["properties"]["name"] = {"type": "integer"}
    sessions = doc["paths"]["/v1/sessions"]["post"]
    del sessions["responses"]["401"]
    del sessions["responses"]["429"]["headers"]
    me = doc["paths"]["/v1/me"]["get"]
    me["security"] = []  # the endpoint became public
    me["parameters"].append(
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
    )
    me["parameters"][0]["schema"] = {"type": "integer"}
    del doc["paths"]["/v1/users/{id}"]
    doc["paths"]["/v1/health"] = {
        "get": {"security": [], "responses": {"200": {"description": "ok"}}}
    }
    return doc


def setup(repo: GitRepo, base: dict[str, Any], candidate: dict[str, Any] | None = None) -> None:
    """main commits ``base``; the feature branch commits ``candidate`` (snapshot and app)."""
    repo.write("pyproject.toml", POLICY)
    repo.write("gen.py", GEN)
    repo.write_json("openapi.json", base)
    repo.write_json("app_spec.json", base)
    repo.commit("base")
    repo.publish_main()
    if candidate is not None:
        repo.write_json("openapi.json", candidate)
        repo.write_json("app_spec.json", candidate)
        repo.commit("candidate")


def test_unchanged_api_passes(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec())
    result = cli("api-compat")
    assert result.code == 0, result.out + result.err
    assert "* api-compat: passed (no drift; no API change)" in result.out


def test_breaking_changes_are_reported_with_oasdiff_ids(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec(), break_it(spec()))
    result = cli("api-compat")
    assert result.code == 1
    assert_golden("api_compat_breaking.txt", normalise(result.out, repo))


def test_auth_aware_rules_raise_to_err(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec(), break_it(spec()))
    gate = json.loads(cli("api-compat", "--format", "json").out)["gates"][0]
    errors = {f["rule_id"]: f["message"] for f in gate["findings"] if f["severity"] == "error"}
    assert (
        "token response property 'refresh_token' removed"
        in errors["response-optional-property-removed"]
    )
    assert "(auth-aware: ERR)" in errors["response-non-success-status-removed"]
    assert "GET /v1/me: security requirement bearer removed" in errors["api-security-removed"]
    assert "'retry-after' removed" in errors["optional-response-header-removed"]


def test_drift_between_snapshot_and_app_fails(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec())
    changed = spec()
    changed["info"]["description"] = "now documented"
    repo.write_json("app_spec.json", changed)
    result = cli("api-compat")
    assert result.code == 1
    assert (
        "[snapshot-drift] snapshot drift: openapi.json differs from `python gen.py`" in result.out
    )
    assert "/info/description added" in result.out


def test_generated_spec_from_a_file(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec())
    path = repo.write_json("built.json", break_it(spec()))
    result = cli("api-compat", "--api-compat-spec", str(path))
    assert result.code == 1
    assert "snapshot drift" in result.out


def _waivers(repo: GitRepo, expires: str, extra: str = "") -> None:
    repo.write(
        "api-waivers.toml",
        f"""\
        [[waiver]]
        rule = "response-optional-property-removed"
        path = "POST /v1/sessions"
        reason = "refresh tokens moved to a cookie; clients updated in v2"
        owner = "@alice"
        expires = {expires}
        {extra}
        """,
    )


def _only_refresh_token_removed() -> dict[str, Any]:
    doc = spec()
    del doc["components"]["schemas"]["Token"]["properties"]["refresh_token"]
    return doc


def test_valid_waiver_accepts_the_change(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec(), _only_refresh_token_removed())
    _waivers(repo, "2999-12-31")
    result = cli("api-compat")
    assert result.code == 0, result.out
    assert "waived until 2999-12-31 by @alice" in result.out


def test_expired_waiver_fails(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec(), _only_refresh_token_removed())
    _waivers(repo, "2001-01-01")
    result = cli("api-compat")
    assert result.code == 1
    assert "[waiver-expired] waiver[0]" in result.out
    assert "expired on 2001-01-01" in result.out


def test_unused_waiver_is_reported(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec())
    _waivers(repo, "2999-12-31")
    result = cli("api-compat")
    assert result.code == 0
    assert "[waiver-unused]" in result.out


def test_invalid_waivers_list_every_problem(cli: CLI, repo: GitRepo) -> None:
    setup(repo, spec())
    repo.write(
        "api-waivers.toml",
        '[[waiver]]\nrule = "x"\npath = "/v1/me"\nexpires = "soon"\nowner = ""\nreasn = "typo"\n',
    )
    result = cli("api-compat")
    assert result.code == 2
    assert 'waiver[0].expires: expected a date YYYY-MM-DD, got "soon"' in result.err
    assert "waiver[0].owner: expected a non-empty string" in result.err
    assert 'waiver[0].reasn: unknown key (did you mean "reason"?)' in result.err
    assert "waiver[0].reason: missing (required)" in result.err


def test_fail_on_warn(cli: CLI, repo: GitRepo) -> None:
    doc = spec()
    del doc["paths"]["/v1/me"]["get"]["parameters"]  # request-parameter-removed is WARN
    setup(repo, spec(), doc)
    assert cli("api-compat").code == 0
    result = cli("api-compat", "--api-compat-fail-on", "WARN")
    assert result.code == 1
    assert "WARN GET /v1/me: query parameter 'fields' removed" in result.out


def test_new_api_without_baseline_snapshot(cli: CLI, repo: GitRepo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("base")
    repo.publish_main()
    repo.write("pyproject.toml", POLICY)
    repo.write("gen.py", GEN)
    repo.write_json("openapi.json", spec())
    repo.write_json("app_spec.json", spec())
    repo.commit("first API")
    result = cli("api-compat")
    assert result.code == 0
    assert "INFO POST /v1/sessions: endpoint added" in result.out


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            '[tool.quality_gates.api_compat]\nsnapshot = "missing.json"\n',
            "missing.json: cannot read",
        ),
        (POLICY.replace('"python", "gen.py"', '"python", "-c", "raise SystemExit(4)"'), "exited 4"),
        (
            POLICY.replace('"python", "gen.py"', '"no-such-command-qg"'),
            "no-such-command-qg not found",
        ),
    ],
)
def test_bad_inputs(cli: CLI, repo: GitRepo, policy: str, message: str) -> None:
    setup(repo, spec())
    repo.write("pyproject.toml", policy)
    result = cli("api-compat")
    assert result.code == 2
    assert message in result.err


def test_unresolvable_ref_is_bad_input(cli: CLI, repo: GitRepo) -> None:
    doc = spec()
    doc["paths"]["/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    setup(repo, spec(), doc)
    result = cli("api-compat")
    assert result.code == 2
    assert "$ref '#/components/schemas/Missing' points to nothing" in result.err


def test_not_configured_is_skipped(cli: CLI, repo: GitRepo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("base")
    result = cli("api-compat")
    assert result.code == 0
    assert "* api-compat: skipped (no api_compat.snapshot in the policy)" in result.out

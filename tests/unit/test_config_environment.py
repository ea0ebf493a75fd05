"""Unknown ``AUTHSVC_*`` variables refuse the start; deprecated names apply with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from authsvc import cli, config
from authsvc.config import Settings, UnknownSettingError, check_environment


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a rename of AUTHSVC_LOCKOUT_LIMIT to AUTHSVC_LOCKOUT_THRESHOLD."""
    monkeypatch.setattr(
        config, "DEPRECATED_ALIASES", {"AUTHSVC_LOCKOUT_LIMIT": "AUTHSVC_LOCKOUT_THRESHOLD"}
    )


def test_every_setting_is_known() -> None:
    """Each field's own variable passes, in any case, and other prefixes are not looked at."""
    environ = {f"AUTHSVC_{name.upper()}": "x" for name in Settings.model_fields}
    environ |= {"authsvc_dev_mode": "true", "PATH": "/bin", "QG_REQUIRE_NGINX": "1"}
    assert check_environment(environ) == []


def test_unknown_variable_names_the_closest_setting() -> None:
    """A typo is refused with the variable and the setting it most resembles."""
    with pytest.raises(UnknownSettingError) as caught:
        check_environment({"AUTHSVC_LOCKOUT_TRESHOLD": "3"})
    assert str(caught.value) == (
        "unknown setting AUTHSVC_LOCKOUT_TRESHOLD; did you mean AUTHSVC_LOCKOUT_THRESHOLD?"
    )
    with pytest.raises(UnknownSettingError, match=r"^unknown setting AUTHSVC_ZZZ$"):
        check_environment({"AUTHSVC_ZZZ": "1"})


@pytest.mark.usefixtures("renamed")
def test_deprecated_name_applies_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """An old deployment's variable keeps its effect, and the warning names the new one."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_LOCKOUT_LIMIT", "3")
    warnings = check_environment({"AUTHSVC_LOCKOUT_LIMIT": "3"})
    assert warnings == [
        "AUTHSVC_LOCKOUT_LIMIT is deprecated: it still applies, rename it to "
        "AUTHSVC_LOCKOUT_THRESHOLD"
    ]
    assert Settings().lockout_threshold == 3


@pytest.mark.usefixtures("renamed")
def test_new_name_wins_over_the_deprecated_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both set: the new name's value applies and the warning says the old one is ignored."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_LOCKOUT_LIMIT", "3")
    monkeypatch.setenv("AUTHSVC_LOCKOUT_THRESHOLD", "7")
    environ = {"AUTHSVC_LOCKOUT_LIMIT": "3", "AUTHSVC_LOCKOUT_THRESHOLD": "7"}
    assert check_environment(environ) == [
        "AUTHSVC_LOCKOUT_LIMIT is deprecated and ignored: AUTHSVC_LOCKOUT_THRESHOLD is set and wins"
    ]
    assert Settings().lockout_threshold == 7


def test_without_an_alias_an_old_name_does_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    """The alias table is what makes an old name apply (pydantic alone ignores it)."""
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_LOCKOUT_LIMIT", "3")
    assert Settings().lockout_threshold == 5


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["migrate"]])
def test_cli_refuses_before_creating_anything(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 3, one line on stderr, no traceback, and no database file created."""
    database = tmp_path / "never.db"
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("AUTHSVC_DEV_MODE", "true")
    monkeypatch.setenv("AUTHSVC_CLIENT_RATE_LIMT", "0")
    assert cli.main(command) == cli.EXIT_UNKNOWN_SETTING == 3
    err = capsys.readouterr().err
    assert err == (
        f"authsvc {command[0]}: unknown setting AUTHSVC_CLIENT_RATE_LIMT; "
        "did you mean AUTHSVC_CLIENT_RATE_LIMIT?\n"
    )
    assert not database.exists()


@pytest.mark.usefixtures("renamed")
def test_cli_warns_about_a_deprecated_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The start goes on; stderr names the new variable."""
    monkeypatch.setenv("AUTHSVC_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("AUTHSVC_LOCKOUT_LIMIT", "3")
    assert cli.main(["migrate"]) == 0
    captured = capsys.readouterr()
    assert "authsvc: warning: AUTHSVC_LOCKOUT_LIMIT is deprecated" in captured.err
    assert "AUTHSVC_LOCKOUT_THRESHOLD" in captured.err

"""The temporary copy and the ``[tool.mutmut]`` generated into it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from quality_gates.errors import InputError
from quality_gates.mutation.workdir import (
    MutmutConfig,
    config_for,
    copy_tree,
    fnmatch_escape,
    install_config,
    source_roots,
)


def test_the_copy_keeps_links_and_skips_mutants(tmp_path: Path) -> None:
    repo, copy = tmp_path / "repo", tmp_path / "copy"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "a.py").write_text("x = 1\n", encoding="utf-8")
    (repo / "mutants").mkdir()
    (repo / "mutants" / "old.py").write_text("", encoding="utf-8")
    (repo / "link.py").symlink_to("app/a.py")
    copy_tree(repo, ["app/a.py", "mutants/old.py", "link.py", "deleted.py"], copy)
    assert (copy / "app" / "a.py").read_text(encoding="utf-8") == "x = 1\n"
    assert (copy / "link.py").is_symlink()
    assert not (copy / "mutants").exists()
    assert not (copy / "deleted.py").exists()


def test_the_config_mutates_the_scope_files_and_copies_everything_else(tmp_path: Path) -> None:
    for name in ("app", "lib", "tests", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    config = config_for(tmp_path, ["app/auth/lo[g]in.py", "lib.py"], ("tests",), ("-x",))
    assert config.source_paths == ("app", "lib.py")
    assert config.only_mutate == ("app/auth/lo[[]g]in.py", "lib.py")
    assert config.also_copy == (".hidden", "lib", "setup.py", "tests")
    assert source_roots(["src/pkg/a.py", "src/pkg/b.py"]) == ("src",)
    assert fnmatch_escape("a*?.py") == "a[*][?].py"


CONFIG = MutmutConfig(("app",), ("app/a.py",), ("tests", "tëst data"), ("tests/unit",), ("-q",))


def test_the_table_replaces_the_repository_s_own(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.mutmut]\nsource_paths = ["other"]\n'
        'do_not_mutate = [\n  "a.py",\n]\n\n[tool.mutmut.extra]\nx = 1\n\n'
        "[tool.pytest.ini_options]\naddopts = '-ra'\n",
        encoding="utf-8",
    )
    install_config(tmp_path, CONFIG)
    document = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert document["project"] == {"name": "x"}
    assert document["tool"]["pytest"]["ini_options"] == {"addopts": "-ra"}
    mutmut = document["tool"]["mutmut"]
    assert mutmut["source_paths"] == ["app"]
    assert mutmut["also_copy"] == ["tests", "tëst data"]
    assert mutmut["pytest_add_cli_args_test_selection"] == ["tests/unit"]
    assert "do_not_mutate" not in mutmut
    assert mutmut["track_dependencies"] is False


def test_a_repository_without_pyproject_gets_one(tmp_path: Path) -> None:
    install_config(tmp_path, CONFIG)
    document = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert document["tool"]["mutmut"]["only_mutate"] == ["app/a.py"]


def test_settings_that_cannot_be_replaced_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool]\nmutmut = { source_paths = ["x"] }\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="could not be replaced"):
        install_config(tmp_path, CONFIG)

"""Put the quality_gates package into the framework's wheel and sdist.

The package lives beside this directory (../quality_gates) in the repository, and inside the
unpacked sdist once that is built; a fixed `force-include` path could name only one of them,
so this hook picks whichever exists. An editable install gets nothing from it: dev-mode-dirs
puts the repository root on sys.path instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "quality_gates"


class PackageHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        here = Path(self.root)
        for source in (here / PACKAGE, here.parent / PACKAGE):
            if (source / "__init__.py").is_file():
                build_data["force_include"][str(source)] = PACKAGE
                return
        raise FileNotFoundError(f"no {PACKAGE} package in {here} or its parent")

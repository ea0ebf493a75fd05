"""quality_gates: pre-merge quality gates for authentication services, usable on any repository.

Everything this package knows about the repository it checks comes from the policy in that
repository's ``pyproject.toml`` (``[tool.quality_gates]``); it never imports the code under test.
"""

from __future__ import annotations

__version__ = "0.1.0"

"""The bug zoo: realistic updates to authsvc that the pre-merge gate must block, or pass.

Each entry of ``bugzoo/patches/`` is a ``git diff`` against ``main`` and a TOML file saying what
it is (``metadata``). ``python -m bugzoo run`` applies each one in a temporary worktree
(``worktree``), runs the gate pipeline on it (``stages``, ``pipeline``), judges the results
(``results``) and writes ``docs/catch-matrix.md`` (``matrix``); ``python -m bugzoo demo``
replays the incident of 2024-05-25 through the same pipeline (``demo``). docs/bugzoo.md is the
guide. Like ``bench/``, this package is part of the repository, not of the distribution.
"""

from __future__ import annotations

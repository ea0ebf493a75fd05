"""The differential replay: a baseline and a candidate version side by side on one population.

``population`` makes the accounts (seeded, deterministic), ``legacy`` their imported password
hashes, ``worktree`` the baseline checkout and each version's environment, ``launch`` and
``databases`` the processes and their databases, ``seed`` writes the population through the
baseline's own code, ``client`` speaks the target's HTTP API as its profile describes,
``runner`` replays every account on both versions plus the rollback check, ``stats`` and
``verdict`` judge the paired outcomes; behind a proxy (``quality_gates.topology``), ``neighbour``
hammers both versions from a client of its own. Nothing here imports the service under test.
"""

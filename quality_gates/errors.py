"""Errors that mean "bad input", as opposed to a failed gate or a bug."""

from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Bad input from outside: a policy, a report file, a PR body, a CLI argument.

    Carries one message per problem. The CLI prints each on its own line and exits 2; inside
    ``run`` the gate that raised it becomes an ``error`` result and the other gates still run.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("; ".join(self.problems))

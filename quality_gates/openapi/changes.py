"""The change record every rule emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ERR", "WARN", "INFO"]
LEVEL_ORDER: dict[Level, int] = {"INFO": 0, "WARN": 1, "ERR": 2}


@dataclass(frozen=True)
class Change:
    """One difference between the baseline and the candidate API.

    ``rule_id`` and ``level`` follow oasdiff; ``auth`` marks a level raised to ERR by an
    auth-aware rule (security requirements, 401/403/429 responses, token response fields).
    ``operation`` is ``"POST /login"``, or ``""`` for a document-level change.
    """

    rule_id: str
    level: Level
    operation: str
    message: str
    auth: bool = False

    @property
    def text(self) -> str:
        """``POST /login: message`` (``(auth)`` appended when an auth rule raised it)."""
        prefix = f"{self.operation}: " if self.operation else ""
        return f"{prefix}{self.message}" + (" (auth-aware: ERR)" if self.auth else "")

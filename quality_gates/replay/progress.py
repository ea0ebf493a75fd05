"""Progress on a terminal, silence elsewhere (CI logs get the verdict, not a ticker)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TextIO

_EVERY = 0.25  # seconds between redraws


class Progress:
    """``replay: replaying on both versions 340/1000 (31/s)`` redrawn in place on a TTY."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._phase = ""
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    @classmethod
    def for_terminal(cls, stream: TextIO, environ: Mapping[str, str]) -> Progress:
        """Visible only when ``stream`` is a terminal and not in CI."""
        interactive = stream.isatty() and not environ.get("CI")
        return cls(stream if interactive else None)

    def phase(self, text: str) -> None:
        """A new step without a count."""
        self._phase, self._total, self._done = text, 0, 0
        self._draw(force=True)

    def start(self, total: int) -> None:
        """The current step counts to ``total``."""
        self._total, self._done, self._started = total, 0, time.monotonic()
        self._draw(force=True)

    def tick(self) -> None:
        """One more item done."""
        self._done += 1
        self._draw()

    def done(self) -> None:
        """Clear the line."""
        if self._stream is not None:
            self._stream.write("\r\033[K")
            self._stream.flush()

    def _draw(self, *, force: bool = False) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn < _EVERY:
            return
        self._drawn = now
        line = f"replay: {self._phase}"
        if self._total:
            speed = self._done / max(now - self._started, 1e-9)
            line += f" {self._done}/{self._total} ({speed:.0f}/s)"
        elif self._done:
            line += f" {self._done}"
        self._stream.write(f"\r\033[K{line}")
        self._stream.flush()

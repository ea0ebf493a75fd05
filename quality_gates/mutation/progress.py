"""Progress on a terminal, silence elsewhere (CI logs get the verdict, not a ticker)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TextIO

_EVERY = 0.5  # seconds between redraws


class Progress:
    """``mutation: testing mutants 12/46 (killed 11, survived 1) 0:42`` redrawn in place."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._started = time.monotonic()
        self._drawn = 0.0
        self._last = ""

    @classmethod
    def for_terminal(cls, stream: TextIO, environ: Mapping[str, str]) -> Progress:
        """Visible only when ``stream`` is a terminal and not in CI."""
        interactive = stream.isatty() and not environ.get("CI")
        return cls(stream if interactive else None)

    @property
    def visible(self) -> bool:
        """Whether anything is drawn."""
        return self._stream is not None

    def show(self, text: str, *, force: bool = False) -> None:
        """Draw ``text`` (at most every half second unless ``force``), with the elapsed time."""
        if self._stream is None or (text == self._last and not force):
            return
        now = time.monotonic()
        if not force and now - self._drawn < _EVERY:
            return
        self._drawn, self._last = now, text
        minutes, seconds = divmod(int(now - self._started), 60)
        self._stream.write(f"\r\033[Kmutation: {text} {minutes}:{seconds:02d}")
        self._stream.flush()

    def done(self) -> None:
        """Clear the line."""
        if self._stream is not None:
            self._stream.write("\r\033[K")
            self._stream.flush()

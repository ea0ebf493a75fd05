"""Structured logs: one JSON object per line, never a secret.

Every line carries ``ts``, ``level``, ``request_id`` (from the request being served),
``event``, and, for auth events, ``outcome`` and ``reason`` codes. Passwords, hashes and
tokens are never passed in; as a second line of defence, any field whose *name* suggests
a secret is redacted, and exception messages (which can embed SQL parameters) are never
written, only the exception type and the stack frames.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "LOGGER_NAME",
    "JsonFormatter",
    "configure_logging",
    "log_event",
    "request_id_var",
]

LOGGER_NAME = "authsvc"
#: The id of the request being served; ``"-"`` outside a request.
request_id_var: ContextVar[str] = ContextVar("authsvc_request_id", default="-")

_SECRET_NAME = re.compile(r"pass|hash|token|secret|authorization|cookie", re.IGNORECASE)
_REDACTED = "[redacted]"
_EVENT_FIELDS_ATTR = "authsvc_fields"
_HANDLER_MARK = "_authsvc_handler"

_logger = logging.getLogger(LOGGER_NAME)


def _safe_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (_REDACTED if _SECRET_NAME.search(name) else value)
        for name, value in fields.items()
        if value is not None
    }


def log_event(
    event: str,
    *,
    outcome: str | None = None,
    reason: str | None = None,
    level: int = logging.INFO,
    exc_info: BaseException | None = None,
    **fields: Any,
) -> None:
    """Log one event. ``fields`` must be plain codes and ids, never user secrets."""
    payload: dict[str, Any] = {"outcome": outcome, "reason": reason, **fields}
    _logger.log(level, event, exc_info=exc_info, extra={_EVENT_FIELDS_ATTR: _safe_fields(payload)})


class JsonFormatter(logging.Formatter):
    """Formats any log record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record``; the message of a foreign record becomes ``event``."""
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": request_id_var.get(),
            "event": record.getMessage(),
        }
        payload.update(getattr(record, _EVENT_FIELDS_ATTR, {}))
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            payload["exc_type"] = exc_type.__name__
            # Frames only: an exception's message may quote SQL parameters or input.
            payload["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Send every log record (the service's, uvicorn's) to stderr as JSON lines.

    Idempotent: calling it again replaces the handler it installed before.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    # Route uvicorn's server messages to the root handler. "uvicorn.access" is left as
    # uvicorn set it (off: the app writes its own http_request line per request).
    for name in ("uvicorn", "uvicorn.error"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True

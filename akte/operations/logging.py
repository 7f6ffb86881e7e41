"""Structured logs: one JSON object per line, with the request id of the request it was
written in, so a log line, the response's ``X-Request-ID`` and a user's report meet.

:func:`setup_logging` is called by ``akte serve`` and ``akte worker``; the request id gets
into the context by :class:`akte.operations.middleware.ObservabilityMiddleware`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "akte_request_id", default=None
)

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            data["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def setup_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for akte, uvicorn and everything else (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # the request log below replaces uvicorn's access log (same facts, plus the id)
    logging.getLogger("uvicorn.access").disabled = True
    # libraries that narrate their steps at INFO (a line per CSS sheet of every receipt
    # PDF, one per PDF opened): their warnings and errors still reach the log
    for name in ("weasyprint", "fontTools", "pikepdf"):
        logging.getLogger(name).setLevel(logging.WARNING)

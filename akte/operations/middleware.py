"""Per-request observability: the request id in the logging context, one JSON log line and
the HTTP metrics per request, labelled by route *template* (``/api/v1/documents/{id}``), so
ids never blow up label cardinality."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from akte.operations.logging import request_id_var
from akte.operations.metrics import HTTP

log = logging.getLogger("akte.request")


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = request_id_var.set((scope.get("state") or {}).get("request_id"))
        started = time.perf_counter()
        status = {"code": 500}

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP.observe(scope["method"], template, status["code"], elapsed)
            log.info(
                "%s %s %s",
                scope["method"],
                template,
                status["code"],
                extra={
                    "method": scope["method"],
                    "route": template,
                    "status": status["code"],
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id_var.reset(token)


def install(app) -> None:  # type: ignore[no-untyped-def]
    app.add_middleware(ObservabilityMiddleware)

"""Per-request observability: the request id in the logging context, one JSON log line and
the HTTP metrics per request, labelled by route *template* (``/api/v1/documents/{id}``), so
ids never blow up label cardinality.

Refused requests of a signed-in caller (403, and 404: what they may not see does not exist
for them) are written to the audit log with outcome ``denied``/``not_found``: the services
record what succeeded, this records who tried what and failed.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from akte.core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from akte.operations.logging import request_id_var

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
            if status["code"] in REFUSED:
                await _audit_refusal(scope, status["code"])
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(
                method=scope["method"], route=template, status=str(status["code"])
            ).inc()
            HTTP_LATENCY.labels(route=template).observe(elapsed)
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


REFUSED = {403: "denied", 404: "not_found"}


async def _audit_refusal(scope: Scope, status: int) -> None:
    principal = (scope.get("state") or {}).get("principal")
    route = scope.get("route")
    if principal is None or route is None:
        return
    from starlette.concurrency import run_in_threadpool

    ctx = scope["app"].state.ctx
    params = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
    action = f"{scope['method']} {getattr(route, 'path', '')}"[:64]
    try:
        await run_in_threadpool(_record, ctx, principal, action, REFUSED[status], params)
    except Exception:  # the answer is already sent; a lost refusal must not fail it
        log.exception("could not audit a refused request")


def _record(ctx, principal, action: str, outcome: str, params: dict) -> None:  # type: ignore[no-untyped-def]
    from akte.audit import service as audit
    from akte.core.database import session_scope

    object_type, object_id = next(
        ((k.removesuffix("_id"), v) for k, v in params.items() if k.endswith("_id")),
        (None, None),
    )
    with session_scope(ctx.session_factory) as session:
        audit.record(
            session,
            principal,
            action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=params,
        )


def install(app) -> None:  # type: ignore[no-untyped-def]
    app.add_middleware(ObservabilityMiddleware)

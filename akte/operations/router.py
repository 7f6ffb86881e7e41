"""``GET /metrics`` in the Prometheus text format, for the operator's monitoring only.

It reveals counts, never case data or tenant names, yet it is no public page: with
``AKTE_METRICS_TOKEN`` set, Prometheus must send it as a bearer token
(``authorization: {credentials: …}`` in the scrape config); without one the endpoint is
open outside production (demo, tests) and switched off in production, so a forgotten
setting never exposes it.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from akte.core.dependencies import Context
from akte.core.errors import Forbidden, NotAuthenticated, responses
from akte.operations import metrics

router = APIRouter(tags=["Betrieb"])


def _authorise(request: Request, token: str, production: bool) -> None:
    if not token:
        if production:
            raise Forbidden("set AKTE_METRICS_TOKEN to enable /metrics", code="metrics_disabled")
        return
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.encode(), token.encode()):
        raise NotAuthenticated("send the metrics token: Authorization: Bearer <token>")


@router.get("/metrics", include_in_schema=False, responses=responses(NotAuthenticated, Forbidden))
def prometheus_metrics(request: Request, ctx: Context) -> Response:
    settings = ctx.settings
    _authorise(request, settings.metrics_token, settings.env == "production")
    return Response(metrics.render(ctx), media_type=metrics.CONTENT_TYPE)

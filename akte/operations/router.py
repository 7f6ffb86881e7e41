"""``GET /metrics`` in the Prometheus text format.

No login: it reveals counts, never case data or tenant names. Restrict it to the monitoring
network at the reverse proxy.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from akte.core.dependencies import Context
from akte.operations import metrics

router = APIRouter(tags=["Betrieb"])


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def prometheus_metrics(ctx: Context) -> PlainTextResponse:
    return PlainTextResponse(
        metrics.render(ctx), media_type="text/plain; version=0.0.4; charset=utf-8"
    )

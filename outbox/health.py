"""Outbox readiness (``/readyz``): degraded while a downloaded batch waits past its
acknowledgement timeout (the print provider may have lost it)."""

from __future__ import annotations

from sqlalchemy import func, select

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from outbox.models import Batch, BatchStatus


def checks(ctx: AppContext) -> dict[str, str]:
    with session_scope(ctx.session_factory) as session:
        overdue = (
            session.scalar(
                select(func.count()).where(
                    Batch.status == BatchStatus.ready, Batch.offer_expires_at < utcnow()
                )
            )
            or 0
        )
    if overdue:
        return {"outbox": f"{overdue} batches downloaded but not acknowledged in time"}
    return {"outbox": "ok"}

"""Jobs of the outbox: seal a tenant's product when it reaches the size limit, and the
self-renewing ``outbox.seal_due`` chain for cut-off times (see :mod:`outbox.schedule`)."""

from __future__ import annotations

import uuid
from typing import Any

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.registry import task
from outbox import batching, schedule


@task("outbox.seal")
def seal(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal one tenant's queued letters of one product (idempotent: nothing queued, no-op)."""
    batching.seal(ctx, uuid.UUID(payload["tenant_id"]), payload.get("product"))


@task(schedule.SEAL_DUE_TASK)
def seal_due(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal what is past its tenant's cut-off, then enqueue the chain's next run."""
    token = payload.get("token", "")
    with session_scope(ctx.session_factory) as session:
        if not schedule.is_current(session, token):
            return  # a superseded chain ends here
    batching.seal_due(ctx)
    with session_scope(ctx.session_factory) as session:
        schedule.continue_chain(session, token)

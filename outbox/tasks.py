"""Jobs of the outbox: seal a tenant's product when it reaches the size limit, and the
periodic ``outbox.seal_due`` that seals what is past a tenant's cut-off time."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from akte.core.context import AppContext
from akte.core.settings import Settings
from akte.jobs.periodic import periodic
from akte.jobs.registry import task
from outbox import batching
from outbox.push import service as push

SEAL_DUE_TASK = "outbox.seal_due"


@task("outbox.seal")
def seal(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal one tenant's queued letters of one product (idempotent: nothing queued, no-op)."""
    batching.seal(ctx, uuid.UUID(payload["tenant_id"]), payload.get("product"))


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.outbox_cutoff_interval_seconds)


@periodic(SEAL_DUE_TASK, every=_interval)
def seal_due(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal every tenant's letters that are past its cut-off time (once per period, by the
    scheduler; sealing is safe under concurrency, so a retried run is harmless)."""
    batching.seal_due(ctx)


@task(push.PUSH_TASK)
def push_batch(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Upload a sealed batch to the tenant's push provider (letters already there are
    skipped), hand it over and start polling."""
    push.push_batch(ctx, uuid.UUID(payload["batch_id"]))


@task(push.POLL_TASK)
def push_poll(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Ask the push provider about a batch's open letters; re-enqueued while any is open."""
    push.poll_batch(ctx, uuid.UUID(payload["batch_id"]))
